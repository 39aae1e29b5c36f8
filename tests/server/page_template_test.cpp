// Page templates, the page layout around them, js_vars, and serve --dev's
// templates read from a folder at every request.
#include "server/page_template.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>

#include "engine/registry.h"
#include "engine/scripted_game.h"
#include "server/assets.h"
#include "server/page_layout.h"
#include "server/session_host.h"
#include "support.h"

namespace livectl::testing {
namespace {

using server::Block;
using server::GamePages;
using server::PageTemplate;

std::string render(const Game& game, const Session& session, std::string_view text,
                   Block block = Block::kContent) {
  PageTemplate compiled;
  const Status status = PageTemplate::compile(game, game.pages()[0], "t.html", text, &compiled);
  REQUIRE_MESSAGE(status.ok(), status.message());
  std::string out;
  compiled.render(block, session.player(1), "<button>", out);
  return out;
}

std::string compile_error(std::string_view text) {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  PageTemplate compiled;
  return PageTemplate::compile(game, game.pages()[0], "games/scripted/live.html", text, &compiled)
      .message();
}

size_t count(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Compiled-in templates from a map, path -> text, for GamePages::load.
server::TemplateReader templates(std::map<std::string, std::string> files) {
  return server::compiled_templates(
      [files = std::move(files)](std::string_view path) -> std::optional<std::string_view> {
        const auto found = files.find(std::string(path));
        if (found == files.end()) return std::nullopt;
        return std::string_view(found->second);
      });
}

// A one-player game whose js_vars is a lambda.
class VarsGame final : public Game {
 public:
  explicit VarsGame(std::function<Json(const Player&)> vars)
      : Game("vars", "a game for js_vars tests", 1), vars_(std::move(vars)) {
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }
  Outbox live_method(Player&, const Json&) const override { return {}; }
  Json js_vars(const Player& player) const override { return vars_(player); }

 private:
  std::function<Json(const Player&)> vars_;
};

std::string document(const Game& game, const Session& session, std::string live_html) {
  std::unique_ptr<GamePages> pages;
  const Status loaded =
      GamePages::load(game,
                      templates({{"games/" + game.name() + "/live.html", std::move(live_html)},
                                 {"games/" + game.name() + "/middle.html", "<p>middle</p>"},
                                 {"games/" + game.name() + "/results.html", "<p>done</p>"}}),
                      &pages);
  REQUIRE_MESSAGE(loaded.ok(), loaded.message());
  std::string html;
  const Status rendered = pages->render(session.player(1), &html);
  REQUIRE_MESSAGE(rendered.ok(), rendered.message());
  return html;
}

// A folder of its own under the temporary directory, removed at the end.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "livectl-tpl-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream(path_ + "/" + name, std::ios::binary) << text;
  }

 private:
  std::string path_;
};

// ---- placeholders ----

TEST_CASE("strings render as their text and other values as JSON, all HTML-escaped") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  t.session.player(1).group()[game.label] = "<b>\"Tom\" & 'Jerry'</b>";
  t.session.player(1).group()[game.counter] = 3;
  CHECK(render(game, t.session,
               "{{ group.label }}|{{group.counter}}|{{ player.score }}|{{ player.id_in_group }}|"
               "{{ group.id_in_subsession }}|{{ participant.id_in_session }}") ==
        "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;|3|null|1|1|1");
  CHECK(render(game, t.session, "[{{ participant.code }}]") ==
        "[" + t.session.player(1).participant().code + "]");
  CHECK(render(game, t.session, "a {{ next_button }} b") == "a <button> b");
}

TEST_CASE("participant.code, id_in_session and label render the participant's, escaped") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  t.session.restore_participant(2, "lab <PC 7>", 0);
  PageTemplate compiled;
  REQUIRE(PageTemplate::compile(game, game.pages()[0], "t.html",
                                "{{ participant.code }}/{{ participant.id_in_session }}/"
                                "{{ participant.label }}",
                                &compiled)
              .ok());
  std::string out;
  compiled.render(t.session.player(2), "", out);
  CHECK(out == t.session.player(2).participant().code + "/2/lab &lt;PC 7&gt;");
}

