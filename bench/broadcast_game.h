#pragma once
// A chat for the fan-out benchmarks: groups of any size, every message to
// the whole group, no state. Not a bundled game; it lives only in bench/.
#include <memory>
#include <string>

#include "engine/bot.h"
#include "engine/game.h"
#include "engine/session.h"

namespace livectl::bench {

// liveSend({"text": t}) reaches every member of the sender's group, the
// sender included, as {"id_in_group": i, "text": t}. Nothing is stored, so
// what an event costs beyond the game's few lines is routing and fan-out.
class BroadcastGame final : public Game {
 public:
  explicit BroadcastGame(int group_size)
      : Game("broadcast", "every message goes to the whole group", group_size) {
    page("live", PageKind::kLive, "");
  }

  Outbox live_method(Player& player, const Json& data) const override {
    if (!data.is_object()) return reject("a message must be {\"text\": t}");
    const auto text = data.find("text");
    if (text == data.end() || !text->is_string()) return reject("a message must be {\"text\": t}");
    Json message(Json::value_t::object);
    message.emplace("id_in_group", player.id_in_group());
    message.emplace("text", *text);
    return {{0, std::move(message)}};
  }

  // Never simulated: the benchmarks send fixed messages.
  std::unique_ptr<Bot> make_bot(int, int) const override { return nullptr; }
};

}  // namespace livectl::bench
