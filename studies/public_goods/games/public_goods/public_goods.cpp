// A repeated public goods game, as in oTree's public_goods sample and the
// strangers designs of the literature: groups of three, three rounds,
// everyone regrouped at random every round. Each player gets 20 points per
// round and puts any part of them in the group's pot; the pot is
// multiplied (the session configuration's `multiplier`) and shared equally.
// A comprehension quiz comes before round 1.
#include <livectl/livectl.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace livectl;

constexpr int kPlayersPerGroup = 3;
constexpr int kRounds = 3;
constexpr int64_t kEndowment = 20;

class PublicGoods final : public Game {
 public:
  PublicGoods()
      : Game("public_goods", "strangers contribute to a multiplied pot, three rounds",
             kPlayersPerGroup, kRounds) {
    // Round 1 only: the instructions and their quiz.
    page("introduction", PageKind::kPlain, "introduction.html")
        .is_displayed([](const Player& player) { return player.round_number() == 1; })
        .form_field(quiz_share, FieldOptions()
                                    .label("Everyone puts 10 points in the pot. With a "
                                           "multiplier of 2, how many points does each of the "
                                           "three get back from the pot?")
                                    .min(0)
                                    .max(1000))
        .form_field(quiz_best, FieldOptions()
                                   .label("Which earns the group as a whole the most?")
                                   .choices({"nothing", "half", "everything"},
                                            {"Everyone keeps everything", "Everyone gives half",
                                             "Everyone gives everything"}))
        .error_message([](const Player&, const Json& values) -> Json {
          Json errors = Json::object();
          if (values["quiz_share"] != 20) {
            errors["quiz_share"] = "not quite: the pot is 30, doubled 60, shared by three";
          }
          if (values["quiz_best"] != "everything") {
            errors["quiz_best"] = "not quite: each point in the pot becomes more than one point";
          }
          return errors.empty() ? Json() : errors;
        });
    page("contribute", PageKind::kPlain, "contribute.html")
        .form_field(contribution, FieldOptions()
                                      .label("How many of your 20 points do you put in the pot?")
                                      .min(0)
                                      .max(kEndowment));
    page("wait_for_group", PageKind::kWait).after_all_players_arrive([this](Group& group) {
      set_payoffs(group);
    });
    page("results", PageKind::kPlain, "results.html");
    // After the last round: what the participant earned in all.
    page("finished", PageKind::kPlain, "finished.html").is_displayed([](const Player& player) {
      return player.round_number() == kRounds;
    });
  }

  // Strangers: new groups every round, drawn from the session's seed.
  void creating_session(Subsession& subsession) const override { subsession.group_randomly(); }

  // No live page: everything is a form.
  Outbox live_method(Player&, const Json&) const override { return {}; }

  // Each page's script sees the round and the configuration.
  Json js_vars(const Player& player) const override {
    return object({{"round_number", player.round_number()},
                   {"num_rounds", kRounds},
                   {"multiplier", player.session()[multiplier]}});
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;

  LIVECTL_PARAM(double, multiplier, 2.0);
  LIVECTL_PLAYER_FIELD(int64_t, contribution);
  LIVECTL_PLAYER_FIELD(int64_t, quiz_share);
  LIVECTL_PLAYER_FIELD(std::string, quiz_best);
  LIVECTL_GROUP_FIELD(int64_t, total_contribution);
  LIVECTL_GROUP_FIELD(double, individual_share);
  // How many points the participant put in the pots of all rounds.
  LIVECTL_PARTICIPANT_FIELD(int64_t, total_given, 0);

 private:
  void set_payoffs(Group& group) const {
    int64_t total = 0;
    for (const Player* player : group.players()) total += (*player)[contribution];
    group[total_contribution] = total;
    const double share = static_cast<double>(total) * group.session()[multiplier] / group.size();
    group[individual_share] = share;
    for (Player* player : group.players()) {
      (*player)[payoff] = static_cast<double>(kEndowment - (*player)[contribution]) + share;
      (*player)[total_given] += (*player)[contribution];
    }
  }
};

// A bot that passes the quiz and gives a random part of its points.
class Contributor final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.name == "introduction") {
      return BotAction::submit(object({{"quiz_share", 20}, {"quiz_best", "everything"}}));
    }
    if (page.name == "contribute") {
      return BotAction::submit(object({{"contribution", rng.between(0, kEndowment)}}));
    }
    if (page.name == "results") return BotAction::submit();
    return BotAction::done();  // finished
  }
  void on_receive(const Json&) override {}
};

