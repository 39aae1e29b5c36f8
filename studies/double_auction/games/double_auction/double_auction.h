#pragma once
// double_auction: one market per group of four, a fresh market in each of
// three rounds (fixed groups). Players 1..buyers are buyers, the rest
// sellers (the configuration's `buyers`, default 2). Each buyer draws a value
// from value_low..value_high and each seller a cost from cost_low..cost_high
// in creating_session, from the session's generator, so a seed reproduces
// them. Each may trade `units` units per round (default 1).
//
// liveSend({}) returns the market to the sender: the public book (below)
// plus id_in_group, role, value or cost, units_left and round.
// liveSend({"offer": n}) posts a bid (buyers) or an ask (sellers) of n
// points, replacing the sender's standing offer. A bid at or above the best
// ask, or an ask at or below the best bid, trades at once at the standing
// offer's price (the best one; among equal prices the earliest); otherwise
// it stands while its trader is on the market page (one who leaves, or
// whose period times out, takes their offer with them). Every accepted
// offer sends the public book to the members on the market page:
//   {"bids": [{"id_in_group", "price"}...] best first, "asks": [...],
//    "best_bid": n|null, "best_ask": n|null,
//    "trades": [{"buyer", "seller", "price"}...] oldest first}
// Bad offers are rejected (the exact texts are in double_auction.cpp and the
// scenarios). A trade pays the buyer value - price and the seller
// price - cost; a player without a trade earns 0 that round.
#include <livectl/livectl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace livectl::double_auction {

inline constexpr int kPlayersPerGroup = 4;
inline constexpr int kRounds = 3;
// oTree's timeout_seconds for the market page: when it runs out the page is
// submitted for whoever is still on it, which closes their market.
inline constexpr int64_t kPeriodMs = 60'000;
// Prices are whole points; the cap keeps a typo (an extra zero or ten) from
// standing in the book and keeps every price well inside int64.
inline constexpr int64_t kMaxPrice = 1'000'000;

inline constexpr const char* kBuyer = "buyer";
inline constexpr const char* kSeller = "seller";

class DoubleAuction final : public Game {
 public:
  DoubleAuction();

  // Draws every player's value or cost for the round. Throws
  // std::invalid_argument naming the parameter when the configuration's
  // ranges or counts make no market.
  void creating_session(Subsession& subsession) const override;
  Outbox live_method(Player& player, const Json& data) const override;
  // round_number, num_rounds, role, value, cost, buyers, sellers, units,
  // the configuration's ranges, the group's trades,
  // the period's end on the session clock, and for the last page the
  // participant's total and its money.
  Json js_vars(const Player& player) const override;
  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;  // bot.cpp
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;       // invariants.cpp

  // The public book of `group` as every accepted offer broadcasts it.
  Json book(const Group& group) const;
  // Whether `player`'s standing offer is in the book: they have one and are
  // on the market page of its round.
  bool in_book(const Player& player) const;
  // The standing offer of the other side that `player`'s offer would meet
  // (for a buyer the lowest ask, for a seller the highest bid; among equal
  // prices the earliest); nullptr when that side has none.
  const Player* best_opposite(const Player& player) const;
  bool is_buyer(const Player& player) const { return player[role] == kBuyer; }

  LIVECTL_PARAM(int64_t, buyers, 2);
  LIVECTL_PARAM(int64_t, value_low, 50);
  LIVECTL_PARAM(int64_t, value_high, 100);
  LIVECTL_PARAM(int64_t, cost_low, 20);
  LIVECTL_PARAM(int64_t, cost_high, 70);
  LIVECTL_PARAM(int64_t, units, 1);

  // "buyer" or "seller", set in creating_session.
  LIVECTL_PLAYER_FIELD(std::string, role);
  // A buyer's value of a unit (null for sellers); a seller's cost (null for buyers).
  LIVECTL_PLAYER_FIELD(int64_t, value);
  LIVECTL_PLAYER_FIELD(int64_t, cost);
  // The last bid or ask; null when there is none (never posted, or traded
  // since). It stands only while its trader is on the market page (in_book).
  LIVECTL_PLAYER_FIELD(int64_t, offer);
  // When the standing offer was posted, as the group's offer count then:
  // the earlier of two equal offers trades first.
  LIVECTL_PLAYER_FIELD(int64_t, offer_seq);
  LIVECTL_PLAYER_FIELD(int64_t, units_traded, 0);
  // Accepted offers in the round, traded or standing.
  LIVECTL_GROUP_FIELD(int64_t, offers_made, 0);
  LIVECTL_GROUP_FIELD(int64_t, num_trades, 0);
  // One row per trade, added by the player whose offer made it: ids in the
  // group, the price, and the round (for the export).
  const RecordType trades = record_type("trade", {{"buyer", FieldType::kInteger},
                                                  {"seller", FieldType::kInteger},
                                                  {"price", FieldType::kInteger},
                                                  {"round", FieldType::kInteger}});

 private:
  // The reply to liveSend({}): the book plus what only the sender may see.
  Json private_state(const Player& player) const;
};

}  // namespace livectl::double_auction
