// A zero-intelligence trader constrained by its value or cost (Gode and
// Sunder, 1993): it offers random prices it cannot lose on, and now and then
// one the game must refuse. It knows what its page knows: its role and value
// or cost come from the reply to liveSend({}), its trades from the books the
// group is sent.
#include <algorithm>
#include <memory>

#include "double_auction.h"

namespace livectl::double_auction {
namespace {

// Offers per round before the bot waits for the period's timeout; enough
// for most markets to trade, few enough that some traders never do.
constexpr int kOffersPerRound = 6;
// How far from its value or cost a bot's offers go.
constexpr int64_t kMargin = 40;

class Trader final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.name != "market") {
      in_market_ = false;
      if (page.name == "finished") return BotAction::done();
      return BotAction::submit();  // introduction, results
    }
    if (!in_market_) {
      // A new period: forget the last one and ask for the market.
      in_market_ = true;
      known_ = false;
      tried_after_trading_ = false;
      offers_left_ = kOffersPerRound;
      return BotAction::send(Json::object());
    }
    if (!known_) return BotAction::wait();
    if (units_left_ <= 0) {
      // Done trading: one more offer, which the game must refuse, then
      // leave the market.
      if (tried_after_trading_) return BotAction::submit();
      tried_after_trading_ = true;
      return offer(limit_);
    }
    if (offers_left_ <= 0) return BotAction::wait();  // the timeout ends the period
    --offers_left_;
    switch (rng.below(16)) {
      case 0:  // refused: not a number
        return BotAction::send(object({{"offer", "a lot"}}));
      case 1:  // refused: beyond its value or cost
        return offer(buyer_ ? limit_ + rng.between(1, 10) : limit_ - rng.between(1, 10));
      default:
        return offer(buyer_ ? rng.between(std::max<int64_t>(0, limit_ - kMargin), limit_)
                            : rng.between(limit_, limit_ + kMargin));
    }
  }

  void on_receive(const Json& payload) override {
    if (payload.contains("role")) {  // the reply to {}
      known_ = true;
      id_in_group_ = payload.at("id_in_group").get<int>();
      buyer_ = payload.at("role") == kBuyer;
      limit_ = payload.at(buyer_ ? "value" : "cost").get<int64_t>();
      units_left_ = payload.at("units_left").get<int64_t>();
      trades_seen_ = my_trades(payload);
      return;
    }
    const int64_t trades = my_trades(payload);
    units_left_ -= trades - trades_seen_;
    trades_seen_ = trades;
  }

 private:
  static BotAction offer(int64_t price) { return BotAction::send(object({{"offer", price}})); }

  int64_t my_trades(const Json& book) const {
    const char* side = buyer_ ? "buyer" : "seller";
    return std::count_if(book.at("trades").begin(), book.at("trades").end(),
                         [&](const Json& trade) { return trade.at(side) == id_in_group_; });
  }

  bool in_market_ = false;
  bool known_ = false;  // the reply to {} has come
  bool tried_after_trading_ = false;
  int id_in_group_ = 0;
  bool buyer_ = false;
  int64_t limit_ = 0;  // value or cost
  int64_t units_left_ = 0;
  int64_t trades_seen_ = 0;
  int offers_left_ = 0;
};

}  // namespace

std::unique_ptr<Bot> DoubleAuction::make_bot(int, int) const {
  return std::make_unique<Trader>();
}

}  // namespace livectl::double_auction
