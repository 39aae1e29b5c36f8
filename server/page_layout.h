#pragma once
// The HTML document around a game's page template: live.js, js_vars, and
// the <form id="form"> that submitting means pressing next
// (docs/protocol.md, "Page templates").
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session.h"
#include "engine/status.h"
#include "server/page_template.h"

namespace livectl::server {

// Templates compiled into the binary: the text of "games/<game>/<file>", or
// nullopt. The server uses game_file (engine/registry.h); tests pass their own.
using TemplateSource = std::function<std::optional<std::string_view>(std::string_view path)>;

// One template file as read: the name its errors give, and its text.
struct TemplateFile {
  std::string name;
  std::string text;
};

// Reads `file` (a page's template_file, "live.html") of `game` into *out,
// or says why it cannot.
using TemplateReader =
    std::function<Status(const Game& game, std::string_view file, TemplateFile* out)>;

// The compiled-in templates of `files`, named "games/<game>/<file>".
// Error: "games/<game>/<file> is not built into livectl".
TemplateReader compiled_templates(TemplateSource files);

// `serve --dev`: `file` read from folder_of(game) + "/" + file at every
// call and named by that path, so that an edit shows on the next read; a
// game whose folder_of is empty reads `compiled` instead.
// Error: "cannot read /abs/games/auction/live.html: No such file or directory".
TemplateReader folder_templates(std::function<std::string(const Game&)> folder_of,
                                TemplateSource compiled);

// Every page of one game, compiled.
class GamePages {
 public:
  // Compiles each page's template, read by `read`. A wait page without a
  // template of its own gets livectl's (server/wait.html, compiled in).
  // Errors: `read`'s, or a PageTemplate::compile error.
  static Status load(const Game& game, const TemplateReader& read, std::unique_ptr<GamePages>* out);

  // The complete HTML document of `player`'s current page into *html: the
  // template inside the form, with a Next button unless it is the last page
  // or the template handles the button itself; the title block as <title>
  // and heading; the game's js_vars(player) as the global `js_vars` before
  // any script of the page.
  // With `refused` (a submit of this page refused for its form values), its
  // fields show what was typed and their messages; the messages no field
  // shows (about the whole form, or of fields the template does not place)
  // come first in the form (form_fields.h, append_form_errors).
  // Errors (*html is then unspecified): "auction's js_vars threw: ...",
  // "auction's js_vars returned 5, not an object".
  Status render(const Player& player, std::string* html,
                const RefusedForm* refused = nullptr) const;

 private:
  explicit GamePages(const Game& game) : game_(game) {}
  const Game& game_;
  std::vector<PageTemplate> templates_;  // one per page, in page order
};

}  // namespace livectl::server
