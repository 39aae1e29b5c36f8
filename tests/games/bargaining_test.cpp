// bargaining: offers to one player, responses that use an offer up, the deal
// that closes the group's bargaining; its bot and its invariants.
#include "games/bargaining/bargaining.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
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

const bargaining::Bargaining& game() {
  return dynamic_cast<const bargaining::Bargaining&>(game_named("bargaining"));
}

// Who received what, serialized: {participant, payload}.
List deliveries(const EventResult& result) {
  List list;
  for (const Delivery& d : result.deliveries) {
    list.emplace_back(d.participant, result.payloads[d.payload]);
  }
  return list;
}

Json offer(Json value, Json to) {
  return Json{{"type", "offer"}, {"value", std::move(value)}, {"to", std::move(to)}};
}

Json response(Json accepted, Json to) {
  return Json{{"type", "response"}, {"accepted", std::move(accepted)}, {"to", std::move(to)}};
}

// The group fields deal_closed, deal_price, deal_from, deal_to of participant
// `id_in_session`'s group, as one array.
Json deal(const TestSession& t, uint32_t id_in_session = 1) {
  return Json{t.group_field("deal_closed", id_in_session),
              t.group_field("deal_price", id_in_session), t.group_field("deal_from", id_in_session),
              t.group_field("deal_to", id_in_session)};
}

const Json kNoDeal = Json{false, nullptr, nullptr, nullptr};

// Sends `data`, which must be rejected with `error` and change nothing.
void check_rejected(TestSession& t, uint32_t id_in_session, const Json& data,
                    const std::string& error) {
  INFO("participant " << id_in_session << " sends " << data.dump());
  const std::string before = t.session.digest();
  const EventResult& result = t.send(id_in_session, data);
  REQUIRE(result.error);
  CHECK(*result.error == error);
  CHECK(result.deliveries.empty());
  CHECK(result.page_changes.empty());
  CHECK(t.session.digest() == before);
}

constexpr const char* kBadTo = R"("to" must be the id_in_group of another player in your group)";
constexpr const char* kBadValue = R"(an offer's "value" must be a non-negative number)";

// ---- the game ----

TEST_CASE("the game has groups of two, a wait, a live and a results page, and no deal at first") {
  TestSession t("bargaining");
  CHECK(t.session.game().players_per_group() == 2);
  const auto& pages = t.session.game().pages();
  REQUIRE(pages.size() == 3);
  CHECK(pages[0].name == "waiting");
  CHECK(pages[0].kind == PageKind::kWait);
  CHECK(pages[0].timeout_ms == 0);
  CHECK(pages[1].name == "live");
  CHECK(pages[1].kind == PageKind::kLive);
  CHECK(pages[2].name == "results");
  CHECK(pages[2].kind == PageKind::kPlain);
  // Simulated participants are all present: the group starts on the live page.
  CHECK(t.page(1) == "live");
  CHECK(t.page(2) == "live");
  CHECK(deal(t) == kNoDeal);
  for (uint32_t id : {1u, 2u}) {
    CHECK(t.player_field("last_offer", id) == nullptr);
    CHECK(t.player_field("last_offer_to", id) == nullptr);
    CHECK(t.player_field("offers_made", id) == 0);
  }
}

TEST_CASE("an offer reaches only its addressee, with the offerer's id and the value") {
  TestSession t("bargaining");
  const EventResult& result = t.send(1, offer(80, 2));
  CHECK_FALSE(result.error);
  CHECK(deliveries(result) == List{{2, R"({"from":1,"type":"offer","value":80})"}});
  CHECK(t.player_field("last_offer", 1) == 80);
  CHECK(t.player_field("last_offer_to", 1) == 2);
  CHECK(t.player_field("offers_made", 1) == 1);
  CHECK(t.player_field("offers_made", 2) == 0);
  CHECK(deal(t) == kNoDeal);
}

TEST_CASE("an offer of zero and a fractional offer are kept exactly as sent") {
  TestSession t("bargaining");
  CHECK(deliveries(t.send(2, offer(0, 1))) == List{{1, R"({"from":2,"type":"offer","value":0})"}});
  CHECK(deliveries(t.send(2, offer(12.25, 1))) ==
        List{{1, R"({"from":2,"type":"offer","value":12.25})"}});
  CHECK(t.player_field("last_offer", 2) == 12.25);
  CHECK(t.player_field("offers_made", 2) == 2);
}

