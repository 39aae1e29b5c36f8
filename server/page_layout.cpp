#include "server/page_layout.h"

namespace livectl::server {

namespace {

constexpr std::string_view kWaitTemplate = "server/wait.html";

constexpr std::string_view kNextButton =
    "<p><button type=\"submit\" id=\"next\">Next</button></p>\n";

// Kept small: a game's template styles its own content.
constexpr std::string_view kStyle =
    "body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; "
    "padding: 0 1rem; line-height: 1.4; }\n";

}  // namespace

Status GamePages::load(const Game& game, const TemplateSource& source_of,
                       std::unique_ptr<GamePages>* out) {
  std::unique_ptr<GamePages> pages(new GamePages(game));
  for (const PageSpec& page : game.pages()) {
    // A wait page without its own template gets livectl's.
    const std::string source = page.kind == PageKind::kWait && page.template_file.empty()
                                   ? std::string(kWaitTemplate)
                                   : "games/" + game.name() + "/" + page.template_file;
    const std::optional<std::string_view> text = source_of(source);
    if (!text) return Status::Error(source + " is not built into livectl");
    PageTemplate compiled;
    if (Status status = PageTemplate::compile(game, source, *text, &compiled); !status.ok()) {
      return status;
    }
    pages->templates_.push_back(std::move(compiled));
  }
  *out = std::move(pages);
  return Status();
}

std::string GamePages::render(const Player& player) const {
  const uint32_t index = player.participant().page;
  const PageSpec& page = game_.pages()[index];
  const PageTemplate& body = templates_[index];
  // Nobody submits a wait page: the group or its timeout moves it on.
  const bool no_next = index + 1 == game_.pages().size() || page.kind == PageKind::kWait;
  const std::string& code = player.participant().code;
  const std::string page_number = std::to_string(index);

  std::string html;
  html.reserve(4096);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // No icon: otherwise every browser asks for /favicon.ico, gets a 404 and
  // logs it in the console next to the game's own messages.
  html += "<link rel=\"icon\" href=\"data:,\">\n<title>";
  append_html_escaped(game_.name() + ": " + page.name, html);
  html += "</title>\n<script src=\"/live.js\" data-code=\"";
  append_html_escaped(code, html);
  html += "\" data-page=\"" + page_number + "\"></script>\n<style>\n";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<form id=\"form\" method=\"post\" action=\"/p/";
  append_html_escaped(code, html);
  html += "\" autocomplete=\"off\">\n<input type=\"hidden\" name=\"page\" value=\"" + page_number +
          "\">\n";
  const std::string_view next = no_next ? std::string_view() : kNextButton;
  body.render(player, next, html);
  if (!body.handles_next_button()) html += next;
  html += "</form>\n</body>\n</html>\n";
  return html;
}

}  // namespace livectl::server
