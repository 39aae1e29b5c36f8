#pragma once
// Checking a submit's form values against the page's form fields (oTree's
// form validation), before anything is stored. docs/writing-a-game.md,
// "Forms", lists the messages.
#include <string>
#include <utility>
#include <vector>

#include "engine/game.h"
#include "engine/json.h"

namespace livectl {

// The longest text a string form field takes, in bytes.
inline constexpr size_t kMaxFormTextBytes = 10000;

struct FormCheck {
  // What to store when there are no errors: (player field index, value).
  std::vector<std::pair<uint32_t, Json>> values;
  // {field name, message}, in the page's field order; "" names the form.
  std::vector<std::pair<std::string, std::string>> errors;
};

// Checks `data` (a submit's Event::data: {"field": value}, each value as
// JSON or as the text an HTML form sends, "5" for 5) for `page`. A page
// without form fields takes null or {}. Then runs the page's
// error_message(player, values) when every field passed. Never throws for
// bad data; an exception from error_message propagates.
FormCheck check_form(const Game& game, const PageSpec& page, const Player& player,
                     const Json& data);

// "contribution: must be at most 20; age: this field is required".
std::string join_form_errors(const std::vector<std::pair<std::string, std::string>>& errors);

}  // namespace livectl
