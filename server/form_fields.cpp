#include "server/form_fields.h"

#include "engine/form.h"
#include "engine/session.h"
#include "server/page_template.h"

namespace livectl::server {

namespace {

void attribute(std::string_view name, std::string_view value, std::string& out) {
  out += ' ';
  out += name;
  out += "=\"";
  append_html_escaped(value, out);
  out += '"';
}

// <input type="radio"> for each of `values`, labelled by `labels`.
void append_radios(const std::string& name, const std::vector<std::string>& values,
                   const std::vector<std::string>& labels, const std::string& current,
                   bool required, std::string& out) {
  for (size_t i = 0; i < values.size(); ++i) {
    out += "<label class=\"form-choice\"><input type=\"radio\"";
    attribute("name", name, out);
    attribute("value", values[i], out);
    attribute("id", "id_" + name + "_" + std::to_string(i), out);
    if (values[i] == current) out += " checked";
    if (required) out += " required";
    out += "> ";
    append_html_escaped(labels[i], out);
    out += "</label>\n";
  }
}

}  // namespace

std::string form_text(const Json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void append_form_field(const Game& game, const FormField& field, const Player& player,
                       const RefusedForm* refused, std::string& out) {
  const FieldSpec& spec = game.player_fields()[field.field];
  const FieldOptions& options = field.options;
  const std::string& name = spec.name;
  const std::string id = "id_" + name;
  const bool required = !options.allows_blank();

  // What the input shows: what was typed into a refused form, or else what
  // the player holds (oTree's form starts from the player's values).
  std::string current;
  if (refused) {
    if (const auto typed = refused->values.find(name); typed != refused->values.end()) {
      current = form_text(*typed);
    }
  } else {
    current = form_text(player.fields()[field.field]);
  }

  out += "<div class=\"form-field\"";
  attribute("id", "field-" + name, out);
  out += ">\n<label";
  const bool radios = options.choices().empty() && spec.type == FieldType::kBoolean;
  attribute("for", radios ? id + "_0" : id, out);
  out += '>';
  append_html_escaped(options.label().empty() ? name : options.label(), out);
  out += "</label>\n";

  if (!options.choices().empty()) {
    out += "<select";
    attribute("name", name, out);
    attribute("id", id, out);
    if (required) out += " required";
    // The empty first option: nothing is chosen until the participant chooses.
    out += ">\n<option value=\"\">---------</option>\n";
    for (size_t i = 0; i < options.choices().size(); ++i) {
      const std::string value = form_text(options.choices()[i]);
      out += "<option";
      attribute("value", value, out);
      if (value == current) out += " selected";
      out += '>';
      append_html_escaped(i < options.choice_labels().size() ? options.choice_labels()[i] : value,
                          out);
      out += "</option>\n";
    }
    out += "</select>\n";
  } else if (radios) {
    append_radios(name, {"true", "false"}, {"Yes", "No"}, current, required, out);
  } else {
    out += "<input";
    switch (spec.type) {
      case FieldType::kInteger:
        out += " type=\"number\" step=\"1\"";
        break;
      case FieldType::kNumber:
        out += " type=\"number\" step=\"any\"";
        break;
      default:
        out += " type=\"text\"";
        attribute("maxlength", std::to_string(kMaxFormTextBytes), out);
        break;
    }
    if (spec.type == FieldType::kInteger || spec.type == FieldType::kNumber) {
      if (!options.min().is_null()) attribute("min", form_text(options.min()), out);
      if (!options.max().is_null()) attribute("max", form_text(options.max()), out);
    }
    attribute("name", name, out);
    attribute("id", id, out);
    attribute("value", current, out);
    if (required) out += " required";
    out += ">\n";
  }

  if (refused) {
    for (const auto& [field_name, message] : refused->errors) {
      if (field_name != name) continue;
      out += "<div class=\"form-error\">";
      append_html_escaped(message, out);
      out += "</div>\n";
    }
  }
  out += "</div>\n";
}

void append_form_errors(const Game& game, const PageSpec& page, const RefusedForm& refused,
                        const std::vector<bool>& shown, std::string& out) {
  std::string messages;
  for (const auto& [name, message] : refused.errors) {
    bool placed = false;
    for (size_t i = 0; i < page.form_fields.size(); ++i) {
      placed |= shown[i] && game.player_fields()[page.form_fields[i].field].name == name;
    }
    if (placed) continue;
    messages += "<div class=\"form-error\">";
    append_html_escaped(name.empty() ? message : name + ": " + message, messages);
    messages += "</div>\n";
  }
  if (messages.empty()) return;
  out += "<div class=\"form-errors\">\n";
  out += messages;
  out += "</div>\n";
}

}  // namespace livectl::server
