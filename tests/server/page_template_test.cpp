// Page templates and the page layout around them.
#include "server/page_template.h"

#include <doctest/doctest.h>

#include "engine/scripted_game.h"
#include "server/assets.h"
#include "server/page_layout.h"
#include "support.h"

namespace livectl::testing {
namespace {

using server::GamePages;
using server::PageTemplate;

std::string render(const ScriptedGame& game, const Session& session, std::string_view text) {
  PageTemplate compiled;
  const Status status = PageTemplate::compile(game, "t.html", text, &compiled);
  REQUIRE_MESSAGE(status.ok(), status.message());
  std::string out;
  compiled.render(session.player(1), "<button>", out);
  return out;
}

std::string compile_error(std::string_view text) {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  PageTemplate compiled;
  return PageTemplate::compile(game, "games/scripted/live.html", text, &compiled).message();
}

size_t count(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("strings render as their text and other values as JSON, all HTML-escaped") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  t.session.player(1).group().set(game.label, "<b>\"Tom\" & 'Jerry'</b>");
  t.session.player(1).group().set(game.counter, 3);
  CHECK(render(game, t.session,
               "{{ group.label }}|{{group.counter}}|{{ player.score }}|{{ player.id_in_group }}|"
               "{{ group.id_in_subsession }}|{{ participant.id_in_session }}") ==
        "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;|3|null|1|1|1");
  CHECK(render(game, t.session, "[{{ participant.code }}]") ==
        "[" + t.session.player(1).participant().code + "]");
  CHECK(render(game, t.session, "a {{ next_button }} b") == "a <button> b");
}

TEST_CASE("an unknown placeholder is refused with the file, the line and what exists") {
  CHECK(compile_error("<p>\n{{ player.bid }}</p>") ==
        "games/scripted/live.html line 2: unknown placeholder {{ player.bid }}; scripted offers "
        "player.id_in_group, score (player), group.id_in_subsession, counter, label (group), "
        "participant.code, participant.id_in_session, participant.label and next_button");
  CHECK(compile_error("{{ session.code }}").find("unknown placeholder {{ session.code }}") !=
        std::string::npos);
}

TEST_CASE("an unclosed placeholder is refused") {
  CHECK(compile_error("a\nb {{ group.counter") ==
        "games/scripted/live.html line 2: {{ is not closed by }}");
}

TEST_CASE("a template may mention <form> in a comment but not contain one") {
  CHECK(compile_error("<!-- inside <form id=\"form\"> -->\n<p>ok</p>").empty());
  CHECK(compile_error("<script>\n// submits <form id=\"form\">\n</script><p>ok</p>").empty());
  CHECK(compile_error("<p>\n<FORM action=\"/x\"></form>") ==
        "games/scripted/live.html line 2: a template must not contain <form>; the page is "
        "already inside livectl's <form id=\"form\">");
}

TEST_CASE("every built-in game's pages render inside one form with at most one next button") {
  for (const Game* game : all_games()) {
    CAPTURE(game->name());
    std::unique_ptr<GamePages> pages;
    const Status status = GamePages::load(*game, server::embedded_file, &pages);
    REQUIRE_MESSAGE(status.ok(), status.message());
    TestSession t(*game);
    for (size_t page = 0; page < game->pages().size(); ++page) {
      CAPTURE(page);
      t.session.restore_participant(1, "", static_cast<uint32_t>(page));
      const std::string html = pages->render(t.session.player(1));
      CHECK(count(html, "<form id=\"form\" method=\"post\"") == 1);
      CHECK(count(html, "<script src=\"/live.js\"") == 1);
      CHECK(html.find("{{") == std::string::npos);
      CHECK(html.find("data-page=\"" + std::to_string(page) + "\"") != std::string::npos);
      const bool last = page + 1 == game->pages().size();
      const bool wait = game->pages()[page].kind == PageKind::kWait;
      CHECK(count(html, "id=\"next\"") == (last || wait ? 0 : 1));
    }
  }
}

TEST_CASE("a live page without its own next button gets the layout's") {
  std::unique_ptr<GamePages> pages;
  REQUIRE(GamePages::load(game_named("auction"), server::embedded_file, &pages).ok());
  TestSession t("auction");
  CHECK(pages->render(t.session.player(1))
            .find("<button type=\"submit\" id=\"next\">Next</button>") != std::string::npos);
}

TEST_CASE("a template missing from the build is named") {
  std::unique_ptr<GamePages> pages;
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  CHECK(GamePages::load(game, server::embedded_file, &pages).message() ==
        "games/scripted/live.html is not built into livectl");
}

}  // namespace
}  // namespace livectl::testing
