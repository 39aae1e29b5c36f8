#pragma once
// Scenario files (docs/scenarios.md): a game, a session size and seed, steps
// that send or submit as a participant and say what must come back, and the
// fields expected at the end.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/game.h"
#include "engine/json.h"

namespace livectl {

// A scenario file that cannot be run: what() is "FILE: [step N: ]reason".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ScenarioStep {
  // kArrive: the participant opens their link (a scenario with arrivals);
  // kWait: the clock moves on and due page timers fire; kPresence: the
  // participant's last page goes away (send false) or one comes back (true).
  enum class Kind { kSend, kSubmit, kArrive, kWait, kPresence };
  Kind kind = Kind::kSend;
  uint32_t player = 0;  // id_in_session; 0 = none (a wait step without checks)
  Json send;  // a send's data, a submit's form, an arrive's {"label": ...}, {"present": ...}
  int64_t wait_ms = 0;  // kWait: how far the clock moves on
  // The page being submitted, when the step names it: a page of the game
  // the participant is in (the first in the flow with that name otherwise).
  std::string submit_page;
  std::optional<Json> expect;  // object keyed by participant ids ("0" = rest of group)
  std::optional<bool> expect_error;
  std::optional<std::string> expect_error_message;
  std::optional<std::string> expect_page;
  std::optional<int> expect_round;  // the participant's round after the step
  // The participant's group after the step: id_in_session values in
  // id_in_group order, or null for no group yet.
  std::optional<Json> expect_group;
};

struct Scenario {
  std::string file;
  std::string name;
  // The games it plays: one, or a configuration's app sequence.
  std::vector<const Game*> games;
  // The session configuration (oTree's SESSION_CONFIGS entry) and the
  // parameter values the scenario gives, over the configuration's.
  std::string config;  // "" = the game's own
  Json params = Json::object();
  double real_world_currency_per_point = 1;
  double participation_fee = 0;
  int participants = 0;
  uint64_t seed = 1;
  // Participants are absent until an "arrive" step, as in a served session.
  bool arrivals = false;
  std::vector<ScenarioStep> steps;
  Json final_group;    // object or null: checks on participant 1's group
  Json final_groups;   // object keyed by id_in_subsession, or null
  Json final_players;  // object keyed by id_in_session, or null
  Json final_matrix;   // array of id_in_session rows, or null
  // The round the final checks look at, of the game each participant is in;
  // 0 = each participant's current one.
  int final_round = 0;
};

// Parses and validates a scenario. Throws ScenarioError naming `file`, the
// step and the reason for anything that is not a well-formed scenario.
Scenario parse_scenario(const std::string& text, const std::string& file);

struct ScenarioOutcome {
  bool passed = false;
  std::string failure;  // "step N: ..." or "final: ..."
  std::string digest;   // the session's state digest when the scenario stopped
};

// Runs a scenario in memory with a virtual clock (step k at k seconds, plus
// the waits before it); page timers that ran out fire before each step.
ScenarioOutcome run_scenario(const Scenario& scenario);

}  // namespace livectl
