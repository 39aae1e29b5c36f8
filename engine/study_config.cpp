#include "engine/study_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <stdexcept>

#include "engine/registry.h"

namespace livectl {
namespace {

std::vector<StudyConfig>& declared() {
  static std::vector<StudyConfig> configs;
  return configs;
}

const char* article(FieldType type) {
  return type == FieldType::kInteger ? "an " : "a ";
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// One entry of session_configs (defaults already merged in).
StudyConfig parse_one(const Json& entry, const std::vector<StudyConfig>& before) {
  StudyConfig config;
  Json params = Json::object();
  const auto name = entry.find("name");
  if (name == entry.end() || !name->is_string() || !valid_name(name->get<std::string>())) {
    throw std::invalid_argument(
        "needs a \"name\" of lower-case letters, digits and _ (at most 64)");
  }
  config.name = name->get<std::string>();
  for (const StudyConfig& other : before) {
    if (other.name == config.name)
      throw std::invalid_argument("the name is taken by an earlier one");
  }
  for (const auto& [key, value] : entry.items()) {
    auto number = [&, &key = key, &value = value]() {
      if (!value.is_number() || value.get<double>() < 0 || !std::isfinite(value.get<double>())) {
        throw std::invalid_argument("\"" + key + "\" is a number of at least 0, not " +
                                    value.dump());
      }
      return value.get<double>();
    };
    auto text = [&, &key = key, &value = value]() {
      if (!value.is_string()) {
        throw std::invalid_argument("\"" + key + "\" is text, not " + value.dump());
      }
      return value.get<std::string>();
    };
    if (key == "name") {
    } else if (key == "display_name") {
      config.display_name = text();
    } else if (key == "doc") {
      config.doc = text();
    } else if (key == "real_world_currency_per_point") {
      config.real_world_currency_per_point = number();
    } else if (key == "participation_fee") {
      config.participation_fee = number();
    } else if (key == "num_demo_participants") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 10000) {
        throw std::invalid_argument(
            "\"num_demo_participants\" is a whole number from 1 to 10000, "
            "not " +
            value.dump());
      }
      config.num_demo_participants = value.get<int>();
    } else if (key == "app_sequence") {
      if (!value.is_array() || value.empty()) {
        throw std::invalid_argument("\"app_sequence\" is a list of game names, not " +
                                    value.dump());
      }
      for (const Json& game : value) {
        if (!game.is_string()) {
          throw std::invalid_argument("\"app_sequence\" is a list of game names, not " +
                                      value.dump());
        }
        if (!find_game(game.get<std::string>())) {
          throw std::invalid_argument("\"app_sequence\" names the game '" +
                                      game.get<std::string>() + "', which this study does not " +
                                      "have (" + game_names() + ")");
        }
        if (std::find(config.app_sequence.begin(), config.app_sequence.end(),
                      game.get<std::string>()) != config.app_sequence.end()) {
          throw std::invalid_argument("\"app_sequence\" names the game '" +
                                      game.get<std::string>() +
                                      "' twice (a game repeats through its rounds)");
        }
        config.app_sequence.push_back(game.get<std::string>());
      }
    } else {
      params[key] = value;  // a parameter of the game, checked below
    }
  }
  if (config.app_sequence.empty()) {
    throw std::invalid_argument(
        "needs an \"app_sequence\": the games it plays, in order, as [\"game\", ...]");
  }
  const std::vector<const Game*> games = config_games(config);
  // Games that share a participant field or a parameter by name must agree
  // on its type: throws naming both.
  shared_participant_fields(games);
  shared_params(games);
  for (const auto& [key, value] : params.items()) {
    if (auto problem = param_problem(games, config.name, key, &value)) {
      throw std::invalid_argument(*problem);
    }
  }
  config.params = std::move(params);
  if (config.num_demo_participants != 0 &&
      !participant_count_fits(games, config.num_demo_participants)) {
    throw std::invalid_argument("\"num_demo_participants\" must be " +
                                participant_count_rule(games) + ", not " +
                                std::to_string(config.num_demo_participants));
  }
  if (config.display_name.empty()) config.display_name = config.name;
  return config;
}

size_t line_of(std::string_view text, size_t byte) {
  size_t line = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) line += text[i] == '\n';
  return line;
}

}  // namespace

StudyConfig game_config(const Game& game) {
  StudyConfig config;
  config.name = game.name();
  config.display_name = game.name();
  config.doc = game.description();
  config.app_sequence = {game.name()};
  config.declared = false;
  return config;
}

namespace {

// "true" -> true, "50" -> 50, ... as the parameter's type.
Json parse_setting(const ParamSpec& spec, const std::string& text) {
  switch (spec.type) {
    case FieldType::kInteger: {
      int64_t value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc() && end == text.data() + text.size()) return value;
      break;
    }
    case FieldType::kNumber: {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(value)) {
        return field_json(value);
      }
      break;
    }
    case FieldType::kBoolean:
      if (text == "true") return true;
      if (text == "false") return false;
      break;
    case FieldType::kString:
      return text;
  }
  throw std::invalid_argument("parameter '" + spec.name + "' is " + article(spec.type) +
                              field_type_name(spec.type) + ", not '" + text + "'");
}

}  // namespace