TEST_CASE("keys a message does not use are ignored") {
  TestSession t("bargaining");
  Json data = offer(50, 2);
  data["note"] = "hello";
  CHECK(deliveries(t.send(1, data)) == List{{2, R"({"from":1,"type":"offer","value":50})"}});
}

TEST_CASE("every offer is recorded with its value and addressee") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(1, offer(90, 2)).error);
  REQUIRE_FALSE(t.send(2, offer(30.5, 1)).error);
  REQUIRE_FALSE(t.send(1, offer(85, 2)).error);
  const auto& rows = t.session.records(game().offers);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].participant == 0);
  CHECK(rows[0].values == std::vector<Json>{90, 2});
  CHECK(rows[1].participant == 1);
  CHECK(rows[1].values == std::vector<Json>{30.5, 1});
  CHECK(rows[2].values == std::vector<Json>{85, 2});
  CHECK(t.session.player(1).records(game().offers).size() == 2);
}

TEST_CASE("a rejection reaches only the offerer and uses the offer up") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(1, offer(90, 2)).error);
  const EventResult& result = t.send(2, response(false, 1));
  CHECK_FALSE(result.error);
  CHECK(deliveries(result) == List{{1, R"({"accepted":false,"from":2,"type":"response"})"}});
  CHECK(t.player_field("last_offer", 1) == nullptr);
  CHECK(t.player_field("last_offer_to", 1) == nullptr);
  CHECK(t.player_field("offers_made", 1) == 1);
  CHECK(deal(t) == kNoDeal);
}

TEST_CASE("an acceptance closes the deal and tells the whole group the price") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(1, offer(90, 2)).error);
  REQUIRE_FALSE(t.send(2, response(false, 1)).error);
  REQUIRE_FALSE(t.send(2, offer(50, 1)).error);
  REQUIRE_FALSE(t.send(1, offer(65, 2)).error);
  const EventResult& result = t.send(2, response(true, 1));
  CHECK_FALSE(result.error);
  const char* accepted = R"({"accepted":true,"from":2,"price":65,"type":"response"})";
  CHECK(deliveries(result) == List{{1, accepted}, {2, accepted}});
  CHECK(result.payloads.size() == 1);
  CHECK(result.page_changes.empty());
  CHECK(deal(t) == Json{true, 65, 1, 2});
  CHECK(t.player_field("last_offer", 1) == nullptr);
  // Player 2's own offer of 50 was never answered; it stays as data.
  CHECK(t.player_field("last_offer", 2) == 50);
}

TEST_CASE("a response answers the latest of several offers") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(2, offer(20, 1)).error);
  REQUIRE_FALSE(t.send(2, offer(35, 1)).error);
  CHECK(deliveries(t.send(1, response(true, 2))) ==
        List{{1, R"({"accepted":true,"from":1,"price":35,"type":"response"})"},
             {2, R"({"accepted":true,"from":1,"price":35,"type":"response"})"}});
  CHECK(deal(t) == Json{true, 35, 2, 1});
}

TEST_CASE("a response with no offer to answer is an error and changes nothing") {
  TestSession t("bargaining");
  check_rejected(t, 2, response(true, 1), "there is no offer from player 1 to answer");
  check_rejected(t, 1, response(false, 2), "there is no offer from player 2 to answer");
  REQUIRE_FALSE(t.send(1, offer(70, 2)).error);
  // Player 1's own offer is not one player 1 can answer.
  check_rejected(t, 1, response(true, 2), "there is no offer from player 2 to answer");
}

TEST_CASE("an offer can be answered only once") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(1, offer(70, 2)).error);
  REQUIRE_FALSE(t.send(2, response(false, 1)).error);
  check_rejected(t, 2, response(true, 1), "there is no offer from player 1 to answer");
  check_rejected(t, 2, response(false, 1), "there is no offer from player 1 to answer");
  CHECK(deal(t) == kNoDeal);
}

TEST_CASE("after the deal every message is an error and the deal never changes") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(2, offer(30, 1)).error);
  REQUIRE_FALSE(t.send(1, offer(70, 2)).error);
  REQUIRE_FALSE(t.send(1, response(true, 2)).error);
  REQUIRE(deal(t) == Json{true, 30, 2, 1});
  // Player 1's offer of 70 is still unanswered, yet cannot be accepted.
  check_rejected(t, 2, response(true, 1), "the deal is closed");
  check_rejected(t, 2, response(false, 1), "the deal is closed");
  check_rejected(t, 1, response(true, 2), "the deal is closed");
  check_rejected(t, 1, offer(10, 2), "the deal is closed");
  check_rejected(t, 2, offer(99, 1), "the deal is closed");
  check_rejected(t, 2, "not a message", "the deal is closed");
  CHECK(deal(t) == Json{true, 30, 2, 1});
}

