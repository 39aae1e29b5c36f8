#include "engine/game.h"

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
  return ConfigParam{static_cast<uint32_t>(params_.size() - 1)};
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

std::optional<std::string> param_problem(const Game& game, const std::string& owner,
                                         const std::string& name, const Json* value) {
  const int index = game.find_param(name);
  if (index < 0) {
    std::string known;
    for (const ParamSpec& spec : game.params()) known += (known.empty() ? "" : ", ") + spec.name;
    return owner + " has no parameter '" + name + "' (" +
           (known.empty() ? "it has none" : "its parameters: " + known) + ")";
  }
  const ParamSpec& spec = game.params()[index];
  // 50 given to a number parameter is 50; 2.5 to an integer is an error.
  if (value && (value->is_null() || field_value_problem(spec.type, *value))) {
    return "parameter '" + name + "' is " + (spec.type == FieldType::kInteger ? "an " : "a ") +
           field_type_name(spec.type) + ", not " + value->dump();
  }
  return std::nullopt;
}

std::string participant_count_rule(const Game& game) {
  if (!game.pages().empty() && game.pages().front().by_arrival) {
    return "a positive number (" + game.name() + " groups by arrival time)";
  }
  return "a positive multiple of " + std::to_string(game.players_per_group()) +
         " (the group size of " + game.name() + ")";
}

bool participant_count_fits(const Game& game, int64_t participants) {
  if (participants <= 0) return false;
  if (!game.pages().empty() && game.pages().front().by_arrival) return true;
  return participants % game.players_per_group() == 0;
}

void Game::creating_session(Subsession& /*subsession*/) const {}

std::unique_ptr<Bot> Game::make_bot(int /*id_in_group*/, int /*group_size*/) const {
  return nullptr;
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

}  // namespace livectl
