// How live_method's outbox becomes deliveries (design.md, "The live-page contract").
#include <doctest/doctest.h>

#include "engine/scripted_game.h"
#include "support.h"

namespace livectl::testing {
namespace {

// Returns whatever outbox the test puts in `next`.
struct Echo {
  Outbox next;
  ScriptedGame game{[this](const ScriptedGame&, Player&, const Json&) { return next; }};
};

std::vector<std::pair<uint32_t, std::string>> deliveries(const EventResult& result) {
  std::vector<std::pair<uint32_t, std::string>> list;
  for (const Delivery& d : result.deliveries)
    list.emplace_back(d.participant, result.payloads[d.payload]);
  return list;
}

using List = std::vector<std::pair<uint32_t, std::string>>;

TEST_CASE("key 0 reaches every member of the sender's group and nobody else") {
  Echo echo;
  TestSession t(echo.game, 6);
  echo.next = {{0, {{"hello", 1}}}};
  const auto& result = t.send(5, 1);
  CHECK_FALSE(result.error);
  CHECK(deliveries(result) ==
        List{{4, R"({"hello":1})"}, {5, R"({"hello":1})"}, {6, R"({"hello":1})"}});
}

TEST_CASE("a specific key wins over key 0") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = {{0, "everyone"}, {2, "just you"}};
  CHECK(deliveries(t.send(1, 1)) ==
        List{{1, R"("everyone")"}, {2, R"("just you")"}, {3, R"("everyone")"}});
}

TEST_CASE("a specific key alone reaches only that player") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = {{3, 42}};
  CHECK(deliveries(t.send(1, 1)) == List{{3, "42"}});
}

TEST_CASE("an empty outbox sends nothing") {
  Echo echo;
  TestSession t(echo.game, 3);
  const auto& result = t.send(1, 1);
  CHECK_FALSE(result.error);
  CHECK(result.deliveries.empty());
}

TEST_CASE("a payload is serialized once however many receive it") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = {{0, {{"big", "payload"}}}};
  const auto& result = t.send(1, 1);
  CHECK(result.payloads.size() == 1);
  CHECK(result.deliveries.size() == 3);
}

TEST_CASE("an id outside the group fails the event with an error to the sender") {
  Echo echo;
  TestSession t(echo.game, 6);
  echo.next = {{0, "hi"}, {4, "not in group 1"}};
  const auto& result = t.send(1, 1);
  REQUIRE(result.error);
  CHECK(*result.error == "live_method returned id 4, which is not in the group (ids 1..3)");
  CHECK(result.deliveries.empty());
}

TEST_CASE("a negative id fails the event") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = {{-1, "x"}};
  REQUIRE(t.send(1, 1).error);
  CHECK(*t.send(1, 1).error == "live_method returned id -1, which is not in the group (ids 1..3)");
}

TEST_CASE("the same id twice fails the event") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = {{2, "a"}, {2, "b"}};
  REQUIRE(t.send(1, 1).error);
  CHECK(*t.send(1, 1).error == "live_method returned id 2 twice");
}

TEST_CASE("a Python-style mapping routes like an outbox") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = Outbox::from_json({{"0", "all"}, {"1", "one"}});
  CHECK(deliveries(t.send(2, 1)) == List{{1, R"("one")"}, {2, R"("all")"}, {3, R"("all")"}});
  echo.next = Outbox::from_json(nullptr);
  CHECK(t.send(2, 1).deliveries.empty());
}

TEST_CASE("a return that is not a mapping fails the event") {
  Echo echo;
  TestSession t(echo.game, 3);
  echo.next = Outbox::from_json(Json::array({1, 2}));
  REQUIRE(t.send(1, 1).error);
  CHECK(*t.send(1, 1).error ==
        "live_method must return a mapping {id_in_group: payload}, not array");
  echo.next = Outbox::from_json({{"first", 1}});
  CHECK(*t.send(1, 1).error == "live_method returned the key 'first', which is not an id_in_group");
}

TEST_CASE("messages go only to members on the sender's live page") {
  Echo echo;
  TestSession t(echo.game, 3);
  REQUIRE_FALSE(t.submit(3).error);  // participant 3 moves on to "middle"
  echo.next = {{0, "live only"}};
  CHECK(deliveries(t.send(1, 1)) == List{{1, R"("live only")"}, {2, R"("live only")"}});
}

TEST_CASE("a member the game advances during the event still gets that event's messages") {
  ScriptedGame game([](const ScriptedGame&, Player& player, const Json&) -> Outbox {
    for (int id = 1; id <= player.group().size(); ++id) player.group().player(id).advance_page();
    return {{0, "finished"}};
  });
  TestSession t(game, 3);
  const auto& result = t.send(2, 1);
  CHECK(deliveries(result) ==
        List{{1, R"("finished")"}, {2, R"("finished")"}, {3, R"("finished")"}});
  CHECK(result.page_changes == std::vector<uint32_t>{1, 2, 3});
  CHECK(t.page(1) == "middle");
}

TEST_CASE("a live message from a participant on a page that is not live is rejected") {
  Echo echo;
  TestSession t(echo.game, 3);
  REQUIRE_FALSE(t.submit(1).error);
  REQUIRE_FALSE(t.submit(1).error);
  const auto& result = t.send(1, 1);
  REQUIRE(result.error);
  CHECK(*result.error == "participant 1 is not on a live page (on 'results')");
}

TEST_CASE("an unknown participant is rejected") {
  Echo echo;
  TestSession t(echo.game, 3);
  REQUIRE(t.send(4, 1).error);
  CHECK(*t.send(0, 1).error == "there is no participant 0 in this session");
}

TEST_CASE("a submit advances exactly one page and a double submit changes nothing") {
  Echo echo;
  TestSession t(echo.game, 3);
  CHECK(t.submit(1, t.page_index("live")).page_changes == std::vector<uint32_t>{1});
  CHECK(t.page(1) == "middle");
  const auto& again = t.submit(1, t.page_index("live"));
  REQUIRE(again.error);
  CHECK(*again.error == "participant 1 is on page 'middle', not 'live'");
  CHECK(t.page(1) == "middle");
  REQUIRE_FALSE(t.submit(1).error);
  CHECK(*t.submit(1).error == "page 'results' is the last page; there is nothing to submit");
}

TEST_CASE("every event, rejected or not, gets the next sequence number and is logged") {
  Echo echo;
  TestSession t(echo.game, 3);
  CHECK(t.send(1, 1).seq == 1);
  CHECK(t.send(9, 1).seq == 2);
  CHECK(t.submit(2).seq == 3);
  REQUIRE(t.store.log().size() == 3);
  CHECK(t.store.log()[1].error ==
        std::optional<std::string>("there is no participant 9 in this session"));
  CHECK(t.session.last_seq() == 3);
}

}  // namespace
}  // namespace livectl::testing
