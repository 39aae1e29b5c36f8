#include "engine/game.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/bot.h"
#include "engine/invariant.h"
#include "engine/text.h"

namespace livectl {

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kInteger:
      return "integer";
    case FieldType::kNumber:
      return "number";
    case FieldType::kString:
      return "string";
    case FieldType::kBoolean:
      return "boolean";
  }
  return "?";
}

std::optional<std::string> field_value_problem(FieldType type, const Json& value) {
  if (value.is_null()) return std::nullopt;
  bool fits = false;
  switch (type) {
    case FieldType::kInteger:
      fits = value.is_number_integer();
      break;
    case FieldType::kNumber:
      fits = value.is_number();
      break;
    case FieldType::kString:
      fits = value.is_string();
      break;
    case FieldType::kBoolean:
      fits = value.is_boolean();
      break;
  }
  if (!fits) {
    return std::string("is of type ") + field_type_name(type) + "; got " + value.type_name();
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number)) {
      // JSON has no spelling for these: they would be stored and exported as null.
      const char* spelling = std::isnan(number) ? "nan" : number > 0 ? "inf" : "-inf";
      return std::string("is of type number; got ") + spelling + ", which is not finite";
    }
  }
  if (value.is_string() && !valid_utf8(value.get_ref<const std::string&>())) {
    return std::string("must be valid UTF-8 text");
  }
  return std::nullopt;
}

