#include <algorithm>
#include <charconv>

#include "bots/scenario.h"
#include "engine/registry.h"
#include "engine/study_config.h"

namespace livectl {

namespace {

// A scenario is a readable test; this bounds the memory one typo can take.
constexpr int64_t kMaxParticipants = 100000;

[[noreturn]] void fail(const std::string& where, const std::string& reason) {
  throw ScenarioError(where + ": " + reason);
}

void reject_unknown_keys(const Json& object, std::initializer_list<const char*> known,
                         const std::string& where) {
  for (const auto& item : object.items()) {
    // Not a structured binding: clang 14 (the fuzz build, scripts/fuzz.sh)
    // cannot capture one in a lambda.
    const std::string& key = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      fail(where, "unknown key \"" + key + "\"");
    }
  }
}

// A key like "3" as a number; -1 for anything else.
int64_t parse_id(const std::string& key) {
  int64_t id = -1;
  const char* end = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(key.data(), end, id);
  // "01" would silently alias "1", so only canonical spellings are ids.
  if (key.empty() || ec != std::errc() || ptr != end || id < 0 ||
      (key.size() > 1 && key[0] == '0')) {
    return -1;
  }
  return id;
}

bool is_positive_integer(const Json& value) {
  return value.is_number_integer() && value.get<int64_t>() > 0;
}

// "auction", or "public_goods, survey" for a scenario of several games.
std::string games_name(const Scenario& scenario) {
  std::string names;
  for (const Game* game : scenario.games) names += (names.empty() ? "" : ", ") + game->name();
  return names;
}

// The most rounds any of the scenario's games has.
int most_rounds(const Scenario& scenario) {
  int rounds = 0;
  for (const Game* game : scenario.games) rounds = std::max(rounds, game->num_rounds());
  return rounds;
}

bool has_page(const Scenario& scenario, const std::string& name) {
  return std::any_of(scenario.games.begin(), scenario.games.end(),
                     [&](const Game* game) { return game->find_page(name) >= 0; });
}

// The longest a wait step moves the clock: a day.
constexpr int64_t kMaxWaitMs = 24LL * 60 * 60 * 1000;

ScenarioStep parse_step(const Json& json, const Scenario& scenario, const std::string& where) {
  if (!json.is_object()) fail(where, "a step must be an object");
  reject_unknown_keys(json,
                      {"player", "send", "submit", "form", "arrive", "wait", "presence", "expect",
                       "expect_error", "expect_page", "expect_round", "expect_group"},
                      where);
  ScenarioStep step;
  const auto n = static_cast<int64_t>(scenario.participants);
  const std::string range = "a participant id from 1 to " + std::to_string(n);
  const int actions =
      static_cast<int>(json.contains("send")) + static_cast<int>(json.contains("submit")) +
      static_cast<int>(json.contains("arrive")) + static_cast<int>(json.contains("wait")) +
      static_cast<int>(json.contains("presence"));
  if (actions != 1) {
    fail(where,
         "a step needs exactly one of \"send\", \"submit\", \"arrive\", \"wait\" and "
         "\"presence\"");
  }
  const bool waits = json.contains("wait");
  if (!json.contains("player") && !waits) fail(where, "missing \"player\" (" + range + ")");
  if (json.contains("player")) {
    const Json& player = json["player"];
    if (!player.is_number_integer() || player.get<int64_t>() < 1 || player.get<int64_t>() > n) {
      fail(where, "\"player\" must be " + range + ", not " + player.dump());
    }
    step.player = player.get<uint32_t>();
  }
  if (waits) {
    const Json& wait = json["wait"];
    if (!is_positive_integer(wait) || wait.get<int64_t>() > kMaxWaitMs) {
      fail(where, "\"wait\" must be milliseconds from 1 to " + std::to_string(kMaxWaitMs) +
                      ", not " + wait.dump());
    }
    step.kind = ScenarioStep::Kind::kWait;
    step.wait_ms = wait.get<int64_t>();
    for (const char* key : {"expect", "expect_error"}) {
      if (json.contains(key)) {
        fail(where, std::string("a wait step sends nothing, so it has no \"") + key + "\"");
      }
    }
    if (!step.player && (json.contains("expect_page") || json.contains("expect_round") ||
                         json.contains("expect_group"))) {
      fail(where, "a wait step's checks need \"player\"");
    }
  } else if (json.contains("presence")) {
    step.kind = ScenarioStep::Kind::kPresence;
    if (!json["presence"].is_boolean()) {
      fail(where, "\"presence\" must be false (the participant's last page went away) or true");
    }
    step.send = Json::object({{"present", json["presence"]}});
  } else if (json.contains("arrive")) {
    step.kind = ScenarioStep::Kind::kArrive;
    const Json& arrive = json["arrive"];
    if (arrive.is_string()) {
      step.send = Json{{"label", arrive}};
    } else if (arrive != true) {
      fail(where, "\"arrive\" must be true or the participant's label");
    }
  }
  const bool sends = json.contains("send");
  const bool submits = json.contains("submit");
  if (sends) {
    step.kind = ScenarioStep::Kind::kSend;
    step.send = json["send"];
  } else if (submits) {
    step.kind = ScenarioStep::Kind::kSubmit;
    const Json& submit = json["submit"];
    if (submit.is_string()) {
      step.submit_page = submit.get<std::string>();
      if (!has_page(scenario, step.submit_page)) {
        fail(where, games_name(scenario) + " has no page \"" + step.submit_page + "\"");
      }
    } else if (submit != true) {
      fail(where, "\"submit\" must be true or the name of the page being submitted");
    }
    if (json.contains("form")) {
      if (!json["form"].is_object()) {
        fail(where, "\"form\" must be an object of form field values");
      }
      step.send = json["form"];
    }
  }
  if (json.contains("form") && !submits) fail(where, "\"form\" goes with \"submit\"");

  if (json.contains("expect")) {
    const Json& expect = json["expect"];
    if (!expect.is_object()) fail(where, "\"expect\" must be an object keyed by participant ids");
    for (const auto& [key, payload] : expect.items()) {
      const int64_t id = parse_id(key);
      if (id < 0 || id > n) {
        fail(where, "\"expect\" key \"" + key + "\" must be \"0\" or " + range);
      }
    }
    step.expect = expect;
  }
  if (json.contains("expect_error")) {
    const Json& expect_error = json["expect_error"];
    if (expect_error.is_boolean()) {
      step.expect_error = expect_error.get<bool>();
    } else if (expect_error.is_string()) {
      step.expect_error = true;
      step.expect_error_message = expect_error.get<std::string>();
    } else {
      fail(where, "\"expect_error\" must be true, false or the expected error message");
    }
    if (*step.expect_error && step.expect && !step.expect->empty()) {
      fail(where, "a step that expects an error cannot also expect deliveries");
    }
  }
  if (json.contains("expect_round")) {
    const Json& round = json["expect_round"];
    if (!is_positive_integer(round) || round.get<int64_t>() > most_rounds(scenario)) {
      fail(where, "\"expect_round\" must be a round of " + games_name(scenario) + " (1.." +
                      std::to_string(most_rounds(scenario)) + "), not " + round.dump());
    }
    step.expect_round = round.get<int>();
  }
  if (json.contains("expect_page")) {
    const Json& page = json["expect_page"];
    if (!page.is_string() || !has_page(scenario, page.get<std::string>())) {
      fail(where,
           "\"expect_page\" must name a page of " + games_name(scenario) + ", not " + page.dump());
    }
    step.expect_page = page.get<std::string>();
  }
  if (json.contains("expect_group")) {
    const Json& group = json["expect_group"];
    bool valid = group.is_null() || (group.is_array() && !group.empty());
    if (group.is_array()) {
      for (const Json& id : group) {
        valid = valid && id.is_number_integer() && id.get<int64_t>() >= 1 && id.get<int64_t>() <= n;
      }
    }
    if (!valid) {
      fail(where, "\"expect_group\" must be the group's participant ids (1.." + std::to_string(n) +
                      ") in id_in_group order, or null, not " + group.dump());
    }
    step.expect_group = group;
  }
  return step;
}

void check_fields(const Json& fields, bool group, const Scenario& scenario,
                  const std::string& where) {
  if (!fields.is_object()) fail(where, "must be an object of field names and values");
  for (const auto& item : fields.items()) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const std::string& name = item.key();
    const bool found = std::any_of(scenario.games.begin(), scenario.games.end(), [&](auto game) {
      return (group ? game->find_group_field(name) : game->find_player_field(name)) >= 0;
    });
    if (!found) {
      fail(where, games_name(scenario) + " has no " + (group ? "group" : "player") + " field \"" +
                      name + "\"");
    }
  }
}

