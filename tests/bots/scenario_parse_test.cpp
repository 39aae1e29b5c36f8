// Scenario files with mistakes are rejected with the file, the place and the
// reason (design.md, "What bad input gets"). The texts are the contract.
#include <doctest/doctest.h>

#include "bots/scenario.h"

namespace livectl {
namespace {

std::string error_for(const std::string& text) {
  try {
    parse_scenario(text, "s.json");
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("a well-formed scenario parses with its defaults") {
  const Scenario s =
      parse_scenario(R"({"game": "auction", "steps": [{"player": 2, "send": 5}]})", "a.json");
  CHECK(s.name == "a.json");
  REQUIRE(s.games.size() == 1);
  CHECK(s.games[0]->name() == "auction");
  CHECK(s.participants == 3);
  CHECK(s.seed == 1);
  REQUIRE(s.steps.size() == 1);
  CHECK(s.steps[0].player == 2);
  CHECK(s.steps[0].send == 5);
  CHECK_FALSE(s.steps[0].expect);
}

TEST_CASE("invalid JSON is reported with its line and column") {
  CHECK(
      error_for("{\n  \"game\": \"auction\",\n  \"steps\": [}\n") ==
      "s.json: invalid JSON: parse error at line 3, column 13: syntax error while parsing value - "
      "unexpected '}'; expected '[', '{', or a literal");
}

TEST_CASE("a number beyond a double in a step names the file, the step and the reason") {
  // Regression: 1e400 used to escape as nlohmann's out_of_range exception.
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "send": 5},
                   {"player": 2, "send": 1e400}]})") ==
        "s.json: step 2: invalid JSON: number overflow parsing '1e400' at byte 98 "
        "(a number too large for a double)");
  CHECK(error_for(R"({"game": "auction", "steps": [1e400]})") ==
        "s.json: step 1: invalid JSON: number overflow parsing '1e400' at byte 31 "
        "(a number too large for a double)");
  CHECK(error_for(R"({"game": "auction", "seed": -1e400, "steps": []})") ==
        "s.json: invalid JSON: number overflow parsing '-1e400' at byte 29 "
        "(a number too large for a double)");
}

TEST_CASE("a scenario that is not an object is rejected") {
  CHECK(error_for("[1, 2]") == "s.json: a scenario must be a JSON object");
}

TEST_CASE("an unknown top-level key is rejected so typos do not pass silently") {
  CHECK(error_for(R"({"game": "auction", "stpes": []})") == "s.json: unknown key \"stpes\"");
}

TEST_CASE("a missing or unknown game is rejected with the known games") {
  CHECK(error_for(R"({"steps": []})") ==
        "s.json: \"game\" must name a game (auction, tictactoe, bargaining, ten_messages), or "
        "\"config\" a session configuration");
  CHECK(error_for(R"({"game": "chess", "steps": []})") ==
        "s.json: unknown game \"chess\" (known: auction, tictactoe, bargaining, ten_messages)");
}

TEST_CASE("participants must be a positive multiple of the group size") {
  CHECK(error_for(R"({"game": "auction", "participants": 4, "steps": []})") ==
        "s.json: \"participants\" must be a positive multiple of 3 (the group size of auction), "
        "not 4");
  CHECK(error_for(R"({"game": "auction", "participants": 0, "steps": []})") ==
        "s.json: \"participants\" must be a positive multiple of 3 (the group size of auction), "
        "not 0");
  CHECK(error_for(R"({"game": "auction", "participants": "3", "steps": []})") ==
        "s.json: \"participants\" must be a positive multiple of 3 (the group size of auction), "
        "not \"3\"");
}

TEST_CASE("a session larger than a scenario needs is refused with the limit") {
  CHECK(error_for(R"({"game": "auction", "participants": 300000, "steps": []})") ==
        "s.json: \"participants\" must be at most 100000, not 300000");
}

TEST_CASE("an expect key with a leading zero is not an id, so it cannot alias another key") {
  CHECK(error_for(
            R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect": {"01": 1}}]})") ==
        "s.json: step 1: \"expect\" key \"01\" must be \"0\" or a participant id from 1 to 3");
}

TEST_CASE("the seed must be a non-negative integer") {
  CHECK(error_for(R"({"game": "auction", "seed": -1, "steps": []})") ==
        "s.json: \"seed\" must be a non-negative integer, not -1");
}

TEST_CASE("steps must be an array") {
  CHECK(error_for(R"({"game": "auction"})") == "s.json: \"steps\" must be an array of steps");
}

TEST_CASE("a step names its number in every error") {
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "send": 1}, 7]})") ==
        "s.json: step 2: a step must be an object");
  CHECK(error_for(R"({"game": "auction", "steps": [{"send": 1}]})") ==
        "s.json: step 1: missing \"player\" (a participant id from 1 to 3)");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 4, "send": 1}]})") ==
        "s.json: step 1: \"player\" must be a participant id from 1 to 3, not 4");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "sned": 1}]})") ==
        "s.json: step 1: unknown key \"sned\"");
}

