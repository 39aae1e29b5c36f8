// What makes a scenario step pass or fail.
#include <doctest/doctest.h>

#include "bots/scenario.h"

namespace livectl {
namespace {

ScenarioOutcome run(const std::string& text) {
  return run_scenario(parse_scenario(text, "s.json"));
}

TEST_CASE("a step passes when every participant receives exactly what it expects") {
  CHECK(run(R"({"game": "auction", "steps": [
      {"player": 1, "send": 10, "expect": {"0": {"id_in_group": 1, "bid": 10}}}]})")
            .passed);
}

TEST_CASE("a payload that differs fails the step and says who got what") {
  const auto outcome = run(R"({"game": "auction", "steps": [
      {"player": 1, "send": 10, "expect": {"0": {"id_in_group": 1, "bid": 11}}}]})");
  CHECK_FALSE(outcome.passed);
  CHECK(
      outcome.failure ==
      R"(step 1: participant 1 should receive {"bid":11,"id_in_group":1} but received {"bid":10,"id_in_group":1})");
}

TEST_CASE("a delivery nobody expected fails the step") {
  const auto outcome = run(R"({"game": "auction", "steps": [
      {"player": 1, "send": 10, "expect": {"1": {"id_in_group": 1, "bid": 10}}}]})");
  CHECK(outcome.failure ==
        R"(step 1: participant 2 should receive nothing but received {"bid":10,"id_in_group":1})");
}

TEST_CASE("an empty expectation means nobody receives anything") {
  const auto outcome =
      run(R"({"game": "auction", "steps": [{"player": 1, "send": 10, "expect": {}}]})");
  CHECK(outcome.failure ==
        R"(step 1: participant 1 should receive nothing but received {"bid":10,"id_in_group":1})");
}

TEST_CASE("an error that the step does not expect fails it") {
  const auto outcome = run(R"({"game": "auction", "steps": [{"player": 1, "send": "x"}]})");
  CHECK(outcome.failure == "step 1: unexpected error: a bid must be a number");
}

TEST_CASE("an expected error that does not come fails the step") {
  const auto outcome =
      run(R"({"game": "auction", "steps": [{"player": 1, "send": 1, "expect_error": true}]})");
  CHECK(outcome.failure == "step 1: expected an error, but the step was accepted");
}

TEST_CASE("an expected error message must match exactly") {
  const auto outcome = run(
      R"({"game": "auction", "steps": [{"player": 1, "send": "x", "expect_error": "bad bid"}]})");
  CHECK(outcome.failure ==
        "step 1: expected the error \"bad bid\" but got \"a bid must be a number\"");
}

TEST_CASE("the final check reports the first field that differs") {
  const auto outcome =
      run(R"({"game": "auction", "participants": 6, "steps": [{"player": 4, "send": 3}],
      "final": {"groups": {"2": {"highest_bid": 4}}}})");
  CHECK(outcome.failure == "final: group 2 highest_bid is 3, expected 4");
}

TEST_CASE("with arrivals, a wait page holds arrivals until its timer fires in a wait step") {
  // The auction's wait page lets those present go on after 60 s.
  const auto outcome = run(R"json({"game": "auction", "arrivals": true, "steps": [
      {"player": 1, "send": 5, "expect_error": "participant 1 has not arrived yet (an arrive event comes first)"},
      {"player": 1, "arrive": "PC01", "expect_page": "waiting"},
      {"player": 2, "arrive": true, "expect_page": "waiting", "expect_group": [1, 2, 3]},
      {"wait": 57000, "player": 1, "expect_page": "waiting"},
      {"wait": 1000, "player": 1, "expect_page": "live"},
      {"player": 2, "send": 7, "expect": {"1": {"id_in_group": 2, "bid": 7}, "2": {"id_in_group": 2, "bid": 7}}},
      {"player": 3, "arrive": true, "expect_page": "live"}],
      "final": {"matrix": [[1, 2, 3]], "group": {"highest_bid": 7}}})json");
  INFO(outcome.failure);
  CHECK(outcome.passed);
}

TEST_CASE("a group or a matrix that differs fails with both") {
  auto outcome = run(R"({"game": "auction", "participants": 6, "steps": [
      {"player": 4, "send": 1, "expect_group": [4, 6, 5]}]})");
  CHECK(outcome.failure == "step 1: participant 4 should be in group [4,6,5] but is in [4,5,6]");
  outcome = run(R"({"game": "auction", "participants": 6, "steps": [],
      "final": {"matrix": [[1, 2, 3]]}})");
  CHECK(outcome.failure == "final: round 1's groups are [[1,2,3],[4,5,6]], expected [[1,2,3]]");
}

TEST_CASE("the page after a step can be checked") {
  const auto outcome = run(
      R"({"game": "auction", "steps": [{"player": 1, "submit": true, "expect_page": "live"}]})");
  CHECK(outcome.failure ==
        "step 1: participant 1 should be on page \"live\" but is on \"results\"");
}

}  // namespace
}  // namespace livectl
