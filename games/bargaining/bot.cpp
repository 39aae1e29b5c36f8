// The bargaining bot: player 1 sells and opens high, player 2 buys and opens
// low; each answers every offer it receives, and counters a rejected one with
// a concession toward it.
#include <algorithm>
#include <cstdint>
#include <optional>

#include "games/bargaining/bargaining.h"

namespace livectl::bargaining {
namespace {

// Offers received after which a bot accepts whatever it is offered. Without
// it two bots whose reservation prices do not overlap would bargain forever.
constexpr int kPatience = 10;

Json offer_message(int to, int64_t value) {
  return object({{"type", "offer"}, {"value", value}, {"to", to}});
}

Json response_message(int to, bool accepted) {
  return object({{"type", "response"}, {"accepted", accepted}, {"to", to}});
}

// Its moves strictly alternate with its partner's: it offers or counters only
// after its partner's offer, so it can wait whenever it has nothing to
// answer, and player 1's opening offer means the pair never waits together.
// Two kinds of message the game must reject without changing anything: one
// time in eight, when it would wait, it first answers an offer that is not
// there (none yet, or already answered); one time in four, after the deal, it
// first makes one more offer.
class BargainingBot final : public Bot {
 public:
  explicit BargainingBot(int id_in_group)
      : seller_(id_in_group == 1), partner_(id_in_group == 1 ? 2 : 1) {}

  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.kind != PageKind::kLive) return BotAction::done();
    if (deal_) {
      if (late_message_sent_ || rng.below(4) != 0) return BotAction::submit();
      late_message_sent_ = true;
      return make_offer(last_offer_.value_or(0));
    }
    if (!reservation_) {
      draw_prices(rng);
      if (seller_) return make_offer(*opening_);
    }
    if (counter_) {
      const int64_t value = *counter_;
      counter_.reset();
      return make_offer(value);
    }
    if (incoming_) {
      const double value = *incoming_;
      incoming_.reset();
      const int64_t next = next_offer(value);
      const bool good_enough =
          seller_ ? value >= static_cast<double>(next) : value <= static_cast<double>(next);
      if (good_enough || offers_received_ >= kPatience) {
        return BotAction::send(response_message(partner_, true));
      }
      counter_ = next;
      return BotAction::send(response_message(partner_, false));
    }
    if (!probed_ && rng.below(8) == 0) {
      probed_ = true;
      return BotAction::send(response_message(partner_, false));
    }
    return BotAction::wait();
  }

  void on_receive(const Json& payload) override {
    probed_ = false;
    const Json type = payload.value("type", Json());
    if (type == "offer" && payload.value("value", Json()).is_number()) {
      incoming_ = payload["value"].get<double>();
      ++offers_received_;
    } else if (type == "response" && payload.value("accepted", Json()) == true) {
      deal_ = true;
    }
  }

 private:
  // Reservation prices drawn so that the two ranges overlap often but not
  // always; openings 20 to 40 beyond them leave room to concede.
  void draw_prices(Rng& rng) {
    if (seller_) {
      reservation_ = rng.between(40, 60);
      opening_ = *reservation_ + rng.between(20, 40);
    } else {
      reservation_ = rng.between(45, 65);
      opening_ = std::max<int64_t>(0, *reservation_ - rng.between(20, 40));
    }
  }

  BotAction make_offer(int64_t value) {
    last_offer_ = value;
    return BotAction::send(offer_message(partner_, value));
  }

  // The bot's next offer after being offered `value`: its opening if it has
  // not offered yet, otherwise a third of the gap closer to `value` (at
  // least 1) but never beyond its reservation price.
  int64_t next_offer(double value) const {
    if (!last_offer_) return *opening_;
    const auto gap = static_cast<int64_t>(seller_ ? static_cast<double>(*last_offer_) - value
                                                  : value - static_cast<double>(*last_offer_));
    const int64_t step = std::max<int64_t>(1, gap / 3);
    return seller_ ? std::max(*reservation_, *last_offer_ - step)
                   : std::min(*reservation_, *last_offer_ + step);
  }

  const bool seller_;
  const int partner_;
  std::optional<int64_t> reservation_;  // drawn at the first act
  std::optional<int64_t> opening_;
  std::optional<int64_t> last_offer_;  // what this bot offered last
  std::optional<double> incoming_;     // the partner's offer, until answered
  std::optional<int64_t> counter_;     // the offer to make after a rejection
  int offers_received_ = 0;
  bool probed_ = false;  // since the last payload received
  bool deal_ = false;
  bool late_message_sent_ = false;  // after the deal
};

}  // namespace

std::unique_ptr<Bot> Bargaining::make_bot(int id_in_group, int /*group_size*/) const {
  return std::make_unique<BargainingBot>(id_in_group);
}

}  // namespace livectl::bargaining