TEST_CASE("a message that is not an object is an error") {
  TestSession t("bargaining");
  for (const Json& data :
       {Json(80), Json("offer"), Json(nullptr), Json(true), Json::array({offer(80, 2)})}) {
    check_rejected(t, 1, data, "a message must be a JSON object");
  }
}

TEST_CASE("a message whose type is not offer or response is an error") {
  TestSession t("bargaining");
  for (const Json& data : {Json::object(), Json{{"type", "bid"}, {"value", 80}, {"to", 2}},
                           Json{{"type", "Offer"}, {"value", 80}, {"to", 2}},
                           Json{{"type", nullptr}}, Json{{"type", 1}}, Json{{"value", 80}}}) {
    check_rejected(t, 1, data, R"("type" must be "offer" or "response")");
  }
}

TEST_CASE("an offer whose value is not a non-negative finite number is an error") {
  TestSession t("bargaining");
  for (const Json& value :
       {Json(-1), Json(-0.01), Json("80"), Json(true), Json(nullptr), Json::array({80}),
        Json(std::numeric_limits<double>::infinity()), Json(std::nan(""))}) {
    check_rejected(t, 1, offer(value, 2), kBadValue);
  }
  check_rejected(t, 1, Json{{"type", "offer"}, {"to", 2}}, kBadValue);
}

TEST_CASE("a message to oneself or to nobody in the group is an error") {
  TestSession t("bargaining", 4);
  for (const Json& to :
       {Json(1), Json(0), Json(3), Json(-1), Json("2"), Json(2.0), Json(nullptr)}) {
    check_rejected(t, 1, offer(50, to), kBadTo);
    check_rejected(t, 1, response(true, to), kBadTo);
  }
  check_rejected(t, 1, Json{{"type", "offer"}, {"value", 50}}, kBadTo);
  check_rejected(t, 1, Json{{"type", "response"}, {"accepted", true}}, kBadTo);
}

TEST_CASE("a response whose accepted is not a boolean is an error") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(1, offer(50, 2)).error);
  for (const Json& accepted : {Json("yes"), Json(1), Json(0), Json(nullptr)}) {
    check_rejected(t, 2, response(accepted, 1), R"(a response's "accepted" must be true or false)");
  }
  check_rejected(t, 2, Json{{"type", "response"}, {"to", 1}},
                 R"(a response's "accepted" must be true or false)");
}

TEST_CASE("offers and deals neither reach nor change another group") {
  TestSession t("bargaining", 6);
  CHECK(deliveries(t.send(3, offer(70, 2))) ==
        List{{4, R"({"from":1,"type":"offer","value":70})"}});
  check_rejected(t, 2, response(true, 1), "there is no offer from player 1 to answer");
  const char* accepted = R"({"accepted":true,"from":2,"price":70,"type":"response"})";
  CHECK(deliveries(t.send(4, response(true, 1))) == List{{3, accepted}, {4, accepted}});
  CHECK(deal(t, 3) == Json{true, 70, 1, 2});
  CHECK(deal(t, 1) == kNoDeal);
  CHECK(deal(t, 5) == kNoDeal);
  CHECK(deliveries(t.send(6, offer(20, 1))) ==
        List{{5, R"({"from":2,"type":"offer","value":20})"}});
}

TEST_CASE("an offer to a player who has left the live page is kept but reaches nobody") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.submit(2, t.page_index("live")).error);
  CHECK(t.page(2) == "results");
  const EventResult& result = t.send(1, offer(50, 2));
  CHECK_FALSE(result.error);
  CHECK(result.deliveries.empty());
  CHECK(t.player_field("last_offer", 1) == 50);
  check_rejected(t, 2, response(true, 1), "participant 2 is not on a live page (on 'results')");
}

TEST_CASE("after the deal each player submits to the results page") {
  TestSession t("bargaining");
  REQUIRE_FALSE(t.send(1, offer(55, 2)).error);
  REQUIRE_FALSE(t.send(2, response(true, 1)).error);
  CHECK(t.submit(1, t.page_index("live")).page_changes == std::vector<uint32_t>{1});
  CHECK(t.submit(2, t.page_index("live")).page_changes == std::vector<uint32_t>{2});
  CHECK(t.page(1) == "results");
  CHECK(t.page(2) == "results");
  CHECK(deal(t) == Json{true, 55, 1, 2});
}

