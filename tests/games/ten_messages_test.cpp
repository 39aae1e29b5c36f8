// ten_messages: oTree's "keeping users on the page" example, its bot and its
// invariants.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bots/simulation.h"
#include "engine/bot.h"
#include "engine/invariant.h"
#include "support.h"

namespace livectl::testing {
namespace {

using List = std::vector<std::pair<uint32_t, std::string>>;

constexpr const char* kFinished = R"({"type":"game_finished"})";

// Who received what, serialized: {participant, payload}.
List deliveries(const EventResult& result) {
  List list;
  for (const Delivery& d : result.deliveries) {
    list.emplace_back(d.participant, result.payloads[d.payload]);
  }
  return list;
}

// Sends `count` messages from `id_in_session`, each of which must be accepted.
void send_many(TestSession& t, uint32_t id_in_session, int count) {
  for (int i = 0; i < count; ++i) REQUIRE_FALSE(t.send(id_in_session, i).error);
}

TEST_CASE("a new group has sent no messages and is not finished") {
  TestSession t("ten_messages");
  CHECK(t.group_field("num_messages") == 0);
  CHECK(t.group_field("game_finished") == false);
  CHECK(t.player_field("messages_sent", 1) == 0);
  CHECK(t.player_field("messages_sent", 2) == 0);
  CHECK(t.page(1) == "live");
  CHECK(t.page(2) == "live");
}

TEST_CASE("the first nine messages send nothing and do not finish the game") {
  TestSession t("ten_messages");
  for (int i = 1; i <= 9; ++i) {
    const EventResult& result = t.send(1, i);
    CHECK_FALSE(result.error);
    CHECK(result.deliveries.empty());
    CHECK(result.payloads.empty());
    CHECK(t.group_field("num_messages") == i);
    CHECK(t.group_field("game_finished") == false);
  }
}

TEST_CASE("the 10th message broadcasts game_finished to both players and finishes the game") {
  TestSession t("ten_messages");
  send_many(t, 1, 9);
  const EventResult& result = t.send(1, 10);
  CHECK_FALSE(result.error);
  CHECK(deliveries(result) == List{{1, kFinished}, {2, kFinished}});
  CHECK(result.payloads.size() == 1);
  CHECK(result.page_changes.empty());
  CHECK(t.group_field("num_messages") == 10);
  CHECK(t.group_field("game_finished") == true);
}

TEST_CASE("every message after the 10th broadcasts game_finished again") {
  TestSession t("ten_messages");
  send_many(t, 2, 10);
  CHECK(deliveries(t.send(2, "eleven")) == List{{1, kFinished}, {2, kFinished}});
  CHECK(deliveries(t.send(1, "twelve")) == List{{1, kFinished}, {2, kFinished}});
  CHECK(t.group_field("num_messages") == 12);
  CHECK(t.group_field("game_finished") == true);
}

TEST_CASE("messages from both players count toward the same ten") {
  TestSession t("ten_messages");
  for (int i = 1; i <= 9; ++i) CHECK(t.send(i % 2 == 0 ? 2 : 1, i).deliveries.empty());
  CHECK(t.player_field("messages_sent", 1) == 5);
  CHECK(t.player_field("messages_sent", 2) == 4);
  CHECK(deliveries(t.send(2, 10)) == List{{1, kFinished}, {2, kFinished}});
  CHECK(t.player_field("messages_sent", 2) == 5);
  CHECK(t.group_field("num_messages") == 10);
}

TEST_CASE("any JSON value is a message") {
  TestSession t("ten_messages");
  const std::vector<Json> messages = {nullptr,
                                      true,
                                      0,
                                      -3.5,
                                      "",
                                      "hello",
                                      Json::array(),
                                      Json::array({1, 2}),
                                      Json::object(),
                                      Json{{"text", "hi"}}};
  for (const Json& message : messages) CHECK_FALSE(t.send(1, message).error);
  CHECK(t.group_field("num_messages") == 10);
  CHECK(t.player_field("messages_sent", 1) == 10);
  CHECK(t.group_field("game_finished") == true);
}

TEST_CASE("after game_finished a submit takes the player to the results page") {
  TestSession t("ten_messages");
  send_many(t, 1, 10);
  const EventResult& result = t.submit(1, t.page_index("live"));
  CHECK_FALSE(result.error);
  CHECK(result.deliveries.empty());
  CHECK(result.page_changes == std::vector<uint32_t>{1});
  CHECK(t.page(1) == "results");
  CHECK(t.page(2) == "live");
  CHECK(t.group_field("num_messages") == 10);
}

TEST_CASE("a player on the results page no longer receives game_finished") {
  TestSession t("ten_messages");
  send_many(t, 1, 10);
  REQUIRE_FALSE(t.submit(1).error);
  CHECK(deliveries(t.send(2, "late")) == List{{2, kFinished}});
  CHECK(t.group_field("num_messages") == 11);
}

TEST_CASE("a message from the results page is rejected and not counted") {
  TestSession t("ten_messages");
  send_many(t, 1, 10);
  REQUIRE_FALSE(t.submit(1).error);
  const std::string before = t.session.digest();
  const EventResult& result = t.send(1, "still here");
  REQUIRE(result.error);
  CHECK(*result.error == "participant 1 is not on a live page (on 'results')");
  CHECK(result.deliveries.empty());
  CHECK(t.session.digest() == before);
  CHECK(t.group_field("num_messages") == 10);
  CHECK(t.player_field("messages_sent", 1) == 10);
}

TEST_CASE("messages neither count toward nor reach another group") {
  TestSession t("ten_messages", 6);
  send_many(t, 3, 9);
  send_many(t, 5, 4);
  CHECK(t.group_field("num_messages", 3) == 9);
  CHECK(t.group_field("num_messages", 5) == 4);
  CHECK(t.group_field("num_messages", 1) == 0);
  CHECK(deliveries(t.send(4, "tenth")) == List{{3, kFinished}, {4, kFinished}});
  CHECK(t.group_field("game_finished", 3) == true);
  CHECK(t.group_field("game_finished", 5) == false);
  CHECK(t.group_field("game_finished", 1) == false);
  CHECK(t.send(6, "fifth").deliveries.empty());
}

// ---- the bot ----

const PageSpec& page_named(const std::string& name) {
  const Game& game = game_named("ten_messages");
  return game.pages()[game.find_page(name)];
}

TEST_CASE("the bot keeps sending on the live page until it hears game_finished") {
  auto bot = game_named("ten_messages").make_bot(1, 2);
  Rng rng(3);
  for (int i = 0; i < 50; ++i) {
    CHECK(bot->act(page_named("live"), rng).kind == BotAction::Kind::kSend);
  }
  bot->on_receive(Json{{"type", "game_finished"}});
  CHECK(bot->act(page_named("live"), rng).kind == BotAction::Kind::kSubmit);
  CHECK(bot->act(page_named("results"), rng).kind == BotAction::Kind::kDone);
}

TEST_CASE("the bot ignores payloads other than game_finished") {
  auto bot = game_named("ten_messages").make_bot(2, 2);
  Rng rng(3);
  bot->on_receive(Json{{"type", "something_else"}});
  bot->on_receive(Json{{"text", "game_finished"}});
  CHECK(bot->act(page_named("live"), rng).kind == BotAction::Kind::kSend);
}

TEST_CASE("bots of 20 participants all finish the game and reach the results page") {
  TestSession t("ten_messages", 20, 7);
  const SimulationReport report = t.simulate_bots();
  CHECK(report.checks_passed());
  CHECK(report.checks.size() == 5);
  CHECK(report.bots_done == 20);
  CHECK(report.bots_waiting == 0);
  CHECK(report.errors == 0);
  CHECK(report.submits == 20);
  for (uint32_t id = 1; id <= 20; ++id) {
    CHECK(t.page(id) == "results");
    CHECK(t.group_field("game_finished", id) == true);
    CHECK(t.group_field("num_messages", id).get<int64_t>() >= 10);
  }
}

TEST_CASE("the same seed gives the same simulated session") {
  SimulationOptions options;
  options.max_messages = 100000;
  TestSession first("ten_messages", 20, 11);
  TestSession second("ten_messages", 20, 11);
  const SimulationReport a = simulate(first.session, options);
  const SimulationReport b = simulate(second.session, options);
  CHECK(a.messages == b.messages);
  CHECK(first.session.digest() == second.session.digest());
}

// ---- the invariants ----

// A session whose events also go through the game's invariants; each call
// returns the violations, as "name: description".
class CheckedSession {
 public:
  CheckedSession() : invariants_(game_named("ten_messages").make_invariants()) {}