TEST_CASE("{% %} works as {{ }} does, as in oTree") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  t.session.player(1).group()[game.counter] = 4;
  CHECK(render(game, t.session, "{% block content %}n={% group.counter %}{% endblock %}") == "n=4");
  CHECK(compile_error("a\n{% block content %}\n{% group.counter }}") ==
        "games/scripted/live.html line 3: {% is not closed by %}");
}

// ---- blocks ----

TEST_CASE("each block renders by itself, a template without blocks is all content") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  t.session.player(1).group()[game.counter] = 5;
  const std::string text =
      "{{ block title }}Round {{ group.counter }}{{ endblock }}\n"
      "{{ block content }}<p>{{ player.id_in_group }}</p>{{ next_button }}{{ endblock }}\n"
      "{{ block scripts }}<script>go()</script>{{ endblock }}\n"
      "{{ block styles }}<style>p{}</style>{{ endblock }}\n";
  CHECK(render(game, t.session, text, Block::kTitle) == "Round 5");
  CHECK(render(game, t.session, text, Block::kContent) == "<p>1</p><button>");
  CHECK(render(game, t.session, text, Block::kScripts) == "<script>go()</script>");
  CHECK(render(game, t.session, text, Block::kStyles) == "<style>p{}</style>");
  CHECK(render(game, t.session, "{{ block title }}T{{ endblock }}", Block::kContent).empty());
  CHECK(render(game, t.session, "<p>{{ group.counter }}</p>", Block::kContent) == "<p>5</p>");
  CHECK(render(game, t.session, "<p>{{ group.counter }}</p>", Block::kTitle).empty());
}

TEST_CASE("the title block is the page's <title> and heading, scripts come after the form") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  t.session.player(1).group()[game.label] = "A&B";
  const std::string html =
      document(game, t.session,
               "{{ block title }}Auction <em>{{ group.label }}</em>{{ endblock }}\n"
               "{{ block content }}<p id=\"c\">content</p>{{ endblock }}\n"
               "{{ block scripts }}<script>liveSend({});</script>{{ endblock }}\n");
  CHECK(html.find("<title>Auction A&amp;B</title>") != std::string::npos);
  CHECK(html.find("<h2 class=\"otree-title page-header\">Auction <em>A&amp;B</em></h2>\n"
                  "<form id=\"form\"") != std::string::npos);
  const size_t live_js = html.find("<script src=\"/live.js\"");
  const size_t content = html.find("<p id=\"c\">content</p>");
  const size_t next = html.find("id=\"next\"");
  const size_t form_end = html.find("</form>");
  const size_t scripts = html.find("<script>liveSend({});</script>");
  REQUIRE(scripts != std::string::npos);
  CHECK(live_js < content);
  CHECK(content < next);
  CHECK(next < form_end);
  CHECK(form_end < scripts);
}

TEST_CASE("a template without blocks keeps livectl's title and no heading") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  const std::string html = document(game, t.session, "<p>plain</p>");
  CHECK(html.find("<title>scripted: live</title>") != std::string::npos);
  CHECK(html.find("<h2") == std::string::npos);
  CHECK(html.find("<input type=\"hidden\" name=\"page\" value=\"0\">\n<p>plain</p>"
                  "<p><button type=\"submit\" id=\"next\">Next</button></p>\n</form>") !=
        std::string::npos);
}

// ---- js_vars ----

TEST_CASE("script JSON has no </script>, <!-- or line separator to break out with") {
  const Json vars = {{"a", "</script><script>alert(1)</script>"},
                     {"b", "<!-- x -->"},
                     {"c", "line\xe2\x80\xa8sep\xe2\x80\xa9para & more"},
                     {"n", 3}};
  std::string out;
  server::append_script_json(vars, out);
  CHECK(out == R"({"a":"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e",)"
               R"("b":"\u003c!-- x --\u003e","c":"line\u2028sep\u2029para \u0026 more","n":3})");
  CHECK(out.find('<') == std::string::npos);
  CHECK(Json::parse(out) == vars);
}

TEST_CASE("script JSON turns bytes that are not UTF-8 into U+FFFD instead of throwing") {
  std::string out;
  server::append_script_json(Json{{"x", std::string("a\xff")}}, out);
  CHECK(out == "{\"x\":\"a\xef\xbf\xbd\"}");
}

