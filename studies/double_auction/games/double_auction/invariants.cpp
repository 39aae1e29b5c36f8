// What must hold in every market after every event. Only the group of the
// event's participant can have changed (a trade, an offer, a page move), so
// each check looks at that group of the round the participant is in.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "double_auction.h"

namespace livectl::double_auction {
namespace {

std::string where(const Group& group) {
  return "group " + std::to_string(group.id_in_subsession()) + " of round " +
         std::to_string(group.round_number());
}

// The group whose market `event` may have changed; nullptr for an event
// from no participant.
const Group* changed_group(const Session& session, const Event& event) {
  const Player* player = session.find_player(event.participant);
  return player == nullptr ? nullptr : &player->group();
}

class TradesRespectValuesAndCosts final : public Invariant {
 public:
  explicit TradesRespectValuesAndCosts(const DoubleAuction& game) : game_(game) {}
  std::string_view name() const override {
    return "every trade is between a buyer and a seller of its group and round, at a price from "
           "the seller's cost to the buyer's value";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Group* group = changed_group(session, event);
    if (group == nullptr) return {};
    for (const Record* row : group->records(game_.trades)) {
      const Player& buyer = group->player(row->values[0].get<int>());
      const Player& seller = group->player(row->values[1].get<int>());
      const int64_t price = row->values[2].get<int64_t>();
      if (row->values[3] != group->round_number()) {
        return where(*group) + " has a trade of round " + row->values[3].dump();
      }
      if (!game_.is_buyer(buyer) || game_.is_buyer(seller)) {
        return where(*group) + " has a trade with buyer " + row->values[0].dump() + " and seller " +
               row->values[1].dump() + ", not a buyer and a seller";
      }
      if (price > buyer[game_.value] || price < seller[game_.cost]) {
        return where(*group) + " has a trade at " + std::to_string(price) + " between value " +
               buyer[game_.value].json().dump() + " and cost " + seller[game_.cost].json().dump();
      }
    }
    return {};
  }

 private:
  const DoubleAuction& game_;
};

// Shadow state: how many trades of each group it has seen, so that each
// trade is checked in the event that made it.
class TradesAreBetweenTradersInTheMarket final : public Invariant {
 public:
  explicit TradesAreBetweenTradersInTheMarket(const DoubleAuction& game) : game_(game) {}
  std::string_view name() const override {
    return "a trade is made only between a buyer and a seller who are both on the market page";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Group* group = changed_group(session, event);
    if (group == nullptr) return {};
    seen_.resize(session.groups().size(), 0);
    size_t& seen = seen_[static_cast<size_t>(group - session.groups().data())];
    const std::vector<const Record*> rows = group->records(game_.trades);
    for (; seen < rows.size(); ++seen) {
      for (const int column : {0, 1}) {
        const Player& trader = group->player(rows[seen]->values[column].get<int>());
        if (session.page_of(trader).name != "market") {
          return where(*group) + " has a trade with player " +
                 std::to_string(trader.id_in_group()) + ", who is on page '" +
                 session.page_of(trader).name + "'";
        }
      }
    }
    return {};
  }

 private:
  const DoubleAuction& game_;
  std::vector<size_t> seen_;  // by index in Session::groups()
};

class NobodyTradesTooMuch final : public Invariant {
 public:
  explicit NobodyTradesTooMuch(const DoubleAuction& game) : game_(game) {}
  std::string_view name() const override {
    return "nobody trades more units in a round than the configuration's units, and units_traded "
           "counts each player's trades";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Group* group = changed_group(session, event);
    if (group == nullptr) return {};
    std::map<int, int64_t> trades_of;  // id_in_group -> trades
    for (const Record* row : group->records(game_.trades)) {
      ++trades_of[row->values[0].get<int>()];
      ++trades_of[row->values[1].get<int>()];
    }
    for (const Player* player : group->players()) {
      const int64_t count = trades_of[player->id_in_group()];
      if (count > session[game_.units] || (*player)[game_.units_traded] != count) {
        return "player " + std::to_string(player->id_in_group()) + " of " + where(*group) +
               " traded " + std::to_string(count) + " times; units_traded is " +
               (*player)[game_.units_traded].json().dump();
      }
    }
    return {};
  }

 private:
  const DoubleAuction& game_;
};

class PayoffsAreProfits final : public Invariant {
 public:
  explicit PayoffsAreProfits(const DoubleAuction& game) : game_(game) {}
  std::string_view name() const override {
    return "a payoff is the sum of value - price (buyers) or price - cost (sellers) over the "
           "player's trades, 0 without one";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Group* group = changed_group(session, event);
    if (group == nullptr) return {};
    std::map<int, int64_t> profit_of;  // id_in_group -> points
    for (const Record* row : group->records(game_.trades)) {
      const int buyer = row->values[0].get<int>();
      const int seller = row->values[1].get<int>();
      const int64_t price = row->values[2].get<int64_t>();
      profit_of[buyer] += static_cast<int64_t>(group->player(buyer)[game_.value]) - price;
      profit_of[seller] += price - static_cast<int64_t>(group->player(seller)[game_.cost]);
    }
    for (const Player* player : group->players()) {
      const int64_t expected = profit_of[player->id_in_group()];
      if ((*player)[game_.payoff] != static_cast<double>(expected)) {
        return "player " + std::to_string(player->id_in_group()) + " of " + where(*group) +
               " has payoff " + (*player)[game_.payoff].json().dump() + ", not " +
               std::to_string(expected);
      }
    }
    return {};
  }

 private:
  const DoubleAuction& game_;
};

class BookNeverCrosses final : public Invariant {
 public:
  explicit BookNeverCrosses(const DoubleAuction& game) : game_(game) {}
  std::string_view name() const override {
    return "standing bids are at most their buyer's value, asks at least their seller's cost, "
           "and the best bid in the book is below the best ask";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Group* group = changed_group(session, event);
    if (group == nullptr) return {};
    std::optional<int64_t> best_bid;
    std::optional<int64_t> best_ask;
    for (const Player* player : group->players()) {
      if (!(*player)[game_.offer].is_set()) continue;
      const int64_t price = (*player)[game_.offer];
      const bool buyer = game_.is_buyer(*player);
      if (buyer ? price > (*player)[game_.value] : price < (*player)[game_.cost]) {
        return "player " + std::to_string(player->id_in_group()) + " of " + where(*group) +
               " has a standing offer of " + std::to_string(price) + " beyond their " +
               (buyer ? "value" : "cost");
      }
      if (!game_.in_book(*player)) continue;  // left the market: not in the book
      std::optional<int64_t>& best = buyer ? best_bid : best_ask;
      best = !best ? price : buyer ? std::max(*best, price) : std::min(*best, price);
    }
    if (best_bid && best_ask && *best_bid >= *best_ask) {
      return where(*group) + " has a best bid of " + std::to_string(*best_bid) +
             " at or above its best ask of " + std::to_string(*best_ask);
    }
    return {};
  }

 private:
  const DoubleAuction& game_;
};

}  // namespace

std::vector<std::unique_ptr<Invariant>> DoubleAuction::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> checks;
  checks.push_back(std::make_unique<TradesRespectValuesAndCosts>(*this));
  checks.push_back(std::make_unique<TradesAreBetweenTradersInTheMarket>(*this));
  checks.push_back(std::make_unique<NobodyTradesTooMuch>(*this));
  checks.push_back(std::make_unique<PayoffsAreProfits>(*this));
  checks.push_back(std::make_unique<BookNeverCrosses>(*this));
  return checks;
}

}  // namespace livectl::double_auction
