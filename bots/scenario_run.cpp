#include <algorithm>
#include <map>

#include "bots/scenario.h"
#include "engine/session.h"

namespace livectl {

namespace {

struct StepFailure {
  std::string message;
};

std::string describe(const std::vector<const Json*>& payloads) {
  if (payloads.empty()) return "nothing";
  std::string text;
  for (const Json* payload : payloads) {
    if (!text.empty()) text += " then ";
    text += payload->dump();
  }
  return text;
}

// Compares what each participant received with what the step expects.
std::optional<std::string> compare_deliveries(const Session& session, const ScenarioStep& step,
                                              const EventResult& result) {
  std::map<uint32_t, std::vector<const Json*>> received;
  for (const Delivery& d : result.deliveries) {
    received[d.participant].push_back(&result.payload_values[d.payload]);
  }
  std::map<uint32_t, const Json*> expected;
  const Json* rest = nullptr;
  for (const auto& [key, payload] : step.expect->items()) {
    const uint32_t id = static_cast<uint32_t>(std::stoul(key));
    if (id == 0) {
      rest = &payload;
    } else {
      expected[id] = &payload;
    }
  }
  if (rest && session.player(step.player).has_group()) {
    const Group& group = session.player(step.player).group();
    for (int i = 1; i <= group.size(); ++i) {
      expected.emplace(group.player(i).participant().id_in_session, rest);
    }
  }
  for (uint32_t id = 1; id <= session.participant_count(); ++id) {
    auto want = expected.find(id);
    auto got = received.find(id);
    const std::vector<const Json*> got_list =
        got == received.end() ? std::vector<const Json*>{} : got->second;
    const bool match = want == expected.end()
                           ? got_list.empty()
                           : got_list.size() == 1 && *got_list[0] == *want->second;
    if (!match) {
      return "participant " + std::to_string(id) + " should receive " +
             (want == expected.end() ? std::string("nothing") : want->second->dump()) +
             " but received " + describe(got_list);
    }
  }
  return {};
}

// The group of participant `id`'s current player as the scenario writes
// it: ids in id_in_group order, or null.
Json group_of(const Session& session, uint32_t id) {
  const Player& player = session.player(id);
  if (!player.has_group()) return nullptr;
  Json ids = Json::array();
  for (const Player* member : player.group().players()) ids.push_back(member->id_in_session());
  return ids;
}

// Moves the clock to `time_ms`, firing on the way every page timeout and
// game timer due by then, each at the time it is due, as a served session
// does.
std::optional<std::string> fire_due(Session& session, int64_t time_ms) {
  std::vector<Event> due;
  for (int64_t next = session.next_due_ms(); next <= time_ms; next = session.next_due_ms()) {
    const int64_t at = std::max(next, session.now_ms());
    session.due_events(at, &due);
    for (const Event& event : due) {
      // An earlier event of this pass may have made it moot.
      if (!session.is_due(event)) continue;
      const EventResult& result = session.apply(event);
      if (result.error) {
        if (event.kind == EventKind::kTimer) return *result.error;
        return "the timeout of participant " + std::to_string(event.participant) + " on page " +
               session.describe_page(static_cast<uint32_t>(event.page)) +
               " failed: " + *result.error;
      }
    }
    if (session.next_due_ms() <= at) {
      return "what was due at " + std::to_string(at) + " ms could not be applied";
    }
  }
  return {};
}

std::optional<std::string> check_participant(const Session& session, const ScenarioStep& step) {
  if (step.expect_round) {
    const int round = session.player(step.player).round_number();
    if (round != *step.expect_round) {
      return "participant " + std::to_string(step.player) + " should be in round " +
             std::to_string(*step.expect_round) + " but is in round " + std::to_string(round);
    }
  }
  if (step.expect_page) {
    const std::string& page = session.page_of(session.player(step.player)).name;
    if (page != *step.expect_page) {
      return "participant " + std::to_string(step.player) + " should be on page \"" +
             *step.expect_page + "\" but is on \"" + page + "\"";
    }
  }
  if (step.expect_group) {
    const Json group = group_of(session, step.player);
    if (group != *step.expect_group) {
      return "participant " + std::to_string(step.player) + " should be in group " +
             (step.expect_group->is_null() ? "none" : step.expect_group->dump()) + " but is in " +
             (group.is_null() ? "none" : group.dump());
    }
  }
  return {};
}

// The flow index a submit naming its page claims: that page in the round
// the participant is in, of the game they are in; else the first page of
// that name in the flow (which the engine then refuses as not theirs).
int32_t claimed_page(const Session& session, const ScenarioStep& step) {
  const Player& player = session.player(step.player);
  const uint32_t here = player.participant().page;
  if (const int index = player.game().find_page(step.submit_page); index >= 0) {
    return static_cast<int32_t>(here - session.flow_page_index(here)) + index;
  }
  for (uint32_t flow = 0; flow < session.flow_size(); ++flow) {
    if (session.page_spec(flow).name == step.submit_page) return static_cast<int32_t>(flow);
  }
  return -1;
}

std::optional<std::string> run_step(Session& session, const ScenarioStep& step, int64_t time_ms) {
  if (auto problem = fire_due(session, time_ms)) return problem;
  if (step.kind == ScenarioStep::Kind::kWait) {
    return step.player ? check_participant(session, step) : std::nullopt;
  }
  Event event;
  switch (step.kind) {
    case ScenarioStep::Kind::kSend:
      event.kind = EventKind::kLive;
      break;
    case ScenarioStep::Kind::kSubmit:
      event.kind = EventKind::kSubmit;
      break;
    case ScenarioStep::Kind::kPresence:
      event.kind = EventKind::kPresence;
      break;
    default:
      event.kind = EventKind::kArrive;
      break;
  }
  event.participant = step.player;
  event.time_ms = time_ms;
  event.page = step.submit_page.empty() ? -1 : claimed_page(session, step);
  event.data = step.send;
  const bool wants_error = step.expect_error.value_or(false);
  const std::string before = wants_error ? session.digest() : std::string();

  const EventResult& result = session.apply(event);
  if (result.error) {
    if (!wants_error) return "unexpected error: " + *result.error;
    if (step.expect_error_message && *step.expect_error_message != *result.error) {
      return "expected the error \"" + *step.expect_error_message + "\" but got \"" +
             *result.error + "\"";
    }
    if (session.digest() != before) return "the rejected step changed the state";
  } else if (wants_error) {
    return "expected an error, but the step was accepted";
  }
  if (step.expect) {
    if (auto mismatch = compare_deliveries(session, step, result)) return mismatch;
  }
  return check_participant(session, step);
}

// Compares fields of `game` by name. In a scenario of several games a name
// may belong to another game than the one checked: that is a failure too.
std::optional<std::string> compare_fields(const Json& expected, const Game& game, bool group,
                                          const std::vector<Json>& actual,
                                          const std::string& what) {
  const std::vector<FieldSpec>& specs = group ? game.group_fields() : game.player_fields();
  for (const auto& item : expected.items()) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const std::string& name = item.key();
    const Json& value = item.value();
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const FieldSpec& field) { return field.name == name; });
    if (spec == specs.end()) {
      return what + " is in " + game.name() + ", which has no " + (group ? "group" : "player") +
             " field " + name;
    }
    const Json& got = actual[static_cast<size_t>(spec - specs.begin())];
    if (got != value) return what + " " + name + " is " + got.dump() + ", expected " + value.dump();
  }
  return {};
}

