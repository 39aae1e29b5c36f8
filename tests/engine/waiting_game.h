#pragma once
// A game with wait pages and page timeouts, for testing how groups wait,
// arrive and time out, without any real game's logic in the way.
#include <memory>

#include "engine/bot.h"
#include "engine/session.h"

namespace livectl::testing {

class WaitingGame final : public Game {
 public:
  // Pages: "lobby" (a wait page timing out after `lobby_timeout_ms`, 0 =
  // never), "live" (timing out after `live_timeout_ms`), "break" (a wait page
  // timing out after `break_timeout_ms`) and "results". Groups of three.
  WaitingGame(int64_t lobby_timeout_ms, int64_t live_timeout_ms = 0, int64_t break_timeout_ms = 0)
      : Game("waiting", "a game for wait-page tests", 3) {
    page("lobby", PageKind::kWait, "", lobby_timeout_ms);
    page("live", PageKind::kLive, "live.html", live_timeout_ms);
    page("break", PageKind::kWait, "", break_timeout_ms);
    page("results", PageKind::kPlain, "results.html");
  }

  // Counts the messages of the group and tells everyone.
  Outbox live_method(Player& player, const Json&) const override {
    Group& group = player.group();
    group[messages] += 1;
    return send_to_group(group[messages].json());
  }

  // Player 3 of each group never leaves the live page; the others press
  // next there at once.
  std::unique_ptr<Bot> make_bot(int id_in_group, int) const override {
    class Presser final : public Bot {
     public:
      explicit Presser(bool stays) : stays_(stays) {}
      BotAction act(const PageSpec& page, Rng&) override {
        if (page.name != "live" || stays_) return BotAction::done();
        return BotAction::submit();
      }
      void on_receive(const Json&) override {}

     private:
      bool stays_;
    };
    return std::make_unique<Presser>(id_in_group == 3);
  }

  LIVECTL_GROUP_FIELD(int64_t, messages, 0);
};

}  // namespace livectl::testing
