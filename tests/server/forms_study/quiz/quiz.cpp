// quiz: a page with form fields over two rounds, for the test study
// livectl_forms_test (tests/CMakeLists.txt), which tests/server/forms_test.py
// serves and fills in over HTTP as a browser's form would.
//
// oTree's version:
//     class C(BaseConstants):
//         NUM_ROUNDS = 2
//     class Player(BasePlayer):
//         answer = models.IntegerField(label="What is 6 x 7?", min=0, max=100)
//         color = models.StringField(label="What color is the sky?",
//                                    choices=[["blue", "Blue"], ["green", "Green"], ["red",
//                                    "Red"]])
//     class Quiz(Page):
//         form_model = 'player'
//         form_fields = ['answer', 'color']
//         def error_message(player, values):
//             if values['color'] == 'green':
//                 return "the sky is not green"
//             if values['answer'] != 42:
//                 return dict(answer="that is not 6 x 7; try again")
//     class Grade(WaitPage):
//         def after_all_players_arrive(group): ...
#include <livectl/livectl.h>

namespace {

using namespace livectl;

class Quiz final : public Game {
 public:
  Quiz() : Game("quiz", "a quiz of two rounds whose page asks for form fields", 1, 2) {
    page("quiz", PageKind::kPlain, "quiz.html")
        .form_field(answer, FieldOptions().label("What is 6 x 7?").min(0).max(100))
        .form_field(color, FieldOptions()
                               .label("What color is the sky?")
                               .choices({"blue", "green", "red"}, {"Blue", "Green", "Red"}))
        .error_message([](const Player&, const Json& values) -> Json {
          if (values.at("color") == "green") return "the sky is not green";
          if (values.at("answer") != 42)
            return object({{"answer", "that is not 6 x 7; try again"}});
          return nullptr;
        });
    page("grade", PageKind::kWait).after_all_players_arrive([this](Group& group) {
      for (Player* player : group.players()) {
        (*player)[payoff] = static_cast<double>(group.session()[points_per_answer]);
      }
    });
    page("results", PageKind::kPlain, "results.html");
  }

  Outbox live_method(Player&, const Json&) const override { return reject("no live page"); }

  LIVECTL_PARAM(int64_t, points_per_answer, 10);
  LIVECTL_PLAYER_FIELD(int64_t, answer);
  LIVECTL_PLAYER_FIELD(std::string, color);
};

}  // namespace

LIVECTL_GAME(quiz, Quiz)
