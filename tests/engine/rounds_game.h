#pragma once
// A public-goods-like game over three rounds, for testing rounds, matching,
// parameters, participant fields and payoffs without a real game's pages.
#include <memory>

#include "engine/bot.h"
#include "engine/session.h"

namespace livectl::testing {

class RoundsGame final : public Game {
 public:
  // Pages: "intro" (round 1 only), "contribute" (live: send an integer),
  // "wait" (sets the group's total and everyone's payoff), "results".
  // Groups of two, three rounds; with `rematch` (the default) rounds 2 and
  // 3 are regrouped at random.
  RoundsGame() : Game("rounds", "a game for round tests", 2, 3) {
    page("intro", PageKind::kPlain, "intro.html").is_displayed([](const Player& player) {
      return player.round_number() == 1;
    });
    page("contribute", PageKind::kLive, "contribute.html");
    page("wait", PageKind::kWait).after_all_players_arrive([this](Group& group) {
      int64_t total = 0;
      for (const Player* member : group.players()) total += (*member)[contribution].value_or(0);
      group[group_total] = total;
      const double multiplier = group.session()[this->multiplier];
      for (Player* member : group.players()) {
        (*member)[payoff] = endowment_points - (*member)[contribution].value_or(0) +
                            static_cast<double>(total) * multiplier / group.size();
      }
    });
    page("results", PageKind::kPlain, "results.html");
  }

  void creating_session(Subsession& subsession) const override {
    if (subsession.round_number() > 1 && subsession.session()[rematch]) {
      subsession.group_randomly();
    }
    for (Player* player : subsession.players())
      (*player)[started_in_round] = subsession.round_number();
  }

  // An integer contribution from 0 to 10; anything else is refused.
  Outbox live_method(Player& player, const Json& data) const override {
    if (!data.is_number_integer() || data.get<int64_t>() < 0 || data.get<int64_t>() > 10) {
      return reject("a contribution is an integer from 0 to 10");
    }
    player[contribution] = data.get<int64_t>();
    player[contributed_so_far] += data.get<int64_t>();
    return send_to(player, player[contributed_so_far].json());
  }

  static constexpr double endowment_points = 10;
  LIVECTL_PARAM(double, multiplier, 1.5);
  LIVECTL_PARAM(bool, rematch, true);
  LIVECTL_PARAM(std::string, treatment, "baseline");
  LIVECTL_PLAYER_FIELD(int64_t, contribution);
  LIVECTL_PLAYER_FIELD(int64_t, started_in_round);
  LIVECTL_GROUP_FIELD(int64_t, group_total);
  LIVECTL_PARTICIPANT_FIELD(int64_t, contributed_so_far, 0);
};

}  // namespace livectl::testing