TEST_CASE("the page defines js_vars from the game before any script of the page") {
  VarsGame game([](const Player& player) {
    return Json{{"me", player.id_in_group()}, {"note", "</script>"}};
  });
  TestSession t(game);
  const std::string html = document(game, t.session,
                                    "{{ block content }}<script>show(js_vars)</script>"
                                    "{{ endblock }}{{ block scripts }}<script>x()</script>"
                                    "{{ endblock }}");
  const size_t vars =
      html.find("<script>var js_vars = {\"me\":1,\"note\":\"\\u003c/script\\u003e\"};</script>");
  REQUIRE(vars != std::string::npos);
  CHECK(vars > html.find("<script src=\"/live.js\""));
  CHECK(vars < html.find("show(js_vars)"));
  CHECK(count(html, "</script>") == 4);  // live.js, js_vars, the content's, the scripts'
}

TEST_CASE("a game without js_vars gets an empty js_vars object") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TestSession t(game);
  CHECK(document(game, t.session, "<p>x</p>").find("<script>var js_vars = {};</script>") !=
        std::string::npos);
}

TEST_CASE("js_vars that throws or is not an object makes the page an error, not a crash") {
  std::unique_ptr<GamePages> pages;
  std::string html;
  VarsGame throws([](const Player&) -> Json { throw std::runtime_error("no such bidder"); });
  TestSession a(throws);
  REQUIRE(GamePages::load(
              throws, templates({{"games/vars/live.html", "x"}, {"games/vars/results.html", "y"}}),
              &pages)
              .ok());
  CHECK(pages->render(a.session.player(1), &html).message() ==
        "vars's js_vars threw: no such bidder");
  VarsGame number([](const Player&) { return Json(5); });
  TestSession b(number);
  REQUIRE(GamePages::load(
              number, templates({{"games/vars/live.html", "x"}, {"games/vars/results.html", "y"}}),
              &pages)
              .ok());
  CHECK(pages->render(b.session.player(1), &html).message() ==
        "vars's js_vars returned 5, not an object");
}

// ---- errors ----

TEST_CASE("an unknown placeholder is refused with the file, the line and what exists") {
  CHECK(compile_error("<p>\n{{ player.bid }}</p>") ==
        "games/scripted/live.html line 2: unknown placeholder {{ player.bid }}; scripted offers "
        "player.id_in_group, round_number, payoff, score (player), group.id_in_subsession, "
        "round_number, counter, label (group), subsession.round_number, participant.code, "
        "id_in_session, label, payoff, payoff_plus_participation_fee (participant), "
        "session.config.name, participation_fee, real_world_currency_per_point "
        "(session.config), C.NUM_ROUNDS, C.PLAYERS_PER_GROUP and next_button, and the blocks "
        "title, content, scripts and styles ({{ block content }} ... {{ endblock }})");
  CHECK(compile_error("{{ session.code }}").find("unknown placeholder {{ session.code }}") !=
        std::string::npos);
}

TEST_CASE("an unclosed placeholder is refused") {
  CHECK(compile_error("a\nb {{ group.counter") ==
        "games/scripted/live.html line 2: {{ is not closed by }}");
}

TEST_CASE("an unknown block is refused with the blocks that exist") {
  CHECK(compile_error("\n\n{{ block footer }}x{{ endblock }}") ==
        "games/scripted/live.html line 3: unknown block {{ block footer }}; the blocks are "
        "title, content, scripts and styles");
  CHECK(compile_error("{{ block }}x{{ endblock }}") ==
        "games/scripted/live.html line 1: {{ block }} names no block; the blocks are title, "
        "content, scripts and styles");
}

TEST_CASE("a block that is not closed is refused at the line that opened it") {
  CHECK(compile_error("{{ block title }}T{{ endblock }}\n{{ block content }}\n<p>x</p>\n") ==
        "games/scripted/live.html line 2: {{ block content }} is not closed by {{ endblock }}");
}

TEST_CASE("a block inside a block is refused") {
  CHECK(compile_error("{{ block content }}\n<p>x</p>\n{{ block scripts }}<script></script>"
                      "{{ endblock }}{{ endblock }}") ==
        "games/scripted/live.html line 3: {{ block scripts }} is inside {{ block content }}, "
        "which line 1 opened; blocks do not nest: close it with {{ endblock }} first");
}

