// One event = one transaction: a failed event leaves no trace in state.
#include <doctest/doctest.h>

#include <stdexcept>

#include "engine/scripted_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

// Changes everything it can, then fails in the way `data` says.
Outbox change_everything_then(const ScriptedGame& g, Player& player, const Json& data) {
  Group& group = player.group();
  group[g.counter] += 1;
  group[g.label] = "changed";
  player[g.score] = 9.5;
  player.add_record(g.notes, {"a note"});
  player.advance_page();
  (void)player.session().rng().next();
  const std::string how = data.is_string() ? data.get<std::string>() : "";
  if (how == "throw") throw std::runtime_error("boom");
  if (how == "throw-int") throw 7;
  if (how == "reject") return reject("no thanks");
  if (how == "bad-id") return {{5, "x"}};
  if (how == "bad-type") group[g.counter] = Json("not an integer");
  if (how == "bad-record") player.add_record(g.notes, {1});
  return {{0, "ok"}};
}

struct Fixture {
  ScriptedGame game{change_everything_then};
  TestSession t{game, 3};
};

void check_untouched(const Fixture& f, const std::string& digest_before, uint64_t rng_before) {
  CHECK(f.t.session.digest() == digest_before);
  CHECK(f.t.group_field("counter") == 0);
  CHECK(f.t.group_field("label") == nullptr);
  CHECK(f.t.player_field("score", 1) == nullptr);
  CHECK(f.t.session.records(f.game.notes).empty());
  CHECK(f.t.session.player(1).group().records(f.game.notes).empty());
  CHECK(f.t.page(1) == "live");
  CHECK(Rng(f.t.session.rng()).next() == rng_before);
}

TEST_CASE("an exception in live_method rolls back every change and tells the sender") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  const auto& result = f.t.send(1, "throw");
  REQUIRE(result.error);
  CHECK(*result.error == "live_method failed: boom");
  CHECK(result.deliveries.empty());
  CHECK(result.page_changes.empty());
  check_untouched(f, before, rng_before);
}

TEST_CASE("an exception that is not a std::exception is caught too") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  CHECK(*f.t.send(1, "throw-int").error == "live_method failed with an unknown exception");
  check_untouched(f, before, rng_before);
}

TEST_CASE("a rejection rolls back every change and sends its message") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  CHECK(*f.t.send(1, "reject").error == "no thanks");
  check_untouched(f, before, rng_before);
}

TEST_CASE("an outbox with an id outside the group rolls back every change") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  REQUIRE(f.t.send(1, "bad-id").error);
  check_untouched(f, before, rng_before);
}

TEST_CASE("a value of the wrong type for a field fails the event and rolls it back") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  CHECK(*f.t.send(1, "bad-type").error ==
        "live_method failed: field 'counter' is of type integer; got string");
  check_untouched(f, before, rng_before);
}

TEST_CASE("a record with a wrong column type fails the event and rolls it back") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  CHECK(*f.t.send(1, "bad-record").error ==
        "live_method failed: column 'text' of record 'note' is of type string; got number");
  check_untouched(f, before, rng_before);
}

TEST_CASE("a store that cannot record the event rolls it back and tells the sender") {
  Fixture f;
  const std::string before = f.t.session.digest();
  const uint64_t rng_before = Rng(f.t.session.rng()).next();
  f.t.store.fail_next(1);
  const auto& result = f.t.send(1, "ok");
  REQUIRE(result.error);
  CHECK(*result.error == "the event could not be recorded: injected store failure");
  CHECK(result.deliveries.empty());
  check_untouched(f, before, rng_before);
  CHECK(f.t.session.last_seq() == 0);
  CHECK(f.t.store.log().empty());
}

TEST_CASE("a successful event keeps every change and reports them to the store") {
  Fixture f;
  const auto& result = f.t.send(1, "ok");
  REQUIRE_FALSE(result.error);
  CHECK(f.t.group_field("counter") == 1);
  CHECK(f.t.group_field("label") == "changed");
  CHECK(f.t.player_field("score", 1) == 9.5);
  CHECK(f.t.session.records(f.game.notes).size() == 1);
  CHECK(f.t.session.player(1).records(f.game.notes).size() == 1);
  CHECK(f.t.session.player(2).records(f.game.notes).empty());
  CHECK(f.t.page(1) == "middle");
  REQUIRE(f.t.store.log().size() == 1);
  // counter, label, score, the note and the page.
  CHECK(f.t.store.log()[0].changes == 5);
}

TEST_CASE("after a failed event the next one starts from the restored state") {
  Fixture f;
  REQUIRE(f.t.send(1, "throw").error);
  REQUIRE_FALSE(f.t.send(2, "ok").error);
  CHECK(f.t.group_field("counter") == 1);
  CHECK(f.t.session.records(f.game.notes).size() == 1);
  CHECK(f.t.session.records(f.game.notes)[0].participant == 1);
}

TEST_CASE("a rejected event is recorded with its error and no changes") {
  Fixture f;
  REQUIRE(f.t.send(1, "reject").error);
  REQUIRE(f.t.store.log().size() == 1);
  CHECK(f.t.store.log()[0].error == std::optional<std::string>("no thanks"));
  CHECK(f.t.store.log()[0].changes == 0);
  CHECK(f.t.store.log()[0].data == "reject");
}

}  // namespace
}  // namespace livectl::testing
