#pragma once
// A game's page template, compiled once at startup (or at every request
// under `serve --dev`): oTree's template text as it is, with placeholders
// like {{ player.id_in_group }}, {{ group.highest_bid }} or {{ formfields }},
// rendered for one player with every value HTML-escaped, and optionally
// oTree's blocks
// {{ block title }}, {{ block content }}, {{ block scripts }} and
// {{ block styles }}, each closed by {{ endblock }} (docs/protocol.md,
// "Page templates").
//
// Hand-written rather than a template library: Debian's archive has no
// Jinja-like C++ engine (no Inja), and ctemplate's syntax ({{#SECTION}}) is
// not oTree's; neither would check placeholders against the game's fields
// when the template is compiled, name what exists in its errors, or escape
// every value. What oTree's live pages need is small enough to read here.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session.h"
#include "engine/status.h"
#include "server/form_fields.h"

namespace livectl::server {

// oTree's blocks. A template without any has all its text in kContent.
enum class Block : uint8_t { kTitle, kContent, kScripts, kStyles };
inline constexpr size_t kBlockCount = 4;

class PageTemplate {
 public:
  // Compiles `text` as the template of `page`, one of `game`'s pages (its
  // form fields are what {{ formfields }} shows). `source` names the file
  // in error messages. Errors, one sentence each, with the line and what
  // exists:
  //   "games/auction/live.html line 5: unknown placeholder {{ player.foo }}; ..."
  //   "games/quiz/quiz.html line 5: {{ formfield 'colour' }}: page 'quiz' has
  //    no form field 'colour'; its form fields are answer and color"
  //   "games/quiz/results.html line 2: {{ formfields }} on page 'results',
  //    which has no form fields; ..."
  //   "games/auction/live.html line 5: {{ is not closed by }}"
  //   "games/auction/live.html line 5: a template must not contain <form>; ..."
  //   "games/auction/live.html line 5: unknown block {{ block footer }}; ..."
  //   "games/auction/live.html line 5: {{ block content }} is not closed by {{ endblock }}"
  //   and a block inside a block, a block given twice, {{ endblock }} with
  //   no block open, text outside the blocks of a template that has blocks.
  // REQUIRES: `page` is one of game.pages(), which outlives the template.
  static Status compile(const Game& game, const PageSpec& page, std::string_view source,
                        std::string_view text, PageTemplate* out);

  // Appends the page body for `player`: the content block, or all of a
  // template without blocks. {{ next_button }} becomes `next_button`
  // (which is empty on the last page). Form fields show `refused`'s values
  // and messages when it is given (form_fields.h), else the player's values.
  void render(const Player& player, std::string_view next_button, std::string& out,
              const RefusedForm* refused = nullptr) const {
    render(Block::kContent, player, next_button, out, refused);
  }
  // Appends `block` rendered for `player`; nothing when the template has
  // no such block.
  void render(Block block, const Player& player, std::string_view next_button, std::string& out,
              const RefusedForm* refused = nullptr) const;

  // True when the template has `block`: always kContent for one without blocks.
  bool has(Block block) const { return has_[static_cast<size_t>(block)]; }

  // True when the template places the next button itself, with
  // {{ next_button }} or its own element with id="next"; the layout then
  // adds none.
  bool handles_next_button() const { return handles_next_button_; }

  // One entry per form field of the page, in order: true when the template
  // shows that field ({{ formfields }} or its {{ formfield 'name' }}), and
  // with it the field's error message. The layout shows the others'.
  const std::vector<bool>& shown_form_fields() const { return shown_form_fields_; }

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
    kRoundNumber,
    kNumRounds,
    kPlayersPerGroup,
    kParticipantPayoff,
    kParticipantField,
    kPayoffPlusFee,
    kConfigName,
    kConfigParam,
    kParticipationFee,
    kCurrencyPerPoint,
    kFormFields,
    kFormField,
  };
  struct Piece {
    Part part;
    // kPlayerField, kGroupField, kParticipantField: the game's index of
    // the field; kConfigParam: the parameter's; kFormField: the index in
    // page_->form_fields.
    uint32_t field = 0;
    std::string text;  // for kText
  };
  const PageSpec* page_ = nullptr;
  std::array<std::vector<Piece>, kBlockCount> pieces_;  // [Block]
  std::array<bool, kBlockCount> has_{};
  bool handles_next_button_ = false;
  std::vector<bool> shown_form_fields_;
};

// Appends `text` with & < > " ' replaced by entities: safe in element text
// and in quoted attribute values (not inside <script>).
void append_html_escaped(std::string_view text, std::string& out);

// Appends `value` as JSON that is safe as the text of a <script> element:
// < > & and U+2028, U+2029 inside strings become \u escapes, so no
// "</script>" or "<!--" can end or change the element, and the text is
// still the same value to JSON.parse and to JavaScript. Bytes that are not
// UTF-8 become U+FFFD. Never throws.
void append_script_json(const Json& value, std::string& out);

// How a field's value appears on a page, before escaping: a string as its
// text; a number, true/false or null as JSON (so `null` until set).
void append_field_value(const Json& value, std::string& out);

}  // namespace livectl::server