// ---- the bot ----

const PageSpec& page_named(const std::string& name) {
  return game().pages()[game().find_page(name)];
}

// What the bot does next on the live page.
BotAction next_move(Bot& bot, Rng& rng) {
  return bot.act(page_named("live"), rng);
}

TEST_CASE("player 1's bot opens with an offer to player 2") {
  auto bot = game().make_bot(1, 2);
  Rng rng(5);
  const BotAction action = next_move(*bot, rng);
  REQUIRE(action.kind == BotAction::Kind::kSend);
  CHECK(action.data["type"] == "offer");
  CHECK(action.data["to"] == 2);
  CHECK(action.data["value"].get<int64_t>() >= 60);
}

TEST_CASE("player 2's bot never offers before it has been offered something") {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    auto bot = game().make_bot(2, 2);
    Rng rng(seed);
    BotAction action = next_move(*bot, rng);
    // At most one probe: an answer to an offer that does not exist.
    if (action.kind == BotAction::Kind::kSend) {
      CHECK(action.data == response(false, 1));
      bot->on_error("there is no offer from player 1 to answer");
      action = next_move(*bot, rng);
    }
    CHECK(action.kind == BotAction::Kind::kWait);
  }
}

TEST_CASE("a bot rejects an offer far from its own, then counters toward it") {
  auto bot = game().make_bot(1, 2);
  Rng rng(5);
  const int64_t opening = next_move(*bot, rng).data["value"].get<int64_t>();
  bot->on_receive(Json{{"type", "offer"}, {"from", 2}, {"value", 0}});
  CHECK(next_move(*bot, rng).data == response(false, 2));
  const BotAction counter = next_move(*bot, rng);
  REQUIRE(counter.kind == BotAction::Kind::kSend);
  CHECK(counter.data["type"] == "offer");
  CHECK(counter.data["value"].get<int64_t>() < opening);
  CHECK(counter.data["value"].get<int64_t>() >= 40);
}

TEST_CASE("a bot accepts an offer at least as good as its own") {
  auto bot = game().make_bot(1, 2);
  Rng rng(5);
  const int64_t opening = next_move(*bot, rng).data["value"].get<int64_t>();
  bot->on_receive(Json{{"type", "offer"}, {"from", 2}, {"value", opening}});
  CHECK(next_move(*bot, rng).data == response(true, 2));
}

TEST_CASE("a bot accepts whatever it is offered from the tenth offer on") {
  auto bot = game().make_bot(2, 2);
  Rng rng(9);
  for (int round = 1; round <= 9; ++round) {
    bot->on_receive(Json{{"type", "offer"}, {"from", 1}, {"value", 1000}});
    CHECK(next_move(*bot, rng).data == response(false, 1));
    CHECK(next_move(*bot, rng).data["type"] == "offer");
  }
  bot->on_receive(Json{{"type", "offer"}, {"from", 1}, {"value", 1000}});
  CHECK(next_move(*bot, rng).data == response(true, 1));
}

TEST_CASE("a bot submits once it hears of the deal, sometimes after one late offer") {
  int late_offers = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    auto bot = game().make_bot(2, 2);
    Rng rng(seed);
    bot->on_receive(Json{{"type", "offer"}, {"from", 1}, {"value", 60}});
    bot->on_receive(Json{{"type", "response"}, {"from", 1}, {"accepted", true}, {"price", 45}});
    BotAction action = next_move(*bot, rng);
    if (action.kind == BotAction::Kind::kSend) {
      ++late_offers;
      CHECK(action.data["type"] == "offer");
      CHECK(action.data["to"] == 1);
      bot->on_error("the deal is closed");
      action = next_move(*bot, rng);
    }
    CHECK(action.kind == BotAction::Kind::kSubmit);
    CHECK(bot->act(page_named("results"), rng).kind == BotAction::Kind::kDone);
  }
  CHECK(late_offers > 0);
  CHECK(late_offers < 40);
}

TEST_CASE("bots of 20 participants close a deal in every group and all finish") {
  TestSession t("bargaining", 20, 7);
  const SimulationReport report = t.simulate_bots();
  CHECK(report.checks_passed());
  CHECK(report.checks.size() == 7);
  CHECK(report.bots_done == 20);
  CHECK(report.bots_waiting == 0);
  CHECK(report.submits == 20);
  CHECK(report.messages < TestSession::kBotMessageBudget);
  // The bots' deliberate bad messages: answers to no offer, offers after the deal.
  CHECK(report.errors > 0);
  for (uint32_t id = 1; id <= 20; ++id) {
    CHECK(t.page(id) == "results");
    CHECK(t.group_field("deal_closed", id) == true);
  }
}

