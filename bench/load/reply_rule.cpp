#include "bench/load/reply_rule.h"

#include <algorithm>

namespace livectl::load {

namespace {

class FirstFrameAnswers final : public ReplyRule {
 public:
  bool expects_reply(const Json&) override { return true; }
  Settlement on_live(const Json&, std::deque<WaitingSend>& waiting) override {
    Settlement settlement;
    if (waiting.empty()) return settlement;
    settlement.answered = true;
    settlement.answered_sent_us = waiting.front().sent_us;
    waiting.pop_front();
    return settlement;
  }
};

// The auction broadcasts {"id_in_group": bidder, "bid": amount} for each bid
// above the highest and answers every other bid with nothing. Frames reach a
// participant in the order the server applied their events, which is what
// makes the silent answers provable.
class AuctionBidAnswers final : public ReplyRule {
 public:
  explicit AuctionBidAnswers(int id_in_group) : me_(id_in_group) {}

  bool expects_reply(const Json& data) override {
    // A bid that is not a number is refused with an error frame, to us.
    return !data.is_number() || data.get<double>() > highest_known_;
  }

  Settlement on_live(const Json& payload, std::deque<WaitingSend>& waiting) override {
    Settlement settlement;
    if (!payload.is_object()) return settlement;
    const auto bidder = payload.find("id_in_group");
    const auto bid = payload.find("bid");
    if (bidder == payload.end() || bid == payload.end() || !bid->is_number()) return settlement;
    const double amount = bid->get<double>();
    highest_known_ = std::max(highest_known_, amount);
    const auto is_bid = [](const WaitingSend& send) { return send.data.is_number(); };
    if (*bidder == me_) {
      // Our own bid: the bids we sent before it were applied before it and
      // broadcast nothing.
      const auto own = std::find_if(waiting.begin(), waiting.end(), [&](const WaitingSend& send) {
        return is_bid(send) && send.data.get<double>() == amount;
      });
      if (own == waiting.end()) return settlement;
      settlement.silent = std::count_if(waiting.begin(), own, is_bid);
      settlement.answered = true;
      settlement.answered_sent_us = own->sent_us;
      waiting.erase(std::remove_if(waiting.begin(), std::next(own), is_bid), std::next(own));
      return settlement;
    }
    // Another member's bid reached us before any of ours at or below it:
    // ours are applied after it (or were already, silently), and lose.
    const auto loses = [&](const WaitingSend& send) {
      return is_bid(send) && send.data.get<double>() <= amount;
    };
    settlement.silent = std::count_if(waiting.begin(), waiting.end(), loses);
    waiting.erase(std::remove_if(waiting.begin(), waiting.end(), loses), waiting.end());
    return settlement;
  }

 private:
  int me_;
  // The group's highest bid as far as frames have told; bids start above 0.
  double highest_known_ = 0;
};

}  // namespace

std::unique_ptr<ReplyRule> make_reply_rule(std::string_view game, int id_in_group) {
  if (game == "auction") return std::make_unique<AuctionBidAnswers>(id_in_group);
  return std::make_unique<FirstFrameAnswers>();
}

bool has_exact_reply_rule(std::string_view game) {
  return game == "auction";
}

}  // namespace livectl::load