namespace {

void check_declaration(const std::vector<FieldSpec>& existing, const std::string& name,
                       FieldType type, const Json& initial) {
  for (const auto& field : existing) {
    if (field.name == name) throw std::logic_error("field '" + name + "' is declared twice");
  }
  if (auto problem = field_value_problem(type, initial)) {
    throw std::logic_error("the initial value of field '" + name + "' " + *problem);
  }
}

int find_by_name(const auto& specs, const std::string& name) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Game::Game(std::string name, std::string description, int players_per_group, int num_rounds)
    : name_(std::move(name)),
      description_(std::move(description)),
      players_per_group_(players_per_group),
      num_rounds_(num_rounds) {
  if (players_per_group < 1) throw std::logic_error(name_ + " needs at least 1 player per group");
  if (num_rounds < 1) throw std::logic_error(name_ + " needs at least 1 round");
}

GroupField Game::group_field(std::string name, FieldType type, Json initial) {
  check_declaration(group_fields_, name, type, initial);
  group_fields_.push_back({std::move(name), type, std::move(initial)});
  return GroupField{static_cast<uint32_t>(group_fields_.size() - 1)};
}

PlayerField Game::player_field(std::string name, FieldType type, Json initial) {
  check_declaration(player_fields_, name, type, initial);
  player_fields_.push_back({std::move(name), type, std::move(initial)});
  return PlayerField{static_cast<uint32_t>(player_fields_.size() - 1)};
}

ParticipantField Game::participant_field(std::string name, FieldType type, Json initial) {
  check_declaration(participant_fields_, name, type, initial);
  participant_fields_.push_back({std::move(name), type, std::move(initial)});
  return ParticipantField{static_cast<uint32_t>(participant_fields_.size() - 1)};
}

ConfigParam Game::param(std::string name, FieldType type, Json default_value) {
  if (find_by_name(params_, name) >= 0) {
    throw std::logic_error("parameter '" + name + "' is declared twice");
  }
  if (default_value.is_null()) throw std::logic_error("parameter '" + name + "' needs a default");
  if (auto problem = field_value_problem(type, default_value)) {
    throw std::logic_error("the default of parameter '" + name + "' " + *problem);
  }
  params_.push_back({std::move(name), type, std::move(default_value)});
  return ConfigParam{static_cast<uint32_t>(params_.size() - 1), this};
}

RecordType Game::record_type(std::string name, std::vector<ColumnSpec> columns) {
  if (find_by_name(record_types_, name) >= 0) {
    throw std::logic_error("record type '" + name + "' is declared twice");
  }
  record_types_.push_back({std::move(name), std::move(columns)});
  return RecordType{static_cast<uint32_t>(record_types_.size() - 1)};
}

PageSpec& Game::page(std::string name, PageKind kind, std::string template_file,
                     int64_t timeout_ms) {
  if (find_by_name(pages_, name) >= 0) throw std::logic_error("page '" + name + "' declared twice");
  if (timeout_ms < 0) throw std::logic_error("page '" + name + "' has a negative timeout");
  PageSpec& spec = pages_.emplace_back();
  spec.name = std::move(name);
  spec.kind = kind;
  spec.template_file = std::move(template_file);
  spec.timeout_ms = timeout_ms;
  return spec;
}

GroupTimer Game::group_timer(std::string name, std::function<Outbox(Group&)> fire) {
  if (find_by_name(timers_, name) >= 0)
    throw std::logic_error("timer '" + name + "' declared twice");
  if (!fire) throw std::logic_error("timer '" + name + "' needs a function to run");
  timers_.push_back({std::move(name), std::move(fire), {}});
  return GroupTimer{static_cast<uint32_t>(timers_.size() - 1)};
}

PlayerTimer Game::player_timer(std::string name, std::function<Outbox(Player&)> fire) {
  if (find_by_name(timers_, name) >= 0)
    throw std::logic_error("timer '" + name + "' declared twice");
  if (!fire) throw std::logic_error("timer '" + name + "' needs a function to run");
  timers_.push_back({std::move(name), {}, std::move(fire)});
  return PlayerTimer{static_cast<uint32_t>(timers_.size() - 1)};
}

namespace {

// The union by name of what each game declares, in order; a name declared
// twice with different types throws.
template <class Spec>
std::vector<Spec> shared_by_name(std::span<const Game* const> games, const char* what,
                                 const std::vector<Spec>& (Game::*declared)() const) {
  std::vector<Spec> shared;
  std::vector<const Game*> owners;
  for (const Game* game : games) {
    for (const Spec& spec : (game->*declared)()) {
      const auto found = std::find_if(shared.begin(), shared.end(),
                                      [&](const Spec& other) { return other.name == spec.name; });
      if (found == shared.end()) {
        shared.push_back(spec);
        owners.push_back(game);
      } else if (found->type != spec.type) {
        const Game& first = *owners[static_cast<size_t>(found - shared.begin())];
        throw std::invalid_argument(
            first.name() + " and " + game->name() + " both declare " + what + " '" + spec.name +
            "', as " + field_type_name(found->type) + " and " + field_type_name(spec.type));
      }
    }
  }
  return shared;
}

bool groups_by_arrival(const Game& game) {
  return !game.pages().empty() && game.pages().front().by_arrival;
}

}  // namespace

std::vector<FieldSpec> shared_participant_fields(std::span<const Game* const> games) {
  return shared_by_name(games, "the participant field", &Game::participant_fields);
}

std::vector<ParamSpec> shared_params(std::span<const Game* const> games) {
  return shared_by_name(games, "the parameter", &Game::params);
}

std::optional<std::string> param_problem(std::span<const Game* const> games,
                                         const std::string& owner, const std::string& name,
                                         const Json* value) {
  const ParamSpec* spec = nullptr;
  std::vector<std::string> names;  // each once, though several games declare it
  for (const Game* game : games) {
    for (const ParamSpec& declared : game->params()) {
      if (!spec && declared.name == name) spec = &declared;
      if (std::find(names.begin(), names.end(), declared.name) == names.end()) {
        names.push_back(declared.name);
      }
    }
  }
  if (!spec) {
    std::string known;
    for (const std::string& each : names) known += (known.empty() ? "" : ", ") + each;
    return owner + " has no parameter '" + name + "' (" +
           (known.empty() ? "it has none" : "its parameters: " + known) + ")";
  }
  // 50 given to a number parameter is 50; 2.5 to an integer is an error.
  if (value && (value->is_null() || field_value_problem(spec->type, *value))) {
    return "parameter '" + name + "' is " + (spec->type == FieldType::kInteger ? "an " : "a ") +
           field_type_name(spec->type) + ", not " + value->dump();
  }
  return std::nullopt;
}

std::string participant_count_rule(std::span<const Game* const> games) {
  std::string rule;
  for (const Game* game : games) {
    if (groups_by_arrival(*game)) continue;
    rule += (rule.empty() ? "" : " and of ") + std::to_string(game->players_per_group()) +
            " (the group size of " + game->name() + ")";
  }
  if (rule.empty()) {
    return "a positive number (" + games.front()->name() + " groups by arrival time)";
  }
  return "a positive multiple of " + rule;
}

bool participant_count_fits(std::span<const Game* const> games, int64_t participants) {
  if (participants <= 0) return false;
  for (const Game* game : games) {
    if (!groups_by_arrival(*game) && participants % game->players_per_group() != 0) return false;
  }
  return true;
}

void Game::creating_session(Subsession& /*subsession*/) const {}

std::unique_ptr<Bot> Game::make_bot(int /*id_in_group*/, int /*group_size*/) const {
  return nullptr;
}

Outbox Game::on_presence(Player& /*player*/, bool /*present*/) const {
  return {};
}

Json Game::js_vars(const Player& /*player*/) const {
  return Json::object();
}

std::vector<std::unique_ptr<Invariant>> Game::make_invariants() const {
  return {};
}

int Game::find_group_field(const std::string& name) const {
  return find_by_name(group_fields_, name);
}
int Game::find_player_field(const std::string& name) const {
  return find_by_name(player_fields_, name);
}
int Game::find_participant_field(const std::string& name) const {
  return find_by_name(participant_fields_, name);
}
int Game::find_param(const std::string& name) const {
  return find_by_name(params_, name);
}
int Game::find_page(const std::string& name) const {
  return find_by_name(pages_, name);
}

int Game::find_timer(const std::string& name) const {
  return find_by_name(timers_, name);
}

}  // namespace livectl
