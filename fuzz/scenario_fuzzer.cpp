// Target (b): scenario files (bots/scenario.h, docs/scenarios.md).
// The bytes are the file's text. Checks: parse_scenario either returns a
// scenario or throws ScenarioError (any other exception escapes to `livectl
// test` as a crash rather than "FILE: reason"); the message starts with the
// file's name; a scenario that parsed and is small enough to run quickly
// runs to a pass or a failure without throwing.
#include <string>

#include "bots/scenario.h"
#include "fuzz/fuzz_input.h"
#include "games/examples.h"

namespace {

// Bounds on running a parsed scenario: enough to exercise every step kind
// and several groups, small enough to keep thousands of runs a second.
constexpr int kMaxRunParticipants = 24;
constexpr size_t kMaxRunSteps = 64;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  livectl_register_examples();  // as a livectl binary's main does
  const std::string text(reinterpret_cast<const char*>(data), size);
  livectl::Scenario scenario;
  try {
    scenario = livectl::parse_scenario(text, "fuzz.json");
  } catch (const livectl::ScenarioError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.json: "),
               "the error does not name the file: %s", e.what());
    return 0;
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "parse_scenario threw something other than ScenarioError: %s", e.what());
  }
  FUZZ_CHECK(!scenario.games.empty(), "a parsed scenario has no game");
  FUZZ_CHECK(livectl::participant_count_fits(scenario.games, scenario.participants),
             "%d participants", scenario.participants);
  if (scenario.participants > kMaxRunParticipants || scenario.steps.size() > kMaxRunSteps) return 0;
  try {
    const livectl::ScenarioOutcome outcome = livectl::run_scenario(scenario);
    FUZZ_CHECK(outcome.passed == outcome.failure.empty(), "passed=%d with failure \"%s\"",
               outcome.passed, outcome.failure.c_str());
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "run_scenario threw: %s", e.what());
  }
  return 0;
}