std::vector<StudyConfig> parse_study_configs(std::string_view text, const std::string& origin) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    const size_t colon = what.rfind(": ");
    throw std::invalid_argument(origin + " line " + std::to_string(line_of(text, e.byte)) +
                                ": not JSON (" +
                                (colon == std::string::npos ? what : what.substr(colon + 2)) + ")");
  }
  if (!root.is_object()) {
    throw std::invalid_argument(origin + ": is {\"session_configs\": [...]}, not " +
                                std::string(root.type_name()));
  }
  Json defaults = Json::object();
  const Json* entries = nullptr;
  for (const auto& [key, value] : root.items()) {
    if (key == "session_config_defaults") {
      if (!value.is_object()) {
        throw std::invalid_argument(origin + ": \"session_config_defaults\" is an object");
      }
      defaults = value;
    } else if (key == "session_configs") {
      if (!value.is_array()) {
        throw std::invalid_argument(origin + ": \"session_configs\" is a list of objects");
      }
      entries = &value;
    } else {
      throw std::invalid_argument(origin + ": unknown key \"" + key +
                                  "\" (a configs file has session_configs and "
                                  "session_config_defaults)");
    }
  }
  if (!entries) throw std::invalid_argument(origin + ": has no \"session_configs\"");
  std::vector<StudyConfig> configs;
  for (size_t i = 0; i < entries->size(); ++i) {
    const Json& entry = (*entries)[i];
    std::string where = origin + ": session_configs[" + std::to_string(i) + "]";
    if (!entry.is_object()) throw std::invalid_argument(where + " is an object");
    if (entry.contains("name") && entry["name"].is_string()) {
      where += " (" + entry["name"].get<std::string>() + ")";
    }
    Json merged = defaults;
    merged.update(entry);
    try {
      configs.push_back(parse_one(merged, configs));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
  }
  return configs;
}

void register_configs(std::vector<StudyConfig> configs) {
  declared() = std::move(configs);
}

const std::vector<StudyConfig>& declared_configs() {
  return declared();
}

std::optional<StudyConfig> find_config(std::string_view name) {
  for (const StudyConfig& config : declared()) {
    if (config.name == name) return config;
  }
  if (const Game* game = find_game(name)) return game_config(*game);
  return std::nullopt;
}

std::string config_names() {
  std::string names;
  for (const StudyConfig& config : declared()) names += (names.empty() ? "" : ", ") + config.name;
  for (const Game* game : all_games()) {
    bool shadowed = false;
    for (const StudyConfig& config : declared()) shadowed |= config.name == game->name();
    if (!shadowed) names += (names.empty() ? "" : ", ") + game->name();
  }
  return names;
}

std::vector<const Game*> config_games(const StudyConfig& config) {
  std::vector<const Game*> games;
  for (const std::string& name : config.app_sequence) {
    const Game* game = find_game(name);
    if (!game) {
      throw std::logic_error("configuration " + config.name + " plays " + name +
                             ", which is not registered");
    }
    games.push_back(game);
  }
  if (games.empty()) throw std::logic_error("configuration " + config.name + " plays no game");
  return games;
}

std::string games_text(const StudyConfig& config) {
  std::string text;
  for (const std::string& name : config.app_sequence) text += (text.empty() ? "" : ", ") + name;
  return text;
}

SessionConfig session_config_for(const StudyConfig& config, std::span<const Game* const> games,
                                 const std::vector<std::string>& sets, int participants) {
  const std::vector<ParamSpec> params = shared_params(games);
  // One group of every game: the least common multiple of the group sizes.
  int64_t one_group = 1;
  for (const Game* game : games) one_group = std::lcm(one_group, game->players_per_group());
  SessionConfig session;
  session.config_name = config.declared ? config.name : "";
  session.real_world_currency_per_point = config.real_world_currency_per_point;
  session.participation_fee = config.participation_fee;
  session.params = config.params;
  session.participants = participants > 0                   ? participants
                         : config.num_demo_participants > 0 ? config.num_demo_participants
                                                            : static_cast<int>(one_group);
  for (const std::string& set : sets) {
    const size_t equals = set.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw std::invalid_argument("--set " + set + ": write --set name=value");
    }
    const std::string name = set.substr(0, equals);
    try {
      if (auto problem = param_problem(games, config.name, name, nullptr)) {
        throw std::invalid_argument(*problem);
      }
      for (const ParamSpec& spec : params) {
        if (spec.name == name) session.params[name] = parse_setting(spec, set.substr(equals + 1));
      }
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--set " + set + ": " + e.what());
    }
  }
  return session;
}

}  // namespace livectl
