// Regression tests for ways a failure used to leak out of the one door
// (Session::apply): every failure inside an event, wherever it happens, rolls
// the event back exactly, tells the sender in valid UTF-8, and the session
// goes on.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "engine/scripted_game.h"
#include "engine/text.h"
#include "support.h"

namespace livectl::testing {
namespace {

// Changes some state, then does what `data` says.
Outbox change_then(const ScriptedGame& g, Player& player, const Json& data) {
  Group& group = player.group();
  group[g.counter] += 1;
  player.add_record(g.notes, {"a note"});
  const std::string how = data.is_string() ? data.get<std::string>() : "";
  // A chat game that cuts a message by bytes splits "é" (C3 A9) in two.
  if (how == "cut-payload") return {{0, std::string("caf\xC3")}};
  if (how == "cut-field") group[g.label] = std::string("caf\xC3");
  if (how == "cut-record") player.add_record(g.notes, {std::string("\xFF")});
  if (how == "cut-rejection") return reject(std::string("no caf\xC3"));
  if (how == "cut-exception") throw std::runtime_error(std::string("boom \xE2\x82"));
  if (how == "nan") player[g.score] = std::nan("");
  if (how == "infinity") player[g.score] = std::numeric_limits<double>::infinity();
  if (how == "-infinity") player[g.score] = -std::numeric_limits<double>::infinity();
  if (how == "player-7") (void)group.player(7);
  if (how == "player-0") (void)group.player(0);
  if (how == "session-player-99") (void)player.session().player(99);
  return {{0, "ok"}};
}

struct Fixture {
  ScriptedGame game{change_then};
  TestSession t{game, 3};
};

// Sends `data` as participant 1 and checks that it failed with `message`,
// left the state as it was, was recorded as a rejection, and that the
// session then takes the next event normally.
void check_rejected_without_trace(Fixture& f, const std::string& data, const std::string& message) {
  const std::string before = f.t.session.digest();
  const size_t notes_before = f.t.session.records(f.game.notes).size();
  const int counter_before = f.t.group_field("counter").get<int>();
  const EventResult* result = nullptr;
  REQUIRE_NOTHROW(result = &f.t.send(1, data));
  REQUIRE(result->error);
  CHECK(*result->error == message);
  CHECK(valid_utf8(*result->error));
  CHECK(result->deliveries.empty());
  CHECK(result->payloads.empty());
  CHECK(f.t.session.digest() == before);
  CHECK(f.t.session.records(f.game.notes).size() == notes_before);
  REQUIRE_FALSE(f.t.store.log().empty());
  CHECK(f.t.store.log().back().error == std::optional<std::string>(message));
  CHECK(f.t.store.log().back().changes == 0);
  // The session goes on: the next event applies normally.
  const auto& next = f.t.send(2, "ok");
  CHECK_FALSE(next.error);
  CHECK(f.t.group_field("counter") == counter_before + 1);
}

TEST_CASE("a payload that is not valid UTF-8 rolls the event back instead of escaping apply") {
  Fixture f;
  check_rejected_without_trace(
      f, "cut-payload",
      "live_method returned a payload for id_in_group 0 that is not valid UTF-8 text");
}

TEST_CASE("a string field that is not valid UTF-8 is refused when set") {
  Fixture f;
  check_rejected_without_trace(f, "cut-field",
                               "live_method failed: field 'label' must be valid UTF-8 text");
}

TEST_CASE("a record string that is not valid UTF-8 is refused when added") {
  Fixture f;
  check_rejected_without_trace(
      f, "cut-record",
      "live_method failed: column 'text' of record 'note' must be valid UTF-8 text");
}

TEST_CASE("a rejection message that is not valid UTF-8 reaches the sender repaired") {
  Fixture f;
  check_rejected_without_trace(f, "cut-rejection", "no caf\xEF\xBF\xBD");
}

TEST_CASE("an exception text that is not valid UTF-8 reaches the sender repaired") {
  Fixture f;
  check_rejected_without_trace(f, "cut-exception", "live_method failed: boom \xEF\xBF\xBD");
}

TEST_CASE("a number field refuses NaN when set") {
  Fixture f;
  check_rejected_without_trace(
      f, "nan",
      "live_method failed: field 'score' is of type number; got nan, which is not finite");
}

TEST_CASE("a number field refuses infinity when set") {
  Fixture f;
  check_rejected_without_trace(
      f, "infinity",
      "live_method failed: field 'score' is of type number; got inf, which is not finite");
  check_rejected_without_trace(
      f, "-infinity",
      "live_method failed: field 'score' is of type number; got -inf, which is not finite");
}

TEST_CASE("an id_in_group outside the group is a clear rejection, not undefined behaviour") {
  Fixture f;
  check_rejected_without_trace(
      f, "player-7", "live_method failed: group 1 has no player with id_in_group 7 (ids 1..3)");
  check_rejected_without_trace(
      f, "player-0", "live_method failed: group 1 has no player with id_in_group 0 (ids 1..3)");
}

TEST_CASE("a participant id outside the session is a clear rejection, not undefined behaviour") {
  Fixture f;
  check_rejected_without_trace(f, "session-player-99",
                               "live_method failed: the session has no participant 99 (ids 1..3)");
}

// A store whose record() throws, as a store with a bug or an allocation
// failure might: the engine must treat it as a failed recording.
class ThrowingStore final : public Store {
 public:
  Status record(const Session&, const Event&, const EventResult&,
                std::span<const Change>) override {
    if (throws_left > 0) {
      --throws_left;
      throw std::runtime_error("disk on fire");
    }
    ++recorded;
    return Status();
  }
  Status flush() override { return Status(); }
  int throws_left = 0;
  int recorded = 0;
};

TEST_CASE("a store that throws while recording rolls the event back and the session goes on") {
  ScriptedGame game{change_then};
  ThrowingStore store;
  SessionConfig config;
  config.participants = 3;
  Session session(game, store, config);
  const std::string before = session.digest();
  store.throws_left = 1;
  Event event;
  event.participant = 1;
  event.time_ms = 1000;
  event.data = "ok";
  const EventResult* result = nullptr;
  REQUIRE_NOTHROW(result = &session.apply(event));
  REQUIRE(result->error);
  CHECK(*result->error == "the event could not be recorded: disk on fire");
  CHECK(result->deliveries.empty());
  CHECK(session.digest() == before);
  CHECK(session.last_seq() == 0);
  event.time_ms = 2000;
  CHECK_FALSE(session.apply(event).error);
  CHECK(session.last_seq() == 1);
  CHECK(store.recorded == 1);
}

TEST_CASE("the session clock never goes backwards") {
  Fixture f;
  Event event;
  event.participant = 1;
  event.data = "ok";
  event.time_ms = 5000;
  REQUIRE_FALSE(f.t.session.apply(event).error);
  CHECK(f.t.session.now_ms() == 5000);
  // A wall clock stepped back (NTP) stamps the next event earlier.
  event.time_ms = 1000;
  REQUIRE_FALSE(f.t.session.apply(event).error);
  CHECK(f.t.session.now_ms() == 5000);
  event.time_ms = 6000;
  REQUIRE_FALSE(f.t.session.apply(event).error);
  CHECK(f.t.session.now_ms() == 6000);
}

TEST_CASE("cut_utf8 never splits a character") {
  const std::string text = "ab\xC3\xA9\xE2\x82\xAC";  // "abé€"
  CHECK(cut_utf8(text, 2) == "ab");
  CHECK(cut_utf8(text, 3) == "ab");
  CHECK(cut_utf8(text, 4) == "ab\xC3\xA9");
  CHECK(cut_utf8(text, 5) == "ab\xC3\xA9");
  CHECK(cut_utf8(text, 6) == "ab\xC3\xA9");
  CHECK(cut_utf8(text, 7) == text);
  CHECK(cut_utf8(text, 100) == text);
  CHECK(valid_utf8(std::string(cut_utf8(text, 3))));
}

TEST_CASE("valid_utf8 refuses overlong forms, surrogates and cut sequences") {
  CHECK(valid_utf8("plain"));
  CHECK(valid_utf8("\xF0\x9F\x8E\xB2"));        // U+1F3B2
  CHECK_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(valid_utf8("\xE2\x82"));          // cut
  CHECK(repair_utf8("a\xFF"
                    "b") ==
        "a\xEF\xBF\xBD"
        "b");
}

}  // namespace
}  // namespace livectl::testing