  std::vector<std::string> send(uint32_t id_in_session, Json data) {
    Event event{EventKind::kLive, id_in_session, 0, -1, std::move(data)};
    return check(event, t.send(id_in_session, event.data));
  }
  std::vector<std::string> submit(uint32_t id_in_session) {
    Event event{EventKind::kSubmit, id_in_session, 0, -1, nullptr};
    return check(event, t.submit(id_in_session));
  }
  // Runs the checks on a result the test altered.
  std::vector<std::string> check(const Event& event, const EventResult& result) {
    std::vector<std::string> violations;
    for (const auto& invariant : invariants_) {
      if (auto problem = invariant->check(t.session, event, result)) {
        violations.push_back(std::string(invariant->name()) + ": " + *problem);
      }
    }
    return violations;
  }
  Group& group(uint32_t id_in_session) { return t.session.player(id_in_session).group(); }
  // Fields by name, to set behind the game's back with a JSON value (which
  // the field still checks against its declared type; the C++ type of the
  // handle is not used for JSON).
  GroupFieldOf<int64_t> group_field(const std::string& name) const {
    return {GroupField{static_cast<uint32_t>(t.session.game().find_group_field(name))}};
  }
  PlayerFieldOf<int64_t> player_field(const std::string& name) const {
    return {PlayerField{static_cast<uint32_t>(t.session.game().find_player_field(name))}};
  }