TEST_CASE("bots close every deal within the bot's patience for many seeds") {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    INFO("seed " << seed);
    TestSession t("bargaining", 20, seed);
    SimulationOptions options;
    options.max_messages = 100000;
    const SimulationReport report = simulate(t.session, options);
    CHECK(report.checks_passed());
    CHECK(report.bots_done == 20);
    for (uint32_t id = 1; id <= 20; ++id) {
      CHECK(t.group_field("deal_closed", id) == true);
      // Patience of 10 offers received: at most 10 + 10 + 1 offers a group.
      CHECK(t.player_field("offers_made", id).get<int64_t>() <= 11);
    }
  }
}

TEST_CASE("the same seed gives the same simulated bargaining session") {
  SimulationOptions options;
  options.max_messages = 100000;
  TestSession first("bargaining", 20, 11);
  TestSession second("bargaining", 20, 11);
  const SimulationReport a = simulate(first.session, options);
  const SimulationReport b = simulate(second.session, options);
  CHECK(a.messages == b.messages);
  CHECK(first.session.digest() == second.session.digest());
}

// ---- the invariants ----

using Violations = std::vector<std::string>;

// A session whose events also go through the game's invariants; each call
// returns the violations, as "name: description".
class CheckedSession {
 public:
  std::vector<std::string> send(uint32_t id_in_session, Json data) {
    const Event event{EventKind::kLive, id_in_session, 0, -1, data};
    return check(event, t.send(id_in_session, std::move(data)));
  }
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

  TestSession t{"bargaining", 4};

 private:
  std::vector<std::unique_ptr<Invariant>> invariants_ = game().make_invariants();
};

constexpr const char* kNeverChanges =
    "once a deal is closed, deal_closed, deal_price, deal_from and deal_to never change";
constexpr const char* kUnanswered =
    "a deal's price is the unanswered offer that deal_from made to deal_to";
constexpr const char* kResponses =
    "a response is accepted only when its addressee has an unanswered offer to the sender";
constexpr const char* kSetWhenClosed =
    "deal_price, deal_from and deal_to are null while deal_closed is false and set once it is true";
constexpr const char* kAfterTheDeal =
    "once a group's deal is closed, every message from its members is rejected";
constexpr const char* kAddressees =
    "an offer or a rejection reaches its addressee and nobody else, and an acceptance reaches "
    "every member of the group on the live page";

TEST_CASE("the bargaining invariants have sentence names") {
  std::vector<std::string> names;
  for (const auto& invariant : game().make_invariants()) names.emplace_back(invariant->name());
  CHECK(names == std::vector<std::string>{kNeverChanges, kUnanswered, kResponses, kSetWhenClosed,
                                          kAfterTheDeal, kAddressees});
}

TEST_CASE("the invariants hold through a game with errors, a deal and messages after it") {
  CheckedSession c;
  CHECK(c.send(1, offer(90, 2)) == Violations{});
  CHECK(c.send(2, response(true, 2)) == Violations{});
  CHECK(c.send(2, response(false, 1)) == Violations{});
  CHECK(c.send(2, response(false, 1)) == Violations{});
  CHECK(c.send(2, offer(40, 1)) == Violations{});
  CHECK(c.send(3, offer(10, 2)) == Violations{});
  CHECK(c.send(1, offer(60, 2)) == Violations{});
  CHECK(c.send(2, response(true, 1)) == Violations{});
  CHECK(c.send(1, response(true, 2)) == Violations{});
  CHECK(c.send(4, response(true, 1)) == Violations{});
  CHECK(deal(c.t) == Json{true, 60, 1, 2});
  CHECK(deal(c.t, 3) == Json{true, 10, 1, 2});
}

TEST_CASE("a closed deal that changes is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, offer(60, 2)) == Violations{});
  REQUIRE(c.send(2, response(true, 1)) == Violations{});
  c.group(1)[game().deal_price] = 61;
  CHECK(
      c.send(1, offer(1, 2)) ==
      Violations{std::string(kNeverChanges) +
                 ": group 1's deal changed from {\"closed\":true,\"from\":1,\"price\":60,\"to\":2} "
                 "to {\"closed\":true,\"from\":1,\"price\":61,\"to\":2}"});
}