void parse_final(const Json& final, const std::string& file, Scenario& scenario) {
  const std::string where = file + ": final";
  if (!final.is_object()) fail(where, "must be an object");
  reject_unknown_keys(final, {"round", "group", "groups", "players", "matrix"}, where);
  if (final.contains("round")) {
    const Json& round = final["round"];
    if (!is_positive_integer(round) || round.get<int64_t>() > most_rounds(scenario)) {
      fail(where + ".round", "must be a round of " + games_name(scenario) + " (1.." +
                                 std::to_string(most_rounds(scenario)) + "), not " + round.dump());
    }
    scenario.final_round = round.get<int>();
  }
  if (final.contains("group")) {
    check_fields(final["group"], true, scenario, where + ".group");
    scenario.final_group = final["group"];
  }
  // The most groups a round can have: groups formed by arrival time may be
  // smaller, down to one player each.
  int64_t groups = 0;
  for (const Game* game : scenario.games) {
    groups = std::max<int64_t>(groups, game->pages().front().by_arrival
                                           ? scenario.participants
                                           : scenario.participants / game->players_per_group());
  }
  if (final.contains("matrix")) {
    const Json& matrix = final["matrix"];
    bool valid = matrix.is_array();
    for (const Json& row : valid ? matrix : Json::array()) {
      valid = valid && row.is_array() && !row.empty();
      for (const Json& id : row.is_array() ? row : Json::array()) {
        valid = valid && id.is_number_integer() && id.get<int64_t>() >= 1 &&
                id.get<int64_t>() <= scenario.participants;
      }
    }
    if (!valid) {
      fail(where + ".matrix", "must be an array of groups, each an array of participant ids (1.." +
                                  std::to_string(scenario.participants) + ") in id_in_group order");
    }
    scenario.final_matrix = matrix;
  }
  for (const char* key : {"groups", "players"}) {
    if (!final.contains(key)) continue;
    const bool is_groups = std::string(key) == "groups";
    const int64_t count = is_groups ? groups : scenario.participants;
    const Json& entries = final[key];
    if (!entries.is_object()) fail(where + "." + key, "must be an object keyed by ids");
    for (const auto& [id, fields] : entries.items()) {
      const int64_t n = parse_id(id);
      if (n < 1 || n > count) {
        fail(where + "." + key, std::string("there is no ") +
                                    (is_groups ? "group " : "participant ") + id + " (ids 1.." +
                                    std::to_string(count) + ")");
      }
      check_fields(fields, is_groups, scenario, where + "." + key + "." + id);
    }
    (is_groups ? scenario.final_groups : scenario.final_players) = entries;
  }
}

