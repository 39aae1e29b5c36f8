// Form fields on served pages: what {{ formfields }} and {{ formfield }}
// render, the page shown again with the messages when a form is refused,
// the form POST's body, and the placeholders of rounds, payoffs and the
// session's configuration.
#include "server/form_fields.h"

#include <doctest/doctest.h>

#include <map>

#include "server/form_body.h"
#include "server/page_layout.h"
#include "server/page_template.h"
#include "server/session_host.h"
#include "support.h"

namespace livectl::testing {
namespace {

using server::PageTemplate;
using server::RefusedForm;

class FormGame final : public Game {
 public:
  FormGame() : Game("form", "a game for form rendering tests", 1, 2) {
    page("quiz", PageKind::kPlain, "quiz.html")
        .form_field(answer, FieldOptions().label("What is 6 x 7?").min(0).max(100))
        .form_field(share, FieldOptions().min(0.5))
        .form_field(comment, FieldOptions().blank(true))
        .form_field(agree, FieldOptions().label("Do you agree?"))
        .form_field(
            color, FieldOptions().label("Pick one").choices({"red", "green"}, {"Red <b>", "Green"}))
        .error_message([](const Player&, const Json& values) -> Json {
          if (values.at("color") == "green") return "green is not allowed here";
          if (values.at("answer") != 42) return object({{"answer", "that is not 6 x 7"}});
          return nullptr;
        });
    page("results", PageKind::kPlain, "results.html");
  }
  Outbox live_method(Player&, const Json&) const override { return {}; }

