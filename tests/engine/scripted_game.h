#pragma once
// A game whose live_method is a lambda, for testing the engine's rules
// without any real game's logic in the way.
#include <functional>

#include "engine/bot.h"
#include "engine/session.h"

namespace livectl::testing {

class ScriptedGame final : public Game {
 public:
  using LiveMethod = std::function<Outbox(const ScriptedGame&, Player&, const Json&)>;

  explicit ScriptedGame(LiveMethod live, int players_per_group = 3)
      : Game("scripted", "a game for engine tests", players_per_group), live_(std::move(live)) {
    page("live", PageKind::kLive, "live.html");
    page("middle", PageKind::kLive, "middle.html");
    page("results", PageKind::kPlain, "results.html");
  }

  Outbox live_method(Player& player, const Json& data) const override {
    return live_(*this, player, data);
  }
  std::unique_ptr<Bot> make_bot(int, int) const override { return nullptr; }

  LIVECTL_GROUP_FIELD(int64_t, counter, 0);
  LIVECTL_GROUP_FIELD(std::string, label);
  LIVECTL_PLAYER_FIELD(double, score);
  const RecordType notes = record_type("note", {{"text", FieldType::kString}});

 private:
  LiveMethod live_;
};

}  // namespace livectl::testing
