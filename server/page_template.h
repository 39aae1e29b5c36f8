#pragma once
// A game's page template, compiled once at startup: text with placeholders
// like {{ player.id_in_group }} or {{ group.highest_bid }}, rendered for one
// player with every value HTML-escaped (docs/protocol.md, "Page templates").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session.h"
#include "engine/status.h"

namespace livectl::server {

class PageTemplate {
 public:
  // Compiles `text` for `game`. `source` names the file in error messages.
  // Errors, one sentence each, with the line:
  //   "games/auction/live.html line 5: unknown placeholder {{ player.foo }}; ..."
  //   "games/auction/live.html line 5: {{ is not closed by }}"
  //   "games/auction/live.html line 5: a template must not contain <form>; ..."
  static Status compile(const Game& game, std::string_view source, std::string_view text,
                        PageTemplate* out);

  // Appends the page body for `player`. {{ next_button }} becomes
  // `next_button` (which is empty on the last page).
  void render(const Player& player, std::string_view next_button, std::string& out) const;

  // True when the template places the next button itself, with
  // {{ next_button }} or its own element with id="next"; the layout then
  // adds none.
  bool handles_next_button() const { return handles_next_button_; }

 private:
  enum class Part : uint8_t {
    kText,
    kPlayerField,
    kIdInGroup,
    kGroupField,
    kIdInSubsession,
    kParticipantCode,
    kIdInSession,
    kParticipantLabel,
    kNextButton,
  };
  struct Piece {
    Part part;
    uint32_t field = 0;  // for kPlayerField and kGroupField
    std::string text;    // for kText
  };
  std::vector<Piece> pieces_;
  bool handles_next_button_ = false;
};

// Appends `text` with & < > " ' replaced by entities: safe in element text
// and in quoted attribute values (not inside <script>).
void append_html_escaped(std::string_view text, std::string& out);

// How a field's value appears on a page, before escaping: a string as its
// text; a number, true/false or null as JSON (so `null` until set).
void append_field_value(const Json& value, std::string& out);

}  // namespace livectl::server
