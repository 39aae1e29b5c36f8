#include "engine/form.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "engine/fields.h"
#include "engine/text.h"

namespace livectl {
namespace {

// The value a field of `type` gets from `given`, or the message saying why
// it cannot. Text from an HTML form is read as the type: "5" -> 5.
std::optional<Json> coerce(FieldType type, const Json& given, std::string* error) {
  const bool text = given.is_string();
  const std::string* s = text ? &given.get_ref<const std::string&>() : nullptr;
  switch (type) {
    case FieldType::kInteger:
      if (given.is_number_integer()) return given;
      if (given.is_number_float()) {
        const double d = given.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
          return static_cast<int64_t>(d);
        }
      }
      if (text) {
        int64_t value = 0;
        const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), value);
        if (ec == std::errc() && end == s->data() + s->size()) return value;
      }
      *error = "enter a whole number";
      return std::nullopt;
    case FieldType::kNumber:
      if (given.is_number()) {
        if (given.is_number_float() && !std::isfinite(given.get<double>())) break;
        return given;
      }
      if (text && !s->empty()) {
        char* end = nullptr;
        const double value = std::strtod(s->c_str(), &end);
        if (end == s->c_str() + s->size() && std::isfinite(value)) return field_json(value);
      }
      break;
    case FieldType::kBoolean:
      if (given.is_boolean()) return given;
      if (text && (*s == "true" || *s == "True")) return true;
      if (text && (*s == "false" || *s == "False")) return false;
      *error = "choose yes or no";
      return std::nullopt;
    case FieldType::kString:
      if (text) {
        if (s->size() > kMaxFormTextBytes) {
          *error = "write at most " + std::to_string(kMaxFormTextBytes) + " bytes";
          return std::nullopt;
        }
        if (!valid_utf8(*s)) {
          *error = "must be valid UTF-8 text";
          return std::nullopt;
        }
        return given;
      }
      *error = "enter text";
      return std::nullopt;
  }
  *error = "enter a number";
  return std::nullopt;
}

bool is_empty(const Json& value) {
  return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty());
}

std::string choice_list(const std::vector<Json>& choices) {
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
    list += choices[i].is_string() ? choices[i].get<std::string>() : choices[i].dump();
  }
  return list;
}

}  // namespace

FormCheck check_form(const Game& game, const PageSpec& page, const Player& player,
                     const Json& data) {
  FormCheck check;
  const auto& specs = game.player_fields();
  if (page.form_fields.empty()) {
    if (!data.is_null() && !(data.is_object() && data.empty())) {
      check.errors.emplace_back("", "page '" + page.name + "' asks for no form fields");
    }
    return check;
  }
  if (!data.is_null() && !data.is_object()) {
    check.errors.emplace_back(
        "", "the form's values are {\"field\": value}, not " + std::string(data.type_name()));
    return check;
  }
  // Names the page does not ask for are refused: a stale or forged form
  // must not write other fields.
  if (data.is_object()) {
    for (const auto& [name, value] : data.items()) {
      bool asked = false;
      for (const FormField& field : page.form_fields) asked |= specs[field.field].name == name;
      if (!asked) {
        check.errors.emplace_back("", "page '" + page.name + "' has no form field '" + name + "'");
      }
    }
    if (!check.errors.empty()) return check;
  }
  Json values = Json::object();
  for (const FormField& field : page.form_fields) {
    const FieldSpec& spec = specs[field.field];
    const FieldOptions& options = field.options;
    const Json given = data.is_object() && data.contains(spec.name) ? data[spec.name] : Json();
    if (is_empty(given)) {
      if (options.allows_blank()) {
        check.values.emplace_back(field.field, nullptr);
        values[spec.name] = nullptr;
      } else {
        check.errors.emplace_back(spec.name, "this field is required");
      }
      continue;
    }
    std::string error;
    std::optional<Json> value = coerce(spec.type, given, &error);
    if (value && !options.choices().empty()) {
      bool listed = false;
      for (const Json& choice : options.choices()) listed |= choice == *value;
      if (!listed) error = "choose " + choice_list(options.choices());
    } else if (value && value->is_number()) {
      if (!options.min().is_null() && *value < options.min()) {
        error = "must be at least " + options.min().dump();
      } else if (!options.max().is_null() && *value > options.max()) {
        error = "must be at most " + options.max().dump();
      }
    }
    if (!error.empty()) {
      check.errors.emplace_back(spec.name, error);
      continue;
    }
    values[spec.name] = *value;
    check.values.emplace_back(field.field, std::move(*value));
  }
  if (check.errors.empty() && page.form_check) {
    const Json verdict = page.form_check(player, values);
    if (verdict.is_string()) {
      check.errors.emplace_back("", verdict.get<std::string>());
    } else if (verdict.is_object()) {
      // In the page's field order (a JSON object's own order is by name),
      // then any other names as given.
      auto add = [&](const std::string& name, const Json& message) {
        check.errors.emplace_back(
            name, message.is_string() ? message.get<std::string>() : message.dump());
      };
      for (const FormField& field : page.form_fields) {
        const std::string& name = specs[field.field].name;
        if (verdict.contains(name)) add(name, verdict[name]);
      }
      for (const auto& [name, message] : verdict.items()) {
        bool listed = false;
        for (const FormField& field : page.form_fields) listed |= specs[field.field].name == name;
        if (!listed) add(name, message);
      }
    } else if (!verdict.is_null()) {
      check.errors.emplace_back(
          "", "error_message returned " + verdict.dump() + ", not null, a string or an object");
    }
  }
  if (!check.errors.empty()) check.values.clear();
  return check;
}

std::string join_form_errors(const std::vector<std::pair<std::string, std::string>>& errors) {
  std::string text;
  for (const auto& [field, message] : errors) {
    if (!text.empty()) text += "; ";
    text += field.empty() ? message : field + ": " + message;
  }
  return text;
}

}  // namespace livectl
