#pragma once
// The HTML document around a game's page template: live.js, and the
// <form id="form"> that submitting means pressing next (docs/protocol.md).
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

// Where templates come from: the text of "games/<game>/<file>", or nullopt.
// The server uses embedded_file (server/assets.h); tests pass their own.
using TemplateSource = std::function<std::optional<std::string_view>(std::string_view path)>;

// Every page of one game, compiled once.
class GamePages {
 public:
  // Compiles each page's template, games/<game>/<file> from `source`.
  // Errors: "games/G/F is not built into livectl", or a
  // PageTemplate::compile error.
  static Status load(const Game& game, const TemplateSource& source,
                     std::unique_ptr<GamePages>* out);

  // The complete HTML document of `player`'s current page: the template
  // inside the form, with a Next button unless it is the last page or the
  // template handles the button itself.
  std::string render(const Player& player) const;

 private:
  explicit GamePages(const Game& game) : game_(game) {}
  const Game& game_;
  std::vector<PageTemplate> templates_;  // one per page, in page order
};

}  // namespace livectl::server