TEST_CASE("a block given twice is refused") {
  CHECK(compile_error("{{ block content }}a{{ endblock }}\n{{ block content }}b{{ endblock }}") ==
        "games/scripted/live.html line 2: a second {{ block content }}; the first is on line 1");
}

TEST_CASE("an endblock with no block open is refused") {
  CHECK(compile_error("<p>x</p>\n{{ endblock }}") ==
        "games/scripted/live.html line 2: {{ endblock }} closes no block: no {{ block NAME }} "
        "is open");
}

TEST_CASE("text or a placeholder outside the blocks of a template with blocks is refused") {
  const std::string expected_tail =
      ": text outside the blocks, which no page shows; in a template with blocks everything "
      "is inside {{ block title }}, {{ block content }}, {{ block scripts }} or "
      "{{ block styles }}";
  CHECK(compile_error("{{ block title }}T{{ endblock }}\n\n  <p>lost</p>\n") ==
        "games/scripted/live.html line 3" + expected_tail);
  CHECK(compile_error("{{ group.counter }}\n{{ block content }}x{{ endblock }}") ==
        "games/scripted/live.html line 1" + expected_tail);
  // Space between blocks is fine.
  CHECK(compile_error("\n{{ block title }}T{{ endblock }}\n\n{{ block content }}x{{ endblock }}\n")
            .empty());
}

TEST_CASE("a template may mention <form> in a comment but not contain one") {
  CHECK(compile_error("<!-- inside <form id=\"form\"> -->\n<p>ok</p>").empty());
  CHECK(compile_error("<script>\n// submits <form id=\"form\">\n</script><p>ok</p>").empty());
  CHECK(compile_error("<p>\n<FORM action=\"/x\"></form>") ==
        "games/scripted/live.html line 2: a template must not contain <form>; the page is "
        "already inside livectl's <form id=\"form\">");
}

// ---- the games' pages ----

TEST_CASE("every built-in game's pages render inside one form with at most one next button") {
  for (const Game* game : all_games()) {
    CAPTURE(game->name());
    std::unique_ptr<GamePages> pages;
    const Status status = GamePages::load(*game, server::compiled_templates(game_file), &pages);
    REQUIRE_MESSAGE(status.ok(), status.message());
    TestSession t(*game);
    for (size_t page = 0; page < game->pages().size(); ++page) {
      CAPTURE(page);
      t.session.restore_participant(1, "", static_cast<uint32_t>(page));
      std::string html;
      REQUIRE(pages->render(t.session.player(1), &html).ok());
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
  REQUIRE(
      GamePages::load(game_named("auction"), server::compiled_templates(game_file), &pages).ok());
  TestSession t("auction");
  t.session.restore_participant(1, "", static_cast<uint32_t>(t.page_index("live")));
  std::string html;
  REQUIRE(pages->render(t.session.player(1), &html).ok());
  CHECK(html.find("<button type=\"submit\" id=\"next\">Next</button>") != std::string::npos);
}

TEST_CASE("a wait page without a template gets livectl's, whatever the game's files hold") {
  std::unique_ptr<GamePages> pages;
  REQUIRE(GamePages::load(game_named("auction"), templates({}), &pages).message() ==
          "games/auction/live.html is not built into livectl");
  REQUIRE(GamePages::load(game_named("auction"),
                          templates({{"games/auction/live.html", "<p>live</p>"},
                                     {"games/auction/results.html", "<p>results</p>"}}),
                          &pages)
              .ok());
  TestSession t("auction");
  t.session.restore_participant(1, "", static_cast<uint32_t>(t.page_index("waiting")));
  std::string html;
  REQUIRE(pages->render(t.session.player(1), &html).ok());
  CHECK(html.find(*server::embedded_file("server/wait.html")) != std::string::npos);
}

TEST_CASE("a template missing from the build is named") {
  std::unique_ptr<GamePages> pages;
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  CHECK(GamePages::load(game, server::compiled_templates(game_file), &pages).message() ==
        "games/scripted/live.html is not built into livectl");
}

// ---- serve --dev ----

TEST_CASE("dev templates are read from the game's folder at every load, and named by path") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TemporaryFolder folder;
  const server::TemplateReader read = server::folder_templates(
      [&](const Game&) { return folder.path(); }, [](std::string_view) { return std::nullopt; });
  std::unique_ptr<GamePages> pages;
  CHECK(GamePages::load(game, read, &pages).message() ==
        "cannot read " + folder.path() + "/live.html: No such file or directory");
  folder.write("live.html", "<p>one</p>");
  folder.write("middle.html", "<p>middle</p>");
  folder.write("results.html", "<p>\n{{ player.nope }}</p>");
  CHECK(GamePages::load(game, read, &pages)
            .message()
            .starts_with(folder.path() +
                         "/results.html line 2: unknown placeholder {{ player.nope }}; "));
  folder.write("results.html", "<p>done</p>");
  REQUIRE(GamePages::load(game, read, &pages).ok());
  TestSession t(game);
  std::string html;
  REQUIRE(pages->render(t.session.player(1), &html).ok());
  CHECK(html.find("<p>one</p>") != std::string::npos);
}

TEST_CASE("a game without a source folder reads its compiled-in templates under dev") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  const server::TemplateReader read =
      server::folder_templates([](const Game&) { return std::string(); },
                               [](std::string_view path) -> std::optional<std::string_view> {
                                 if (path == "games/scripted/live.html")
                                   return "<p>compiled in</p>";
                                 return std::nullopt;
                               });
  server::TemplateFile file;
  REQUIRE(read(game, "live.html", &file).ok());
  CHECK(file.name == "games/scripted/live.html");
  CHECK(file.text == "<p>compiled in</p>");
  CHECK(read(game, "middle.html", &file).message() ==
        "games/scripted/middle.html is not built into livectl");
}