// Follows where a parse is in the document, so that a JSON error inside a
// step can name the step. A first pass over the text, run only when parsing
// failed.
class JsonErrorLocator final : public nlohmann::json_sax<Json> {
 public:
  // "step N" when the error is inside the N-th step, else "".
  std::string step() const {
    if (path_.size() < 2 || path_[0].array || path_[0].key != "steps" || !path_[1].array) return "";
    // The failing value itself is not counted yet when it is the step.
    const int64_t index = path_.size() == 2 ? path_[1].index + 1 : path_[1].index;
    return "step " + std::to_string(index + 1);
  }
  // Where the value that failed starts, counting bytes from 1.
  std::size_t error_byte() const { return error_byte_; }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    value();
    path_.push_back({false, -1, ""});
    return true;
  }
  bool key(string_t& key) override {
    path_.back().key = key;
    return true;
  }
  bool end_object() override {
    path_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    value();
    path_.push_back({true, -1, ""});
    return true;
  }
  bool end_array() override {
    path_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception&) override {
    // `position` counts the bytes read, up to the end of the failing token.
    error_byte_ = position >= last_token.size() ? position - last_token.size() + 1 : 1;
    return false;
  }

 private:
  struct Level {
    bool array;
    int64_t index;    // arrays: the element being read
    std::string key;  // objects: the member being read
  };
  bool value() {
    if (!path_.empty() && path_.back().array) ++path_.back().index;
    return true;
  }
  std::vector<Level> path_;
  std::size_t error_byte_ = 0;
};

