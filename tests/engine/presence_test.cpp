// Presence: a participant's last page going away, and coming back, as
// events through the one door that the game hears.
#include <doctest/doctest.h>

#include <stdexcept>

#include "support.h"

namespace livectl::testing {
namespace {

class PresenceGame final : public Game {
 public:
  PresenceGame() : Game("presence", "a game that hears who leaves", 2) {
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }
  Outbox live_method(Player& player, const Json& data) const override {
    if (data == "break") player.group()[broken] = true;
    return {};
  }
  Outbox on_presence(Player& player, bool present) const override {
    player[away] = !present;
    if (player.group()[broken]) throw std::runtime_error("the game broke");
    return send_to_group(object({{"from", player.id_in_group()}, {"present", present}}));
  }
  LIVECTL_PLAYER_FIELD(bool, away, false);
  LIVECTL_GROUP_FIELD(bool, broken, false);
};

struct Served {
  Served()
      : session(game, store, [] {
          SessionConfig config;
          config.participants = 2;
          config.arrivals = true;
          return config;
        }()) {}
  const EventResult& event(EventKind kind, uint32_t participant, Json data = nullptr) {
    Event e;
    e.kind = kind;
    e.participant = participant;
    e.time_ms = (clock_ms += 1000);
    e.data = std::move(data);
    return session.apply(e);
  }
  const EventResult& presence(uint32_t participant, bool present) {
    return event(EventKind::kPresence, participant, Json::object({{"present", present}}));
  }
  PresenceGame game;
  MemoryStore store;
  Session session;
  int64_t clock_ms = 0;
};

TEST_CASE("a participant who leaves and comes back is an event the game hears") {
  Served s;
  CHECK_FALSE(s.session.participant(1).present);
  const EventResult& early = s.presence(1, false);
  REQUIRE(early.error);
  CHECK(*early.error == "participant 1 has not arrived yet (an arrive event comes first)");
  REQUIRE_FALSE(s.event(EventKind::kArrive, 1).error);
  REQUIRE_FALSE(s.event(EventKind::kArrive, 2).error);
  CHECK(s.session.participant(1).present);

  const EventResult& left = s.presence(1, false);
  REQUIRE_FALSE(left.error);
  CHECK_FALSE(s.session.participant(1).present);
  CHECK(s.session.player(1)[s.game.away] == true);
  CHECK(TestSession::received(left, 2) == Json::object({{"from", 1}, {"present", false}}));
  CHECK(*s.presence(1, false).error == "participant 1 is away already");

  const std::string away = s.session.digest();
  const EventResult& back = s.presence(1, true);
  REQUIRE_FALSE(back.error);
  CHECK(s.session.participant(1).present);
  CHECK(s.session.player(1)[s.game.away] == false);
  CHECK(s.session.digest() != away);
  CHECK(*s.presence(1, true).error == "participant 1 is present already");
  CHECK(*s.event(EventKind::kPresence, 1, true).error ==
        "a presence event's data is {\"present\": true} or {\"present\": false}");
}

TEST_CASE("a game whose on_presence fails changes nothing, and the presence changes anyway") {
  Served s;
  REQUIRE_FALSE(s.event(EventKind::kArrive, 1).error);
  REQUIRE_FALSE(s.event(EventKind::kArrive, 2).error);
  REQUIRE_FALSE(s.event(EventKind::kLive, 1, "break").error);
  const EventResult& left = s.presence(2, false);
  REQUIRE(left.error);
  CHECK(*left.error == "on_presence of participant 2 failed: the game broke");
  CHECK(left.deliveries.empty());
  CHECK(s.session.player(2)[s.game.away] == false);
  CHECK_FALSE(s.session.participant(2).present);
  CHECK(s.store.log().back().changes == 1);
}

}  // namespace
}  // namespace livectl::testing