std::optional<std::string> check_final(Session& session, const Scenario& scenario) {
  // The player of participant `id` in the round the checks look at.
  auto player_of = [&](uint32_t id) -> const Player& {
    const Player& current = session.player(id);
    return scenario.final_round > 0 ? current.in_round(scenario.final_round) : current;
  };
  // The round the group checks look at: of the game participant 1 is in
  // (`round`), and as the session counts its rounds over all its games.
  const Player& first = player_of(1);
  const int round = first.round_number();
  const int session_round = session.first_round_of(first.app()) + round - 1;
  if (!scenario.final_matrix.is_null()) {
    const auto matrix = Json(session.group_matrix(session_round));
    if (matrix != scenario.final_matrix) {
      return "round " + std::to_string(round) + "'s groups are " + matrix.dump() + ", expected " +
             scenario.final_matrix.dump();
    }
  }
  if (scenario.final_group.is_object()) {
    if (!player_of(1).has_group()) return "participant 1 has no group";
    const Group& group = player_of(1).group();
    if (auto problem = compare_fields(scenario.final_group, group.game(), true, group.fields(),
                                      "group " + std::to_string(group.id_in_subsession()))) {
      return problem;
    }
  }
  if (scenario.final_groups.is_object()) {
    const auto groups = Subsession(session, session_round).groups();
    for (const auto& [id, fields] : scenario.final_groups.items()) {
      if (std::stoul(id) > groups.size()) {
        return "round " + std::to_string(round) + " has no group " + id;
      }
      const Group& group = *groups[std::stoul(id) - 1];
      if (auto problem =
              compare_fields(fields, group.game(), true, group.fields(), "group " + id)) {
        return problem;
      }
    }
  }
  if (scenario.final_players.is_object()) {
    for (const auto& [id, fields] : scenario.final_players.items()) {
      const Player& player = player_of(static_cast<uint32_t>(std::stoul(id)));
      if (auto problem =
              compare_fields(fields, player.game(), false, player.fields(), "participant " + id)) {
        return problem;
      }
    }
  }
  return {};
}

}  // namespace

ScenarioOutcome run_scenario(const Scenario& scenario) {
  MemoryStore store;
  SessionConfig config;
  config.participants = scenario.participants;
  config.seed = scenario.seed;
  config.config_name = scenario.config;
  config.params = scenario.params;
  config.real_world_currency_per_point = scenario.real_world_currency_per_point;
  config.participation_fee = scenario.participation_fee;
  config.arrivals = scenario.arrivals;
  Session session(scenario.games, store, config);
  int64_t waited_ms = 0;
  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    waited_ms += scenario.steps[i].wait_ms;
    const auto time_ms = static_cast<int64_t>(i + 1) * 1000 + waited_ms;
    if (auto problem = run_step(session, scenario.steps[i], time_ms)) {
      return {false, "step " + std::to_string(i + 1) + ": " + *problem, session.digest()};
    }
  }
  std::optional<std::string> problem;
  try {
    problem = check_final(session, scenario);
  } catch (const std::out_of_range& e) {
    // final.round beyond the rounds of the game a participant is in.
    problem = e.what();
  }
  if (problem) return {false, "final: " + *problem, session.digest()};
  return {true, "", session.digest()};
}

}  // namespace livectl
