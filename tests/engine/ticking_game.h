#pragma once
// A game with game timers, for testing how they are scheduled, fire, move
// on, fail and are dropped, without any real game's logic in the way.
#include <stdexcept>

#include "engine/session.h"

namespace livectl::testing {

class TickingGame final : public Game {
 public:
  // Pages: "live" and "results". Groups of two. On "live":
  //   "start"  the group's `tick` every 100 ms and its `end` in 1 s;
  //   "stop"   cancels `tick`;
  //   "nudge"  the sender's `nudge` in 50 ms;
  //   "boom"   the group's `boom` (which throws) every 100 ms;
  //   "bad"    schedules `tick` every 5 ms, which is refused;
  //   "undo"   schedules `tick`, then rejects the message.
  TickingGame() : Game("ticking", "a game for timer tests", 2) {
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }

  Outbox live_method(Player& player, const Json& data) const override {
    Group& group = player.group();
    const std::string what = data.is_string() ? data.get<std::string>() : "";
    if (what == "start") {
      group.schedule_every(tick, 100);
      group.schedule(end, 1000);
    } else if (what == "stop") {
      group.cancel(tick);
    } else if (what == "nudge") {
      player.schedule(nudge, 50);
    } else if (what == "boom") {
      group.schedule_every(boom, 100);
    } else if (what == "bad") {
      group.schedule_every(tick, 5);
    } else if (what == "undo") {
      group.schedule_every(tick, 100);
      return reject("no");
    }
    return {};
  }

  LIVECTL_GROUP_FIELD(int64_t, ticks, 0);
  LIVECTL_GROUP_FIELD(int64_t, booms, 0);
  LIVECTL_PLAYER_FIELD(int64_t, nudges, 0);

  const GroupTimer tick = group_timer("tick", [this](Group& group) -> Outbox {
    group[ticks] += 1;
    return send_to_group(Json::object({{"tick", group[ticks].json()}}));
  });
  const GroupTimer end = group_timer("end", [](Group& group) -> Outbox {
    for (Player* member : group.players()) member->advance_page();
    return {};
  });
  const PlayerTimer nudge = player_timer("nudge", [this](Player& player) -> Outbox {
    player[nudges] += 1;
    return send_to(player, "nudge");
  });
  const GroupTimer boom = group_timer("boom", [this](Group& group) -> Outbox {
    group[booms] += 1;  // rolled back: the throw fails the firing
    throw std::runtime_error("the game broke");
  });
};

}  // namespace livectl::testing
