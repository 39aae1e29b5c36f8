#pragma once
// The HTML of a page's form fields: what {{ formfields }} and
// {{ formfield 'name' }} become, and a refused form's messages
// (docs/protocol.md, "Form fields"). Every text is HTML-escaped.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/game.h"
#include "engine/json.h"

namespace livectl {
class Player;
}

namespace livectl::server {

// A submit that the engine refused for its form values, shown again as
// oTree does: the page with what the participant typed and why.
struct RefusedForm {
  uint32_t page = 0;  // the flow index of the page refused (Participant::page)
  // {"answer": "forty"}: the page's form fields as the POST sent them
  // (server/form_body.h); a field not sent is absent.
  Json values = Json::object();
  // EventResult::form_errors: {field name, message}, "" for the whole form.
  std::vector<std::pair<std::string, std::string>> errors;
};

// Appends `field` of a page for `player`:
//   <div class="form-field" id="field-NAME">
//   <label for="id_NAME">LABEL</label>
//   INPUT
//   <div class="form-error">MESSAGE</div>     (only when `refused` has one)
//   </div>
// INPUT is by the field's type: an <input type="number"> (step="1" for an
// integer, step="any" for a number; min and max when set), an
// <input type="text" maxlength="10000">, two radio buttons Yes (true) / No
// (false) for a boolean, or a <select> of the choices when there are
// choices; each named NAME, `required` unless the field may be blank. Its
// value is what `refused` holds (what was typed) or else the player's
// stored value when set.
void append_form_field(const Game& game, const FormField& field, const Player& player,
                       const RefusedForm* refused, std::string& out);

// Appends the messages of `refused` that no field shows: those about the
// whole form, and those of the fields whose `shown` entry (one per
// page.form_fields, in order) is false, prefixed with the field's name
// ("answer: enter a whole number"). Nothing when there are none; else
//   <div class="form-errors">
//   <div class="form-error">MESSAGE</div>   (one per message)
//   </div>
void append_form_errors(const Game& game, const PageSpec& page, const RefusedForm& refused,
                        const std::vector<bool>& shown, std::string& out);

// How a value reads in a form (an input's value, a choice's value
// attribute): a string as its text, a number as JSON, true or false, and
// null as "".
std::string form_text(const Json& value);

}  // namespace livectl::server
