// PLACEHOLDER, being replaced by the real game.
#include "engine/bot.h"
#include "engine/session.h"

namespace livectl {
namespace {
class Placeholder final : public Game {
 public:
  Placeholder() : Game("ten_messages", "placeholder", 2) {
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }
  Outbox live_method(Player&, const Json&) const override { return reject("not written yet"); }
  std::unique_ptr<Bot> make_bot(int, int) const override { return std::make_unique<DoneBot>(); }
  struct DoneBot final : Bot {
    BotAction act(const PageSpec&, Rng&) override { return BotAction::done(); }
    void on_receive(const Json&) override {}
  };
};
}  // namespace
const Game& ten_messages_game() {
  static const Placeholder game;
  return game;
}
}  // namespace livectl