TEST_CASE("a deal whose price is not the accepted offer is reported") {
  CheckedSession c;
  REQUIRE(c.send(3, offer(60, 2)) == Violations{});
  const Event event{EventKind::kLive, 4, 0, -1, response(true, 1)};
  const EventResult& result = c.t.send(4, event.data);
  REQUIRE_FALSE(result.error);
  c.group(4)[game().deal_price] = 59;
  CHECK(c.check(event, result) ==
        Violations{std::string(kUnanswered) +
                   ": group 2 closed a deal at 59 from player 1 to player 2, but player 1's "
                   "unanswered offer to player 2 was 60"});
}

TEST_CASE("a deal closed without an accepted offer is reported") {
  CheckedSession c;
  c.group(1)[game().deal_closed] = true;
  c.group(1)[game().deal_price] = 10;
  c.group(1)[game().deal_from] = 2;
  c.group(1)[game().deal_to] = 1;
  CHECK(c.send(1, offer(5, 2)) ==
        Violations{std::string(kUnanswered) +
                   ": group 1 closed a deal at 10 from player 2 to player 1 on an event that was "
                   "not player 1 accepting player 2's offer"});
}

TEST_CASE("a response accepted without an offer to answer is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, offer(60, 2)) == Violations{});
  REQUIRE(c.send(2, response(false, 1)) == Violations{});
  const Event event{EventKind::kLive, 2, 0, -1, response(false, 1)};
  EventResult accepted = c.t.send(2, event.data);
  REQUIRE(accepted.error);
  // As if the game had answered the used-up offer again.
  accepted.error.reset();
  accepted.payload_values.push_back(Json{{"type", "response"}, {"from", 2}, {"accepted", false}});
  accepted.payloads.push_back(accepted.payload_values.back().dump());
  accepted.deliveries.push_back({1, 0});
  CHECK(c.check(event, accepted) ==
        Violations{std::string(kResponses) +
                   ": participant 2's response to player 1 was accepted, but player 1 had no "
                   "unanswered offer to player 2"});
}

TEST_CASE("a message accepted after the deal is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, offer(60, 2)) == Violations{});
  REQUIRE(c.send(2, response(true, 1)) == Violations{});
  const Event event{EventKind::kLive, 1, 0, -1, offer(70, 2)};
  EventResult accepted = c.t.send(1, event.data);
  REQUIRE(accepted.error);
  // As if the game had taken the offer: the error gone, the offer delivered.
  accepted.error.reset();
  accepted.payload_values.push_back(Json{{"type", "offer"}, {"from", 1}, {"value", 70}});
  accepted.payloads.push_back(accepted.payload_values.back().dump());
  accepted.deliveries.push_back({2, 0});
  CHECK(c.check(event, accepted) ==
        Violations{std::string(kAfterTheDeal) +
                   ": participant 1's message {\"to\":2,\"type\":\"offer\",\"value\":70} was "
                   "accepted after group 1's deal closed"});
}

TEST_CASE("deal fields set before the deal is closed are reported") {
  CheckedSession c;
  c.group(3)[game().deal_from] = 1;
  CHECK(c.send(3, offer(5, 2)) == Violations{std::string(kSetWhenClosed) +
                                             ": group 2 has deal_closed false but deal_from 1"});
}

TEST_CASE("an offer delivered to someone besides its addressee is reported") {
  CheckedSession c;
  const Event event{EventKind::kLive, 1, 0, -1, offer(50, 2)};
  EventResult leaky = c.t.send(1, event.data);
  REQUIRE(leaky.deliveries.size() == 1);
  leaky.deliveries.insert(leaky.deliveries.begin(), Delivery{1, 0});
  CHECK(c.check(event, leaky) ==
        Violations{std::string(kAddressees) +
                   ": an offer from participant 1 reached participants [1,2] instead of [2]"});
}

TEST_CASE("an acceptance that misses a member of the group is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, offer(50, 2)) == Violations{});
  const Event event{EventKind::kLive, 2, 0, -1, response(true, 1)};
  EventResult partial = c.t.send(2, event.data);
  REQUIRE(partial.deliveries.size() == 2);
  partial.deliveries.pop_back();
  CHECK(c.check(event, partial) ==
        Violations{std::string(kAddressees) +
                   ": an acceptance from participant 2 reached participants [1] instead of [1,2]"});
}

}  // namespace
}  // namespace livectl::testing