std::unique_ptr<Bot> PublicGoods::make_bot(int, int) const {
  return std::make_unique<Contributor>();
}

// After every event: each group that has its payoffs paid what the rules say.
class PayoffsFollowTheRules final : public Invariant {
 public:
  explicit PayoffsFollowTheRules(const PublicGoods& game) : game_(game) {}
  std::string_view name() const override {
    return "a payoff is 20 - contribution + the pot times the multiplier over 3";
  }
  std::optional<std::string> check(const Session& session, const Event&,
                                   const EventResult&) override {
    for (const Group& group : session.groups()) {
      // In an app sequence, the other games' groups are theirs to check.
      if (&group.game() != &game_ || !group[game_.total_contribution].is_set()) continue;
      int64_t total = 0;
      for (const Player* player : group.players()) total += (*player)[game_.contribution];
      if (group[game_.total_contribution] != total) {
        return "group " + std::to_string(group.id_in_subsession()) + " of round " +
               std::to_string(group.round_number()) + " has a pot of " +
               group[game_.total_contribution].json().dump() + ", not " + std::to_string(total);
      }
      const double share = static_cast<double>(total) * session[game_.multiplier] / group.size();
      for (const Player* player : group.players()) {
        const double expected =
            static_cast<double>(kEndowment - (*player)[game_.contribution]) + share;
        if ((*player)[game_.payoff] != expected) {
          return "participant " + std::to_string(player->id_in_session()) + " of round " +
                 std::to_string(player->round_number()) + " has payoff " +
                 (*player)[game_.payoff].json().dump() + ", not " + std::to_string(expected);
        }
      }
    }
    return {};
  }

 private:
  const PublicGoods& game_;
};

// Every round, every participant is in exactly one group of three.
class EveryoneInOneGroupPerRound final : public Invariant {
 public:
  explicit EveryoneInOneGroupPerRound(const PublicGoods& game) : game_(game) {}
  std::string_view name() const override {
    return "every round puts every participant in exactly one group of three";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    if (event.participant != 1 || checked_) return {};  // the groups are fixed at creation
    checked_ = true;
    for (int round = 1; round <= session.session_rounds(); ++round) {
      // This game's rounds only, in an app sequence.
      if (session.games()[session.app_of_round(round)] != &game_) continue;
      std::vector<int> seen(session.participant_count() + 1, 0);
      for (const auto& row : session.group_matrix(round)) {
        if (row.size() != kPlayersPerGroup) {
          return "round " + std::to_string(round) + " has a group of " + std::to_string(row.size());
        }
        for (int id : row) ++seen[id];
      }
      for (size_t id = 1; id < seen.size(); ++id) {
        if (seen[id] != 1) {
          return "participant " + std::to_string(id) + " is in " + std::to_string(seen[id]) +
                 " groups of round " + std::to_string(round);
        }
      }
    }
    return {};
  }

 private:
  const PublicGoods& game_;
  bool checked_ = false;
};

std::vector<std::unique_ptr<Invariant>> PublicGoods::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> checks;
  checks.push_back(std::make_unique<PayoffsFollowTheRules>(*this));
  checks.push_back(std::make_unique<EveryoneInOneGroupPerRound>(*this));
  return checks;
}

}  // namespace

LIVECTL_GAME(public_goods, PublicGoods)