// nlohmann's exception text without its "[json.exception.parse_error.101] " prefix.
std::string json_error_reason(const Json::exception& e) {
  std::string reason = e.what();
  if (auto bracket = reason.find("] "); bracket != std::string::npos) reason.erase(0, bracket + 2);
  return reason;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& file) {
  Json json;
  try {
    json = Json::parse(text);
  } catch (const Json::exception& e) {
    // parse_error for bad syntax; out_of_range (406) for a number beyond a
    // double, such as 1e400, which JSON allows and a double cannot hold.
    // Syntax errors carry their line and column; a number overflow carries
    // neither, so it is placed by a second pass.
    std::string reason = json_error_reason(e);
    std::string where = file;
    if (e.id == 406) {
      JsonErrorLocator locator;
      Json::sax_parse(text, &locator);
      reason +=
          " at byte " + std::to_string(locator.error_byte()) + " (a number too large for a double)";
      if (!locator.step().empty()) where += ": " + locator.step();
    }
    fail(where, "invalid JSON: " + reason);
  }
  if (!json.is_object()) fail(file, "a scenario must be a JSON object");
  reject_unknown_keys(
      json,
      {"name", "game", "config", "params", "participants", "seed", "arrivals", "steps", "final"},
      file);

  Scenario scenario;
  scenario.file = file;
  if (json.contains("name")) {
    if (!json["name"].is_string()) fail(file, "\"name\" must be a string");
    scenario.name = json["name"].get<std::string>();
  } else {
    scenario.name = file;
  }
  std::optional<StudyConfig> config;
  if (json.contains("config")) {
    if (!json["config"].is_string()) fail(file, "\"config\" must name a session configuration");
    config = find_config(json["config"].get<std::string>());
    if (!config) {
      fail(file,
           "unknown configuration " + json["config"].dump() + " (known: " + config_names() + ")");
    }
  }
  if (json.contains("game") || !config) {
    if (!json.contains("game") || !json["game"].is_string()) {
      fail(file, "\"game\" must name a game (" + game_names() +
                     "), or \"config\" a session "
                     "configuration");
    }
    const std::string game_name = json["game"].get<std::string>();
    const Game* game = find_game(game_name);
    if (!game) fail(file, "unknown game \"" + game_name + "\" (known: " + game_names() + ")");
    scenario.games = {game};
    if (config && config_games(*config) != scenario.games) {
      fail(file, "configuration " + config->name + " plays " + games_text(*config) + ", not " +
                     game_name);
    }
  } else {
    scenario.games = config_games(*config);
  }
  const std::string game_name = games_name(scenario);
  scenario.participants = scenario.games.front()->players_per_group();
  if (config) {
    const SessionConfig session = session_config_for(*config, scenario.games, {});
    scenario.config = session.config_name;
    scenario.params = session.params;
    scenario.participants = session.participants;
    scenario.real_world_currency_per_point = session.real_world_currency_per_point;
    scenario.participation_fee = session.participation_fee;
  }
  if (json.contains("params")) {
    const Json& params = json["params"];
    if (!params.is_object()) fail(file, "\"params\" must be an object of parameter values");
    for (const auto& [name, value] : params.items()) {
      if (auto problem = param_problem(scenario.games, game_name, name, &value)) {
        fail(file + ": params", *problem);
      }
      scenario.params[name] = value;
    }
  }
  if (json.contains("participants")) {
    const Json& n = json["participants"];
    if (!n.is_number_integer() || !participant_count_fits(scenario.games, n.get<int64_t>())) {
      fail(file, "\"participants\" must be " + participant_count_rule(scenario.games) + ", not " +
                     n.dump());
    }
    if (n.get<int64_t>() > kMaxParticipants) {
      fail(file, "\"participants\" must be at most " + std::to_string(kMaxParticipants) + ", not " +
                     n.dump());
    }
    scenario.participants = n.get<int>();
  }
  if (json.contains("seed")) {
    const Json& seed = json["seed"];
    if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0)) {
      fail(file, "\"seed\" must be a non-negative integer, not " + seed.dump());
    }
    scenario.seed = seed.get<uint64_t>();
  }
  if (json.contains("arrivals")) {
    if (!json["arrivals"].is_boolean()) fail(file, "\"arrivals\" must be true or false");
    scenario.arrivals = json["arrivals"].get<bool>();
  }
  if (!json.contains("steps") || !json["steps"].is_array()) {
    fail(file, "\"steps\" must be an array of steps");
  }
  const Json& steps = json["steps"];
  for (size_t i = 0; i < steps.size(); ++i) {
    scenario.steps.push_back(
        parse_step(steps[i], scenario, file + ": step " + std::to_string(i + 1)));
  }
  if (json.contains("final")) parse_final(json["final"], file, scenario);
  return scenario;
}

}  // namespace livectl