// Commits into memory.
class MemoryDurability final : public server::Durability {
 public:
  Store& store() override { return store_; }
  Status commit(std::vector<std::string>*) override { return Status(); }
  Status reload(const std::string&, const std::vector<const Game*>&,
                std::unique_ptr<Session>*) override {
    return Status::Error("not here");
  }

 private:
  MemoryStore store_;
};

void no_wake(lws*) {}

TEST_CASE("under dev templates an edit shows on the next request, an error answers 500") {
  ScriptedGame game([](const ScriptedGame&, Player&, const Json&) { return Outbox(); });
  TemporaryFolder folder;
  folder.write("live.html", "<p id=\"v\">first</p>");
  folder.write("middle.html", "<p>middle</p>");
  folder.write("results.html", "<p>results</p>");
  MemoryDurability durability;
  // Nothing is compiled in: every page comes from the folder.
  server::SessionHost host(durability, {}, no_wake, [](std::string_view) { return std::nullopt; });
  host.set_dev_templates(server::folder_templates([&](const Game&) { return folder.path(); },
                                                  [](std::string_view) { return std::nullopt; }));
  SessionConfig config;
  config.participants = 3;
  config.participant_codes = {"dev-one", "dev-two", "dev-three"};
  REQUIRE(host.add_session(std::make_unique<Session>(game, durability.store(), config)).ok());
  auto get_page = [&] {
    server::HttpExchange exchange(nullptr);
    exchange.request = server::HttpExchange::Request::kPage;
    exchange.seat = server::Seat{0, 1};
    host.await_turn_end(exchange);
    host.end_turn();
    return std::make_pair(exchange.status, exchange.body);
  };
  auto [status, body] = get_page();
  CHECK(status == 200);
  CHECK(body.find("<p id=\"v\">first</p>") != std::string::npos);

  folder.write("live.html", "{{ block content }}\n<p>unclosed</p>\n");
  std::tie(status, body) = get_page();
  CHECK(status == 500);
  CHECK(body.find("<pre id=\"error\">" + folder.path() +
                  "/live.html line 1: {{ block content }} is not closed by {{ endblock }}"
                  "</pre>") != std::string::npos);

  folder.write("live.html", "{{ block content }}<p id=\"v\">second</p>{{ endblock }}");
  std::tie(status, body) = get_page();
  CHECK(status == 200);
  CHECK(body.find("<p id=\"v\">second</p>") != std::string::npos);
}

}  // namespace
}  // namespace livectl::testing