  LIVECTL_PARAM(int64_t, endowment, 100);
  LIVECTL_PARAM(std::string, treatment, "baseline");
  LIVECTL_PLAYER_FIELD(int64_t, answer);
  LIVECTL_PLAYER_FIELD(double, share);
  LIVECTL_PLAYER_FIELD(std::string, comment);
  LIVECTL_PLAYER_FIELD(bool, agree);
  LIVECTL_PLAYER_FIELD(std::string, color);
};

const PageSpec& quiz_page(const Game& game) {
  return game.pages()[0];
}

std::string render(const FormGame& game, const Player& player, std::string_view text,
                   const RefusedForm* refused = nullptr, const PageSpec* page = nullptr) {
  PageTemplate compiled;
  const Status status =
      PageTemplate::compile(game, page ? *page : quiz_page(game), "t.html", text, &compiled);
  REQUIRE_MESSAGE(status.ok(), status.message());
  std::string out;
  compiled.render(player, "", out, refused);
  return out;
}

std::string compile_error(const FormGame& game, std::string_view text, int page = 0) {
  PageTemplate compiled;
  return PageTemplate::compile(game, game.pages()[static_cast<size_t>(page)],
                               "games/form/quiz.html", text, &compiled)
      .message();
}

constexpr std::string_view kAnswer =
    "<div class=\"form-field\" id=\"field-answer\">\n"
    "<label for=\"id_answer\">What is 6 x 7?</label>\n"
    "<input type=\"number\" step=\"1\" min=\"0\" max=\"100\" name=\"answer\" id=\"id_answer\" "
    "value=\"\" required>\n"
    "</div>\n";
constexpr std::string_view kShare =
    "<div class=\"form-field\" id=\"field-share\">\n"
    "<label for=\"id_share\">share</label>\n"
    "<input type=\"number\" step=\"any\" min=\"0.5\" name=\"share\" id=\"id_share\" value=\"\" "
    "required>\n"
    "</div>\n";
constexpr std::string_view kComment =
    "<div class=\"form-field\" id=\"field-comment\">\n"
    "<label for=\"id_comment\">comment</label>\n"
    "<input type=\"text\" maxlength=\"10000\" name=\"comment\" id=\"id_comment\" value=\"\">\n"
    "</div>\n";
constexpr std::string_view kAgree =
    "<div class=\"form-field\" id=\"field-agree\">\n"
    "<label for=\"id_agree_0\">Do you agree?</label>\n"
    "<label class=\"form-choice\"><input type=\"radio\" name=\"agree\" value=\"true\" "
    "id=\"id_agree_0\" required> Yes</label>\n"
    "<label class=\"form-choice\"><input type=\"radio\" name=\"agree\" value=\"false\" "
    "id=\"id_agree_1\" required> No</label>\n"
    "</div>\n";
constexpr std::string_view kColor =
    "<div class=\"form-field\" id=\"field-color\">\n"
    "<label for=\"id_color\">Pick one</label>\n"
    "<select name=\"color\" id=\"id_color\" required>\n"
    "<option value=\"\">---------</option>\n"
    "<option value=\"red\">Red &lt;b&gt;</option>\n"
    "<option value=\"green\">Green</option>\n"
    "</select>\n"
    "</div>\n";

// ---- rendering ----

TEST_CASE("formfields renders every form field of the page in order, each named and required") {
  FormGame game;
  TestSession t(game);
  CHECK(render(game, t.session.player(1), "<p>Q</p>{{ formfields }}<p>end</p>") ==
        "<p>Q</p>" + std::string(kAnswer) + std::string(kShare) + std::string(kComment) +
            std::string(kAgree) + std::string(kColor) + "<p>end</p>");
}

TEST_CASE("formfield renders the one field it names, written as oTree templates write it") {
  FormGame game;
  TestSession t(game);
  const Player& player = t.session.player(1);
  CHECK(render(game, player, "{{ formfield 'color' }}") == kColor);
  CHECK(render(game, player, "{{ formfield \"answer\" }}") == kAnswer);
  CHECK(render(game, player, "{% formfield player.agree %}") == kAgree);
}

TEST_CASE("a refused form shows each message next to its field and the values typed, escaped") {
  FormGame game;
  TestSession t(game);
  RefusedForm refused;
  refused.values = {{"answer", "\"><b>"}, {"agree", "false"}, {"color", "red"}};
  refused.errors = {{"answer", "enter a whole number"}, {"share", "this field is required"}};
  const std::string html = render(game, t.session.player(1), "{{ formfields }}", &refused);
  CHECK(html.find("<input type=\"number\" step=\"1\" min=\"0\" max=\"100\" name=\"answer\" "
                  "id=\"id_answer\" value=\"&quot;&gt;&lt;b&gt;\" required>\n"
                  "<div class=\"form-error\">enter a whole number</div>\n</div>\n") !=
        std::string::npos);
  CHECK(html.find("id=\"id_share\" value=\"\" required>\n"
                  "<div class=\"form-error\">this field is required</div>\n</div>\n") !=
        std::string::npos);
  CHECK(html.find("value=\"false\" id=\"id_agree_1\" checked required> No") != std::string::npos);
  CHECK(html.find("<option value=\"red\" selected>Red &lt;b&gt;</option>") != std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
}

TEST_CASE("a field shows the player's stored value when no refused form is shown") {
  FormGame game;
  TestSession t(game);
  Player& player = t.session.player(1);
  player[game.answer] = 42;
  player[game.share] = 0.75;
  player[game.agree] = true;
  player[game.color] = "green";
  const std::string html = render(game, player, "{{ formfields }}");
  CHECK(html.find("id=\"id_answer\" value=\"42\" required>") != std::string::npos);
  CHECK(html.find("id=\"id_share\" value=\"0.75\" required>") != std::string::npos);
  CHECK(html.find("value=\"true\" id=\"id_agree_0\" checked required> Yes") != std::string::npos);
  CHECK(html.find("<option value=\"green\" selected>Green</option>") != std::string::npos);
  CHECK(html.find("form-error") == std::string::npos);
}

TEST_CASE(
    "messages about the whole form, and of fields the template does not place, come "
    "first in the form, once") {
  FormGame game;
  TestSession t(game);
  std::unique_ptr<server::GamePages> pages;
  REQUIRE(server::GamePages::load(game,
                                  server::compiled_templates(
                                      [](std::string_view path) -> std::optional<std::string_view> {
                                        if (path == "games/form/quiz.html") {
                                          return "{{ formfield 'answer' }}<input name=\"share\">";
                                        }
                                        return "<p>done</p>";
                                      }),
                                  &pages)
              .ok());
  RefusedForm refused;
  refused.errors = {{"", "green is not allowed here"},
                    {"answer", "that is not 6 x 7"},
                    {"share", "must be at least 0.5"}};
  std::string html;
  REQUIRE(pages->render(t.session.player(1), &html, &refused).ok());
  CHECK(html.find("<input type=\"hidden\" name=\"page\" value=\"0\">\n"
                  "<div class=\"form-errors\">\n"
                  "<div class=\"form-error\">green is not allowed here</div>\n"
                  "<div class=\"form-error\">share: must be at least 0.5</div>\n"
                  "</div>\n<div class=\"form-field\" id=\"field-answer\">") != std::string::npos);
  CHECK(html.find("<div class=\"form-error\">that is not 6 x 7</div>\n</div>\n") !=
        std::string::npos);
  CHECK(html.find("answer: that is not 6 x 7") == std::string::npos);
  // Without a refused form there is no error anywhere (the style names the class).
  REQUIRE(pages->render(t.session.player(1), &html).ok());
  CHECK(html.find("class=\"form-error") == std::string::npos);
}

// ---- compile errors ----

TEST_CASE("a formfield the page does not ask for is refused with the page's form fields") {
  FormGame game;
  CHECK(compile_error(game, "<p>\n{{ formfield 'colour' }}") ==
        "games/form/quiz.html line 2: {{ formfield 'colour' }}: page 'quiz' has no form field "
        "'colour'; its form fields are answer, share, comment, agree and color");
  CHECK(compile_error(game, "{{ formfield 'answer' }}", 1) ==
        "games/form/quiz.html line 1: {{ formfield 'answer' }}: page 'results' has no form field "
        "'answer'; it has no form fields");
  CHECK(compile_error(game, "{{ formfield }}") ==
        "games/form/quiz.html line 1: {{ formfield }} does not name a field as "
        "{{ formfield 'name' }} does");
  CHECK(compile_error(game, "{{ formfield 'answer' label='A' }}") ==
        "games/form/quiz.html line 1: {{ formfield 'answer' label='A' }} does not name a field "
        "as {{ formfield 'name' }} does");
}

TEST_CASE("formfields on a page without form fields is refused") {
  FormGame game;
  CHECK(compile_error(game, "\n{{ formfields }}", 1) ==
        "games/form/quiz.html line 2: {{ formfields }} on page 'results', which has no form "
        "fields; a page asks for them with form_field(field, options) in the game");
}

TEST_CASE("an unknown placeholder lists rounds, payoffs, the configuration and the page's form") {
  FormGame game;
  CHECK(compile_error(game, "{{ player.answr }}") ==
        "games/form/quiz.html line 1: unknown placeholder {{ player.answr }}; form offers "
        "player.id_in_group, round_number, payoff, answer, share, comment, agree, color (player), "
        "group.id_in_subsession, round_number (group), subsession.round_number, "
        "participant.code, id_in_session, label, payoff, payoff_plus_participation_fee "
        "(participant), session.config.name, participation_fee, real_world_currency_per_point, "
        "endowment, treatment (session.config), C.NUM_ROUNDS, C.PLAYERS_PER_GROUP, formfields, "
        "formfield 'answer', 'share', 'comment', 'agree', 'color' (page quiz's form) and "
        "next_button, and the blocks title, content, scripts and styles "
        "({{ block content }} ... {{ endblock }})");
  CHECK(compile_error(game, "{{ session.config.endowmnt }}")
            .starts_with("games/form/quiz.html line 1: unknown placeholder "
                         "{{ session.config.endowmnt }}; form offers"));
  CHECK(compile_error(game, "{{ C.num_rounds }}")
            .starts_with("games/form/quiz.html line 1: unknown placeholder {{ C.num_rounds }};"));
}

// ---- rounds, payoffs and the configuration ----

TEST_CASE("round numbers, payoffs and the configuration render the session's values") {
  FormGame game;
  MemoryStore store;
  SessionConfig config;
  config.participants = 1;
  config.params = {{"treatment", "high <stakes>"}};
  config.config_name = "quiz_high";
  config.real_world_currency_per_point = 0.5;
  config.participation_fee = 2.5;
  Session session(game, store, config);
  session.player(1)[game.payoff] = 7;
  session.player(1).in_round(2)[game.payoff] = 4.5;
  const std::string text =
      "{{ player.round_number }}/{{ subsession.round_number }}/{{ group.round_number }} of "
      "{{ C.NUM_ROUNDS }}, {{ C.PLAYERS_PER_GROUP }} a group; {{ player.payoff }} of "
      "{{ participant.payoff }} = {{ participant.payoff_plus_participation_fee }}; "
      "{{ session.config.name }} {{ session.config.treatment }} {{ session.config.endowment }} "
      "{{ session.config.participation_fee }} {{ session.config.real_world_currency_per_point }}";
  CHECK(render(game, session.player(1), text) ==
        "1/1/1 of 2, 1 a group; 7 of 11.5 = 8.25; quiz_high high &lt;stakes&gt; 100 2.5 0.5");
  CHECK(render(game, session.player(1).in_round(2), "{{ player.round_number }}") == "2");
  TestSession own(game);  // a session of the game's own configuration
  CHECK(render(game, own.session.player(1), "{{ session.config.name }}") == "form");
}

// ---- the POST's body ----

TEST_CASE("a form body is %-decoded with + as a space, in order") {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(
      server::parse_form_body("page=0&a=1+2&b=%C3%A9%2b&c&=x&&d=%zz%4") ==
      Pairs{{"page", "0"}, {"a", "1 2"}, {"b", "\xc3\xa9+"}, {"c", ""}, {"", "x"}, {"d", "%zz%4"}});
  CHECK(server::parse_form_body("").empty());
}

TEST_CASE("the POST takes the page's form fields only, the last of a repeated name, as text") {
  FormGame game;
  CHECK(server::page_form_values(game, quiz_page(game),
                                 "page=0&answer=41&answer=42&payoff=1000&color=red&csrf=x") ==
        Json{{"answer", "42"}, {"color", "red"}});
  CHECK(server::page_form_values(game, quiz_page(game), "page=0") == Json::object());
  CHECK(server::page_form_values(game, quiz_page(game), "comment=a%FFb") == Json{{"comment",
                                                                                  "a\xef\xbf\xbd"
                                                                                  "b"}});
  // A page without form fields submits exactly as it always did.
  CHECK(server::page_form_values(game, game.pages()[1], "page=1&answer=1").is_null());
}

// ---- the host: a refused form answers with the page, after the commit ----

class CountingDurability final : public server::Durability {
 public:
  Store& store() override { return store_; }
  Status commit(std::vector<std::string>*) override {
    ++commits;
    return Status();
  }
  Status reload(const std::string&, const std::vector<const Game*>&,
                std::unique_ptr<Session>*) override {
    return Status::Error("not in this test");
  }
  int commits = 0;

 private:
  MemoryStore store_;
};

void no_wake(lws*) {}

std::optional<std::string_view> quiz_templates(std::string_view path) {
  if (path == "games/form/quiz.html") return "{{ formfields }}";
  return "<p>results</p>";
}

struct Host {
  Host() : host(durability, {}, no_wake, quiz_templates) {
    SessionConfig config;
    config.participants = 1;
    config.participant_codes = {"quizcode"};
    REQUIRE(host.add_session(std::make_unique<Session>(game, durability.store(), config)).ok());
  }
  // POSTs `body` for page 0 and ends the turn.
  server::HttpExchange& post(std::string body, int32_t page = 0) {
    exchanges.push_back(std::make_unique<server::HttpExchange>(nullptr));
    server::HttpExchange& exchange = *exchanges.back();
    exchange.request = server::HttpExchange::Request::kSubmit;
    exchange.seat = server::Seat{0, 1};
    exchange.form = std::move(body);
    host.submit_form(exchange, page);
    return exchange;
  }
  uint32_t page() const { return host.session(0).player(1).participant().page; }

  FormGame game;
  CountingDurability durability;
  server::SessionHost host;
  std::vector<std::unique_ptr<server::HttpExchange>> exchanges;
};

TEST_CASE(
    "a form refused for its values answers 200 with the page and its messages after the "
    "commit, and changes nothing") {
  Host h;
  const std::string before = h.host.session(0).digest();
  server::HttpExchange& exchange =
      h.post("page=0&answer=101&share=1&agree=true&color=red&payoff=1000");
  CHECK(exchange.status == 0);  // held until the turn's end
  h.host.end_turn();
  CHECK(h.durability.commits == 1);  // the refused event is in the log first
  CHECK(exchange.status == 200);
  CHECK(exchange.location.empty());
  CHECK(exchange.body.find("id=\"id_answer\" value=\"101\" required>\n"
                           "<div class=\"form-error\">must be at most 100</div>") !=
        std::string::npos);
  CHECK(exchange.body.find("<input type=\"hidden\" name=\"page\" value=\"0\">") !=
        std::string::npos);
  CHECK(h.page() == 0);
  CHECK(h.host.session(0).player(1)[h.game.payoff] == 0);
  CHECK(h.host.session(0).digest() == before);
}

TEST_CASE("a valid form moves on with a 303, as a page without form fields always did") {
  Host h;
  server::HttpExchange& exchange = h.post("page=0&answer=42&share=0.5&agree=false&color=red");
  h.host.end_turn();
  CHECK(exchange.status == 303);
  CHECK(exchange.location == "/p/quizcode");
  CHECK(h.page() == 1);
  const Player& player = h.host.session(0).player(1);
  CHECK(player[h.game.answer] == 42);
  CHECK(player[h.game.agree] == false);
  CHECK_FALSE(player[h.game.comment].is_set());
  server::HttpExchange& results = h.post("page=1&answer=7", 1);
  h.host.end_turn();
  CHECK(results.status == 303);
  CHECK(h.page() == 2);  // round 2's quiz, with fresh fields
  CHECK_FALSE(h.host.session(0).player(1)[h.game.answer].is_set());
}

TEST_CASE("a refused form is answered with a 303 when the same turn moved the participant on") {
  Host h;
  server::HttpExchange& refused = h.post("page=0&answer=1");
  server::HttpExchange& moved = h.post("page=0&answer=42&share=1&agree=true&color=red");
  h.host.end_turn();
  CHECK(refused.status == 303);
  CHECK(moved.status == 303);
  CHECK(h.page() == 1);
}

TEST_CASE("a stale page's form is not shown again, whatever its values") {
  Host h;
  h.post("page=0&answer=42&share=1&agree=true&color=red");
  h.host.end_turn();
  server::HttpExchange& stale = h.post("page=0&answer=500");
  h.host.end_turn();
  CHECK(stale.status == 303);
  CHECK(h.page() == 1);
}

}  // namespace
}  // namespace livectl::testing
