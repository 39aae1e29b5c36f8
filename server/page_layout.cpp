#include "server/page_layout.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "server/assets.h"

namespace livectl::server {

namespace {

constexpr std::string_view kWaitTemplate = "server/wait.html";
// A wait page that groups by arrival time: nobody has a group yet.
constexpr std::string_view kArrivalWaitTemplate = "server/wait_arrival.html";

constexpr std::string_view kNextButton =
    "<p><button type=\"submit\" id=\"next\">Next</button></p>\n";

// Kept small: a game's template styles its own content. Form fields
// (form_fields.h) get their label on a line of its own and red messages.
constexpr std::string_view kStyle =
    "body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; "
    "padding: 0 1rem; line-height: 1.4; }\n"
    ".form-field { margin: 0 0 1rem; } .form-field > label:first-child { display: block; }\n"
    ".form-error { color: #b00020; }\n";

// The whole file at `path` into *text.
Status read_whole_file(const std::string& path, std::string* text) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return Status::Error("cannot read " + path + ": " + std::strerror(errno));
  text->clear();
  char buffer[16384];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0) text->append(buffer, got);
  const int error = std::ferror(file) ? errno : 0;  // a folder: EISDIR
  std::fclose(file);
  if (error != 0) return Status::Error("cannot read " + path + ": " + std::strerror(error));
  return Status();
}

// The text of rendered markup without its tags, for <title>, whose text is
// not markup (entities still are, so escaped values stay right).
std::string without_tags(std::string_view markup) {
  std::string text;
  bool in_tag = false;
  for (char c : markup) {
    if (c == '<') {
      in_tag = true;
    } else if (c == '>' && in_tag) {
      in_tag = false;
    } else if (!in_tag) {
      text += c;
    }
  }
  const size_t first = text.find_first_not_of(" \t\r\n");
  const size_t last = text.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

}  // namespace

TemplateReader compiled_templates(TemplateSource files) {
  return [files = std::move(files)](const Game& game, std::string_view file, TemplateFile* out) {
    out->name = "games/" + game.name() + "/" + std::string(file);
    const std::optional<std::string_view> text = files(out->name);
    if (!text) return Status::Error(out->name + " is not built into livectl");
    out->text = std::string(*text);
    return Status();
  };
}

TemplateReader folder_templates(std::function<std::string(const Game&)> folder_of,
                                TemplateSource compiled) {
  return [folder_of = std::move(folder_of), compiled = compiled_templates(std::move(compiled))](
             const Game& game, std::string_view file, TemplateFile* out) {
    const std::string folder = folder_of(game);
    if (folder.empty()) return compiled(game, file, out);
    out->name = folder + "/" + std::string(file);
    return read_whole_file(out->name, &out->text);
  };
}

Status GamePages::load(const Game& game, const TemplateReader& read,
                       std::unique_ptr<GamePages>* out) {
  std::unique_ptr<GamePages> pages(new GamePages(game));
  for (const PageSpec& page : game.pages()) {
    TemplateFile file;
    if (page.kind == PageKind::kWait && page.template_file.empty()) {
      // livectl's own wait page, never a game's file.
      file.name = page.by_arrival ? kArrivalWaitTemplate : kWaitTemplate;
      file.text = std::string(*embedded_file(file.name));
    } else if (Status status = read(game, page.template_file, &file); !status.ok()) {
      return status;
    }
    PageTemplate compiled;
    if (Status status = PageTemplate::compile(game, page, file.name, file.text, &compiled);
        !status.ok()) {
      return status;
    }
    pages->templates_.push_back(std::move(compiled));
  }
  *out = std::move(pages);
  return Status();
}

Status GamePages::render(const Player& player, std::string* html_out,
                         const RefusedForm* refused) const {
  // The participant's place in the session's page flow (every round's
  // pages of every game), which the page reports back; the template is
  // that page's, of this game (the player's).
  const uint32_t flow = player.participant().page;
  const uint32_t index = player.session().flow_page_index(flow);
  const PageSpec& page = game_.pages()[index];
  const PageTemplate& body = templates_[index];
  // Nobody submits a wait page: the group or its timeout moves it on.
  const bool no_next = flow + 1 == player.session().flow_size() || page.kind == PageKind::kWait;
  const std::string_view next = no_next ? std::string_view() : kNextButton;
  const std::string& code = player.participant().code;
  const std::string page_number = std::to_string(flow);

  // A game's own code: it may throw, or return what no script can use.
  Json js_vars;
  try {
    js_vars = game_.js_vars(player);
  } catch (const std::exception& e) {
    return Status::Error(game_.name() + "'s js_vars threw: " + e.what());
  } catch (...) {
    return Status::Error(game_.name() + "'s js_vars threw something that is not an exception");
  }
  if (!js_vars.is_object()) {
    return Status::Error(game_.name() + "'s js_vars returned " +
                         js_vars.dump(-1, ' ', false, Json::error_handler_t::replace) +
                         ", not an object");
  }

  std::string title;
  if (body.has(Block::kTitle)) body.render(Block::kTitle, player, next, title, refused);

  std::string& html = *html_out;
  html.clear();
  html.reserve(4096);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // No icon: otherwise every browser asks for /favicon.ico, gets a 404 and
  // logs it in the console next to the game's own messages.
  html += "<link rel=\"icon\" href=\"data:,\">\n<title>";
  if (body.has(Block::kTitle)) {
    html += without_tags(title);
  } else {
    append_html_escaped(game_.name() + ": " + page.name, html);
  }
  html += "</title>\n<script src=\"/live.js\" data-code=\"";
  append_html_escaped(code, html);
  // The last delivery the page has seen: live.js asks for what came after
  // (docs/protocol.md, "Delivery"); a page with history has seen none of
  // its page's.
  const Participant& participant = player.participant();
  html += "\" data-page=\"" + page_number + "\" data-seq=\"" +
          std::to_string(page.history ? participant.page_delivered : participant.delivered) +
          "\"></script>\n";
  // Before every script of the page, as oTree does; `var`, as oTree's, so
  // that it is also window.js_vars.
  html += "<script>var js_vars = ";
  append_script_json(js_vars, html);
  html += ";</script>\n<style>\n";
  html += kStyle;
  html += "</style>\n";
  body.render(Block::kStyles, player, next, html, refused);
  html += "</head>\n<body>\n";
  if (body.has(Block::kTitle)) {
    // oTree's heading, with its classes, which pages' styles may name.
    html += "<h2 class=\"otree-title page-header\">";
    html += title;
    html += "</h2>\n";
  }
  html += "<form id=\"form\" method=\"post\" action=\"/p/";
  append_html_escaped(code, html);
  html += "\" autocomplete=\"off\">\n<input type=\"hidden\" name=\"page\" value=\"" + page_number +
          "\">\n";
  if (refused) append_form_errors(game_, page, *refused, body.shown_form_fields(), html);
  body.render(Block::kContent, player, next, html, refused);
  if (!body.handles_next_button()) html += next;
  html += "</form>\n";
  // After the form: the page's elements exist, and live.js (in <head>)
  // has defined liveSend.
  body.render(Block::kScripts, player, next, html, refused);
  html += "</body>\n</html>\n";
  return Status();
}

}  // namespace livectl::server