TEST_CASE("a step needs exactly one action") {
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1}]})") ==
        "s.json: step 1: a step needs exactly one of \"send\", \"submit\", \"arrive\", \"wait\" "
        "and \"presence\"");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "send": 1, "submit": true}]})") ==
        "s.json: step 1: a step needs exactly one of \"send\", \"submit\", \"arrive\", \"wait\" "
        "and \"presence\"");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "submit": 3}]})") ==
        "s.json: step 1: \"submit\" must be true or the name of the page being submitted");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "submit": "lobby"}]})") ==
        "s.json: step 1: auction has no page \"lobby\"");
}

TEST_CASE("arrivals, arrive and wait steps, expect_group and the final matrix are checked") {
  CHECK(error_for(R"({"game": "auction", "arrivals": 1, "steps": []})") ==
        "s.json: \"arrivals\" must be true or false");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "arrive": 5}]})") ==
        "s.json: step 1: \"arrive\" must be true or the participant's label");
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "arrive": true, "wait": 5}]})") ==
        "s.json: step 1: a step needs exactly one of \"send\", \"submit\", \"arrive\", \"wait\" "
        "and \"presence\"");
  CHECK(error_for(R"({"game": "auction", "steps": [{"wait": 86400001}]})") ==
        "s.json: step 1: \"wait\" must be milliseconds from 1 to 86400000, not 86400001");
  CHECK(error_for(R"({"game": "auction", "steps": [{"wait": 10, "expect_error": true}]})") ==
        "s.json: step 1: a wait step sends nothing, so it has no \"expect_error\"");
  CHECK(error_for(R"({"game": "auction", "steps": [{"wait": 10, "expect_group": null}]})") ==
        "s.json: step 1: a wait step's checks need \"player\"");
  CHECK(error_for(
            R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect_group": []}]})") ==
        "s.json: step 1: \"expect_group\" must be the group's participant ids (1..3) in "
        "id_in_group order, or null, not []");
  CHECK(error_for(R"({"game": "auction", "steps": [], "final": {"matrix": [[1], []]}})") ==
        "s.json: final.matrix: must be an array of groups, each an array of participant ids "
        "(1..3) in id_in_group order");

  const Scenario parsed = parse_scenario(R"({"game": "auction", "arrivals": true, "steps": [
      {"player": 2, "arrive": "PC02", "expect_group": null},
      {"wait": 1500},
      {"wait": 10, "player": 2, "expect_group": [1, 2, 3]}],
      "final": {"matrix": [[1, 2, 3]]}})",
                                         "s.json");
  CHECK(parsed.arrivals);
  REQUIRE(parsed.steps.size() == 3);
  CHECK(parsed.steps[0].kind == ScenarioStep::Kind::kArrive);
  CHECK(parsed.steps[0].send == Json{{"label", "PC02"}});
  CHECK(parsed.steps[0].expect_group == Json(nullptr));
  CHECK(parsed.steps[1].kind == ScenarioStep::Kind::kWait);
  CHECK(parsed.steps[1].player == 0);
  CHECK(parsed.steps[1].wait_ms == 1500);
  CHECK(parsed.steps[2].expect_group == Json::array({1, 2, 3}));
  CHECK(parsed.final_matrix == Json::array({Json::array({1, 2, 3})}));
}

TEST_CASE("expectations are checked for shape") {
  CHECK(error_for(R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect": [1]}]})") ==
        "s.json: step 1: \"expect\" must be an object keyed by participant ids");
  CHECK(error_for(
            R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect": {"x": 1}}]})") ==
        "s.json: step 1: \"expect\" key \"x\" must be \"0\" or a participant id from 1 to 3");
  CHECK(error_for(
            R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect": {"4": 1}}]})") ==
        "s.json: step 1: \"expect\" key \"4\" must be \"0\" or a participant id from 1 to 3");
  CHECK(
      error_for(R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect_error": 1}]})") ==
      "s.json: step 1: \"expect_error\" must be true, false or the expected error message");
  CHECK(
      error_for(
          R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect_error": true, "expect": {"0": 1}}]})") ==
      "s.json: step 1: a step that expects an error cannot also expect deliveries");
  CHECK(
      error_for(
          R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect_page": "lobby"}]})") ==
      "s.json: step 1: \"expect_page\" must name a page of auction, not \"lobby\"");
}

TEST_CASE("final checks name fields and ids that exist") {
  CHECK(error_for(R"({"game": "auction", "steps": [], "final": {"grup": {}}})") ==
        "s.json: final: unknown key \"grup\"");
  CHECK(error_for(R"({"game": "auction", "steps": [], "final": {"group": {"winner": 1}}})") ==
        "s.json: final.group: auction has no group field \"winner\"");
  CHECK(error_for(R"({"game": "auction", "steps": [], "final": {"groups": {"2": {}}}})") ==
        "s.json: final.groups: there is no group 2 (ids 1..1)");
  CHECK(error_for(R"({"game": "auction", "steps": [], "final": {"players": {"3": {"bid": 1}}}})") ==
        "s.json: final.players.3: auction has no player field \"bid\"");
}

}  // namespace
}  // namespace livectl
