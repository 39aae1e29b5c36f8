#pragma once
// Which received frame answers a participant's liveSend, so that the load
// generator can time the round trip (docs/performance.md, "Round trip").
//
// The protocol sends an error only to the sender, in order, so an error
// frame always answers the oldest send still waiting. A live frame is
// harder: it may answer this participant's send, or carry another group
// member's message that the server applied first, and a game may answer a
// send with nothing at all (an auction bid that is not the highest). Only
// the game knows, so each game may have a rule here; a game without one gets
// the generic rule.
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>

#include "engine/json.h"

namespace livectl::load {

// A liveSend still waiting for its reply.
struct WaitingSend {
  int64_t sent_us;  // monotonic microseconds, when the frame went to the socket
  Json data;        // what liveSend was given
};

// What one live frame settled among the waiting sends.
struct Settlement {
  bool answered = false;  // it answered a send, sent at `answered_sent_us`
  int64_t answered_sent_us = 0;
  int64_t silent = 0;  // sends it proved the game answers with nothing
};

// One participant's rule. Thread: the load generator's event loop.
class ReplyRule {
 public:
  virtual ~ReplyRule() = default;
  // Called as `data` is sent; false when the game is known to answer it
  // with nothing, so nobody should wait for a reply.
  virtual bool expects_reply(const Json& data) = 0;
  // A live payload arrived for this participant. Removes from `waiting`
  // (oldest first) the sends it settles and says how.
  virtual Settlement on_live(const Json& payload, std::deque<WaitingSend>& waiting) = 0;
};

// The rule for `game`, played as `id_in_group`:
// - auction: a send is answered by the broadcast of its own bid (same
//   id_in_group, same amount); a bid no higher than the highest known when
//   it is sent, or no higher than another member's bid broadcast before its
//   own, is answered with nothing.
// - any other game (generic): the first live frame after a send answers the
//   oldest waiting send. This is exact only when nobody else's messages
//   reach the participant (a group of one, or a game that answers only the
//   sender); otherwise another member's broadcast may be taken for the reply.
std::unique_ptr<ReplyRule> make_reply_rule(std::string_view game, int id_in_group);

// True when `game` has a rule of its own (not the generic one).
bool has_exact_reply_rule(std::string_view game);

}  // namespace livectl::load
