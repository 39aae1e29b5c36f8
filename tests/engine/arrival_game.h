#pragma once
// A game whose groups form by arrival time on its first page, for testing
// arrival order, the timeout fallbacks and later rounds.
#include <stdexcept>

#include "engine/session.h"

namespace livectl::testing {

class ArrivalGame final : public Game {
 public:
  struct Options {
    int64_t timeout_ms = 0;  // of the page "match"; 0 = none
    ArrivalFallback fallback = ArrivalFallback::kSmallerGroup;
    bool every_round = true;  // false: "match" only in round 1
    // after_all_players_arrive throws for a group of this size (0 = never).
    int refuse_size = 0;
  };

  // Pages: "match" (a wait page grouping by arrival time), "play" (live),
  // "results". Groups of three, two rounds.
  explicit ArrivalGame(Options options)
      : Game("arrival", "groups form as participants arrive", 3, 2), options_(options) {
    PageSpec& match =
        page("match", PageKind::kWait, "", options.timeout_ms)
            .group_by_arrival_time(options.fallback)
            .after_all_players_arrive([this](Group& group) {
              if (group.size() == options_.refuse_size) {
                throw std::runtime_error("no groups of " + std::to_string(group.size()));
              }
              group[formed_size] = group.size();
            });
    if (!options.every_round) {
      match.is_displayed([](const Player& player) { return player.round_number() == 1; });
    }
    page("play", PageKind::kLive, "play.html");
    page("results", PageKind::kPlain, "results.html");
  }

  // Counts the group's messages and tells the group.
  Outbox live_method(Player& player, const Json&) const override {
    Group& group = player.group();
    group[messages] += 1;
    return send_to_group(group[messages].json());
  }

  LIVECTL_GROUP_FIELD(int64_t, formed_size, 0);
  LIVECTL_GROUP_FIELD(int64_t, messages, 0);

 private:
  Options options_;
};

}  // namespace livectl::testing