  TestSession t{"ten_messages", 4};

 private:
  std::vector<std::unique_ptr<Invariant>> invariants_;
};

using Violations = std::vector<std::string>;

TEST_CASE("the invariants have sentence names") {
  std::vector<std::string> names;
  for (const auto& invariant : game_named("ten_messages").make_invariants()) {
    names.emplace_back(invariant->name());
  }
  CHECK(names == std::vector<std::string>{
                     "num_messages equals the number of messages the group's members have sent",
                     "each player's messages_sent equals the number of messages they have sent",
                     "game_finished is true exactly when num_messages is at least 10",
                     "every message from the 10th on broadcasts game_finished to the group and "
                     "nothing else is ever sent"});
}

TEST_CASE("the invariants hold through a game played to the end and beyond") {
  CheckedSession c;
  for (int i = 0; i < 12; ++i) CHECK(c.send(i % 2 ? 2 : 1, i) == Violations{});
  CHECK(c.submit(1) == Violations{});
  CHECK(c.send(1, "from results") == Violations{});
  CHECK(c.send(2, "late") == Violations{});
  CHECK(c.send(3, "other group") == Violations{});
  CHECK(c.submit(2) == Violations{});
}

TEST_CASE("a num_messages that disagrees with the messages sent is reported") {
  CheckedSession c;
  CHECK(c.send(1, 1) == Violations{});
  c.group(1)[c.group_field("num_messages")] = Json(5);
  CHECK(c.send(2, 2) ==
        Violations{"num_messages equals the number of messages the group's members have sent: "
                   "group 1 has num_messages 6 but its members have sent 2 messages"});
}

TEST_CASE("a messages_sent that disagrees with the player's messages is reported") {
  CheckedSession c;
  c.t.session.player(4)[c.player_field("messages_sent")] = Json(3);
  CHECK(c.send(4, "x") ==
        Violations{"each player's messages_sent equals the number of messages they have sent: "
                   "participant 4 has messages_sent 4 but has sent 1 message"});
}

TEST_CASE("a game finished before the 10th message is reported") {
  CheckedSession c;
  c.group(3)[c.group_field("game_finished")] = Json(true);
  CHECK(c.send(3, "x") ==
        Violations{"game_finished is true exactly when num_messages is at least 10: "
                   "group 2 has game_finished true with num_messages 1"});
}

TEST_CASE("a 10th message that broadcasts nothing is reported") {
  CheckedSession c;
  for (int i = 0; i < 9; ++i) REQUIRE(c.send(1, i) == Violations{});
  const Event event{EventKind::kLive, 1, 0, -1, 9};
  EventResult silent = c.t.send(1, 9);
  silent.payload_values.clear();
  silent.payloads.clear();
  silent.deliveries.clear();
  CHECK(c.check(event, silent) ==
        Violations{"every message from the 10th on broadcasts game_finished to the group and "
                   "nothing else is ever sent: message 10 of group 1 did not send exactly "
                   "{\"type\":\"game_finished\"}"});
}

TEST_CASE("a game_finished broadcast that misses a player on the live page is reported") {
  CheckedSession c;
  for (int i = 0; i < 10; ++i) REQUIRE(c.send(2, i) == Violations{});
  const Event event{EventKind::kLive, 2, 0, -1, 10};
  EventResult partial = c.t.send(2, 10);
  partial.deliveries.erase(partial.deliveries.begin());
  CHECK(c.check(event, partial) ==
        Violations{"every message from the 10th on broadcasts game_finished to the group and "
                   "nothing else is ever sent: message 11 of group 1 did not reach participant 1 "
                   "on the live page"});
}

TEST_CASE("a delivery before the 10th message is reported") {
  CheckedSession c;
  const Event event{EventKind::kLive, 1, 0, -1, 1};
  EventResult chatty = c.t.send(1, 1);
  chatty.payload_values.push_back(Json{{"type", "game_finished"}});
  chatty.payloads.push_back(kFinished);
  chatty.deliveries.push_back({2, 0});
  CHECK(c.check(event, chatty) ==
        Violations{"every message from the 10th on broadcasts game_finished to the group and "
                   "nothing else is ever sent: event 1 (message 1 of group 1) sent "
                   "{\"type\":\"game_finished\"} to participant 2"});
}

}  // namespace
}  // namespace livectl::testing
