// auction: a group of 3 bids; the highest bid so far is broadcast.
#include <memory>

#include "engine/bot.h"
#include "engine/invariant.h"
#include "engine/registry.h"
#include "engine/session.h"

namespace livectl {
namespace {

constexpr int64_t kWaitForGroupMs = 60 * 1000;

class Auction final : public Game {
 public:
  Auction() : Game("auction", "three bidders; each higher bid is broadcast to the group", 3) {
    // The seed's custom wait page: the group starts when all three have
    // arrived, or after a minute with those who have (a latecomer then
    // goes straight to the auction).
    page("waiting", PageKind::kWait, "", kWaitForGroupMs);
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }

  Outbox live_method(Player& player, const Json& bid) const override {
    Group& group = player.group();
    if (bid.is_object() && bid.empty()) {
      // oTree's history pattern: a page that (re)loads sends {} and gets the
      // state it missed, to itself only.
      return send_to(player, object({{"highest_bid", group[highest_bid]},
                                     {"highest_bidder", group[highest_bidder]}}));
    }
    if (!bid.is_number()) return reject("a bid must be a number");
    if (bid <= group[highest_bid]) return {};
    group[highest_bid] = bid;
    group[highest_bidder] = player.id_in_group();
    player.add_record(bids, {bid});
    return send_to_group(object({{"id_in_group", player.id_in_group()}, {"bid", bid}}));
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;

  LIVECTL_GROUP_FIELD(double, highest_bid, 0);
  LIVECTL_GROUP_FIELD(int64_t, highest_bidder);  // null until the first bid
  // One row per accepted bid.
  const RecordType bids = record_type("bid", {{"amount", FieldType::kNumber}});
};

// Bids a little above the highest bid it has seen; one bid in eight is at or
// below it, which must change nothing.
class AuctionBot final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.kind != PageKind::kLive) return BotAction::done();
    if (rng.below(8) == 0) return BotAction::send(highest_ - rng.between(0, 5));
    return BotAction::send(highest_ + rng.between(1, 10));
  }
  void on_receive(const Json& payload) override {
    if (!payload.contains("bid")) return;  // a state reply; this bot never asks for one
    // Bids from people may be fractional; this bot bids whole numbers above them.
    const double bid = payload.at("bid").get<double>();
    if (bid > static_cast<double>(highest_)) highest_ = static_cast<int64_t>(bid);
  }

 private:
  int64_t highest_ = 0;
};

// highest_bid is the maximum accepted bid and highest_bidder made it, where
// an accepted bid is one that was broadcast.
class HighestBidIsMaximum final : public Invariant {
 public:
  explicit HighestBidIsMaximum(const Auction& game) : game_(game) {}
  std::string_view name() const override {
    return "highest_bid is the maximum accepted bid and highest_bidder made it";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* found = session.find_player(event.participant);
    if (!found) return {};
    const Player& sender = *found;
    const Group& group = sender.group();
    if (best_.empty()) best_.assign(session.groups().size(), Best{});
    Best& best = best_[group.id_in_subsession() - 1];
    for (const Json& payload : result.payload_values) {
      if (payload.contains("highest_bid")) {
        // A state reply: it must tell the truth and go to the sender only.
        if (payload.at("highest_bid") != group[game_.highest_bid].json() ||
            payload.at("highest_bidder") != group[game_.highest_bidder].json()) {
          return "a state reply differs from the group's state";
        }
        if (result.deliveries.size() != 1 ||
            result.deliveries[0].participant != sender.participant().id_in_session) {
          return "a state reply went to someone other than the sender";
        }
        continue;
      }
      if (payload.at("id_in_group") != sender.id_in_group()) {
        return "a bid was broadcast under another player's id";
      }
      if (payload.at("bid") <= best.bid) return "a bid no higher than the highest was accepted";
      best = Best{payload.at("bid"), sender.id_in_group()};
    }
    if (group[game_.highest_bid].json() != best.bid ||
        group[game_.highest_bidder].json() != best.bidder) {
      return "group " + std::to_string(group.id_in_subsession()) + " has highest_bid " +
             group[game_.highest_bid].json().dump() + " by " +
             group[game_.highest_bidder].json().dump() + " but the maximum accepted bid is " +
             best.bid.dump() + " by " + best.bidder.dump();
    }
    return {};
  }

 private:
  struct Best {
    Json bid = 0;
    Json bidder = nullptr;
  };
  const Auction& game_;
  std::vector<Best> best_;
};

std::unique_ptr<Bot> Auction::make_bot(int, int) const {
  return std::make_unique<AuctionBot>();
}

std::vector<std::unique_ptr<Invariant>> Auction::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> invariants;
  invariants.push_back(std::make_unique<HighestBidIsMaximum>(*this));
  return invariants;
}

}  // namespace
}  // namespace livectl

LIVECTL_GAME(auction, livectl::Auction)
