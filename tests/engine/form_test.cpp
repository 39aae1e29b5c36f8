// Form fields on plain pages: values checked on the server, stored in the
// event that moves the page, and exact error texts for each mistake.
#include <doctest/doctest.h>

#include "support.h"

namespace livectl::testing {
namespace {

class QuizGame final : public Game {
 public:
  QuizGame() : Game("quiz", "a game for form tests", 1) {
    page("quiz", PageKind::kPlain, "quiz.html")
        .form_field(answer, FieldOptions().label("What is 6 x 7?").min(0).max(100))
        .form_field(color, FieldOptions().label("Pick one").choices({"red", "green"}))
        .form_field(agree)
        .form_field(share, FieldOptions().min(0.5))
        .form_field(comment, FieldOptions().blank(true))
        .error_message([this](const Player&, const Json& values) -> Json {
          if (values["answer"] != 42)
            return {{"answer", "that is not right; read the question again"}};
          return nullptr;
        });
    page("results", PageKind::kPlain, "results.html");
  }
  Outbox live_method(Player&, const Json&) const override { return {}; }

  LIVECTL_PLAYER_FIELD(int64_t, answer);
  LIVECTL_PLAYER_FIELD(std::string, color);
  LIVECTL_PLAYER_FIELD(bool, agree);
  LIVECTL_PLAYER_FIELD(double, share);
  LIVECTL_PLAYER_FIELD(std::string, comment);
};

struct Quiz {
  Quiz()
      : session(game, store, [] {
          SessionConfig config;
          config.participants = 1;
          return config;
        }()) {}
  const EventResult& submit(Json form) {
    Event event;
    event.kind = EventKind::kSubmit;
    event.participant = 1;
    event.data = std::move(form);
    return session.apply(event);
  }
  std::string page() const { return session.page_of(session.player(1)).name; }

  QuizGame game;
  MemoryStore store;
  Session session;
};

Json good() {
  return {{"answer", 42}, {"color", "red"}, {"agree", true}, {"share", 0.5}};
}

TEST_CASE("a valid form is stored in the event that moves the page") {
  Quiz q;
  const EventResult& result = q.submit(good());
  REQUIRE_FALSE(result.error);
  CHECK(q.page() == "results");
  const Player& player = q.session.player(1);
  CHECK(player[q.game.answer] == 42);
  CHECK(player[q.game.color] == "red");
  CHECK(player[q.game.agree] == true);
  CHECK(player[q.game.share] == 0.5);
  CHECK_FALSE(player[q.game.comment].is_set());  // blank is allowed and stays unset
}

TEST_CASE("values a browser sends as text are read as the field's type") {
  Quiz q;
  const Json form = {{"answer", "42"},
                     {"color", "green"},
                     {"agree", "false"},
                     {"share", "2.5"},
                     {"comment", "fine"}};
  REQUIRE_FALSE(q.submit(form).error);
  const Player& player = q.session.player(1);
  CHECK(player[q.game.answer] == 42);
  CHECK(player[q.game.agree] == false);
  CHECK(player[q.game.share] == 2.5);
  CHECK(player[q.game.comment] == "fine");
}

TEST_CASE("each wrong field gets its own message, and nothing changes") {
  Quiz q;
  const std::string before = q.session.digest();
  const EventResult& result =
      q.submit({{"answer", "forty"}, {"color", "blue"}, {"agree", "maybe"}, {"share", 0.1}});
  REQUIRE(result.error);
  CHECK(*result.error ==
        "answer: enter a whole number; color: choose red or green; agree: choose yes or no; share: "
        "must be at least 0.5");
  REQUIRE(result.form_errors.size() == 4);
  CHECK(result.form_errors[0] ==
        std::pair<std::string, std::string>{"answer", "enter a whole number"});
  CHECK(q.page() == "quiz");
  CHECK(q.session.digest() == before);
}

TEST_CASE("a missing, empty or out-of-range value is refused with the field's message") {
  Quiz q;
  Json form = good();
  form.erase("color");
  form["answer"] = "";
  form["share"] = "abc";
  CHECK(*q.submit(form).error ==
        "answer: this field is required; color: this field is required; share: enter a number");
  form = good();
  form["answer"] = 101;
  CHECK(*q.submit(form).error == "answer: must be at most 100");
  CHECK(*q.submit(nullptr).error ==
        "answer: this field is required; color: this field is required; agree: this field is "
        "required; share: this field is required");
}

TEST_CASE("error_message runs when every field passed, and its message goes to its field") {
  Quiz q;
  Json form = good();
  form["answer"] = 41;
  const EventResult& result = q.submit(form);
  REQUIRE(result.error);
  CHECK(*result.error == "answer: that is not right; read the question again");
  CHECK(q.page() == "quiz");
  REQUIRE_FALSE(q.submit(good()).error);
}

TEST_CASE("a form may not write fields its page does not ask for") {
  Quiz q;
  Json form = good();
  form["payoff"] = 1000;
  CHECK(*q.submit(form).error == "page 'quiz' has no form field 'payoff'");
  CHECK(*q.submit(Json::array({1})).error == "the form's values are {\"field\": value}, not array");
  REQUIRE_FALSE(q.submit(good()).error);
  // The results page asks for nothing.
  CHECK(*q.submit({{"answer", 1}}).error ==
        "page 'results' is the last page; there is nothing to submit");
}

}  // namespace
}  // namespace livectl::testing
