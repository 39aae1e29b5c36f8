// A questionnaire after the public goods game, as oTree studies end with a
// survey app: played after public_goods in the configuration pg_survey
// (app_sequence ["public_goods", "survey"]). It reads what the participant
// did in the game before through a participant field both games declare,
// total_given, and shows what the whole session earned them.
#include <livectl/livectl.h>

#include <memory>
#include <string>

namespace {

using namespace livectl;

class Survey final : public Game {
 public:
  Survey() : Game("survey", "a questionnaire after the game; shows the session's earnings", 1) {
    page("questions", PageKind::kPlain, "questions.html")
        .form_field(age, FieldOptions().label("Your age").min(16).max(120))
        .form_field(fairness,
                    FieldOptions()
                        .label("How fair did the others in your groups play?")
                        .choices({1, 2, 3, 4, 5}, {"Not at all fair", "Rather unfair", "Neither",
                                                   "Rather fair", "Very fair"}))
        .form_field(comments,
                    FieldOptions().label("Anything else you want to tell us?").blank(true));
    page("payment", PageKind::kPlain, "payment.html");
  }

  Outbox live_method(Player&, const Json&) const override { return {}; }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;

  LIVECTL_PLAYER_FIELD(int64_t, age);
  LIVECTL_PLAYER_FIELD(int64_t, fairness);
  LIVECTL_PLAYER_FIELD(std::string, comments);
  // Shared by name with public_goods: what the participant put in its pots.
  LIVECTL_PARTICIPANT_FIELD(int64_t, total_given, 0);
};

// Answers the questions, then is done.
class Respondent final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.name == "questions") {
      return BotAction::submit(object(
          {{"age", rng.between(18, 70)}, {"fairness", rng.between(1, 5)}, {"comments", ""}}));
    }
    return BotAction::done();
  }
  void on_receive(const Json&) override {}
};

std::unique_ptr<Bot> Survey::make_bot(int, int) const {
  return std::make_unique<Respondent>();
}

}  // namespace

LIVECTL_GAME(survey, Survey)
