#pragma once
// A bot plays one participant through the same door as a browser: it sends
// what a page would pass to liveSend, submits pages, and receives exactly
// the payloads that page would get in liveRecv.
#include <string>

#include "engine/game.h"
#include "engine/json.h"
#include "engine/rng.h"

namespace livectl {

struct BotAction {
  enum class Kind {
    kSend,    // liveSend(data)
    kSubmit,  // press next on the current page, with its form's values in `data`
    kWait,    // nothing to do until something is received
    kDone,    // this bot has finished playing
  };
  Kind kind = Kind::kWait;
  Json data;

  static BotAction send(Json data) { return {Kind::kSend, std::move(data)}; }
  // `form`: {"field": value} for a page with form fields (oTree bots'
  // yield Page, dict(...)); null for a page without.
  static BotAction submit(Json form = nullptr) { return {Kind::kSubmit, std::move(form)}; }
  static BotAction wait() { return {Kind::kWait, nullptr}; }
  static BotAction done() { return {Kind::kDone, nullptr}; }
};

class Bot {
 public:
  virtual ~Bot() = default;
  // The bot's next action, decided with the scheduler's seeded generator.
  // `page` is the page the participant is on now. A bot knows what its page
  // knows, no more: what it was sent (on_receive), not the server's state,
  // so that the same bot plays in-process (simulate) and over real sockets
  // (the load generator).
  virtual BotAction act(const PageSpec& page, Rng& rng) = 0;
  // A liveRecv payload for this participant.
  virtual void on_receive(const Json& payload) = 0;
  // The error message the server sent back for this bot's last input.
  virtual void on_error(const std::string& /*message*/) {}
};

}  // namespace livectl
