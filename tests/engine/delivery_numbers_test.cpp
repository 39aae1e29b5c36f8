// Every delivery to a participant is numbered, per participant, without
// gaps: what lets a page that reconnects ask for exactly what it missed.
#include <doctest/doctest.h>

#include "engine/scripted_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

Outbox echo_or_refuse(const ScriptedGame&, Player& player, const Json& data) {
  if (data == "no") return reject("no");
  if (data == "me") return send_to(player, data);
  if (data == "leave") player.advance_page();
  return {{0, data}};
}

TEST_CASE("deliveries are numbered per participant, and a refused event numbers none") {
  ScriptedGame game(echo_or_refuse);
  TestSession t(game, 3);
  const EventResult& first = t.send(1, "all");
  REQUIRE(first.deliveries.size() == 3);
  for (const Delivery& d : first.deliveries) CHECK(d.seq == 1);
  const EventResult& mine = t.send(2, "me");
  REQUIRE(mine.deliveries.size() == 1);
  CHECK(mine.deliveries[0].seq == 2);
  REQUIRE(t.send(3, "no").error);
  const EventResult& third = t.send(3, "all");
  CHECK(third.deliveries[0].participant == 1);
  CHECK(third.deliveries[0].seq == 2);
  CHECK(third.deliveries[1].seq == 3);
  CHECK(t.session.player(2).participant().delivered == 3);
  CHECK(t.session.player(3).participant().delivered == 2);
}

TEST_CASE("an event the store cannot record numbers nothing") {
  ScriptedGame game(echo_or_refuse);
  TestSession t(game, 3);
  t.send(1, "all");
  t.store.fail_next(1);
  REQUIRE(t.send(1, "leave").error);
  for (uint32_t id = 1; id <= 3; ++id) {
    CHECK(t.session.player(id).participant().delivered == 1);
    CHECK(t.session.player(id).participant().page_delivered == 0);
  }
}

TEST_CASE("a page's own deliveries start after the event that moved the participant to it") {
  ScriptedGame game(echo_or_refuse);
  TestSession t(game, 3);
  t.send(2, "all");
  // Participant 1 leaves in the event that also broadcasts: that payload
  // is the old page's last.
  const EventResult& left = t.send(1, "leave");
  CHECK(left.page_changes == std::vector<uint32_t>{1});
  const Participant& one = t.session.player(1).participant();
  CHECK(one.delivered == 2);
  CHECK(one.page_delivered == 2);
  CHECK(t.session.player(2).participant().page_delivered == 0);
}

}  // namespace
}  // namespace livectl::testing
