// A double auction market, as in oTree's otree-more-demos double_auction
// and Smith's (1962) classroom markets: buyers bid, sellers ask, and a bid
// that meets the best ask (or an ask that meets the best bid) trades at the
// standing offer's price. The rules are in double_auction.h.
#include "double_auction.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace livectl::double_auction {

DoubleAuction::DoubleAuction()
    : Game("double_auction", "buyers bid and sellers ask in a live market, three rounds",
           kPlayersPerGroup, kRounds) {
  // Round 1 only: the rules.
  page("introduction", PageKind::kPlain, "introduction.html")
      .is_displayed([](const Player& player) { return player.round_number() == 1; });
  page("market", PageKind::kLive, "market.html", kPeriodMs);
  page("wait_for_market", PageKind::kWait);
  page("results", PageKind::kPlain, "results.html");
  // After the last round: what the participant earned in all.
  page("finished", PageKind::kPlain, "finished.html").is_displayed([](const Player& player) {
    return player.round_number() == kRounds;
  });
}

void DoubleAuction::creating_session(Subsession& subsession) const {
  const Session& session = subsession.session();
  const int64_t buyer_count = session[buyers];
  if (buyer_count < 1 || buyer_count >= kPlayersPerGroup) {
    throw std::invalid_argument("buyers must be from 1 to " + std::to_string(kPlayersPerGroup - 1) +
                                " (a market of " + std::to_string(kPlayersPerGroup) +
                                " needs both sides), not " + std::to_string(buyer_count));
  }
  if (session[value_low] < 0 || session[value_low] > session[value_high] ||
      session[value_high] > kMaxPrice) {
    throw std::invalid_argument(
        "value_low and value_high must satisfy 0 <= value_low <= value_high <= " +
        std::to_string(kMaxPrice));
  }
  if (session[cost_low] < 0 || session[cost_low] > session[cost_high] ||
      session[cost_high] > kMaxPrice) {
    throw std::invalid_argument(
        "cost_low and cost_high must satisfy 0 <= cost_low <= cost_high <= " +
        std::to_string(kMaxPrice));
  }
  if (const int64_t allowed = session[units]; allowed < 1) {
    throw std::invalid_argument("units must be at least 1, not " + std::to_string(allowed));
  }
  // Fixed groups: every round keeps round 1's groups, in id order, so a
  // participant keeps their side of the market.
  Rng& rng = subsession.session().rng();
  for (Player* player : subsession.players()) {
    if (player->id_in_group() <= buyer_count) {
      (*player)[role] = kBuyer;
      (*player)[value] = rng.between(session[value_low], session[value_high]);
    } else {
      (*player)[role] = kSeller;
      (*player)[cost] = rng.between(session[cost_low], session[cost_high]);
    }
  }
}

bool DoubleAuction::in_book(const Player& player) const {
  if (!player[offer].is_set()) return false;
  const Session& session = player.session();
  const uint32_t page = player.participant().page;
  return session.flow_round(page) == player.round_number() &&
         session.page_spec(page).name == "market";
}

const Player* DoubleAuction::best_opposite(const Player& player) const {
  const bool buying = is_buyer(player);
  const Player* best = nullptr;
  for (const Player* other : player.group().players()) {
    if (is_buyer(*other) == buying || !in_book(*other)) continue;
    if (best == nullptr) {
      best = other;
      continue;
    }
    const int64_t price = (*other)[offer];
    const int64_t best_price = (*best)[offer];
    const bool better = buying ? price < best_price : price > best_price;
    if (better || (price == best_price && (*other)[offer_seq] < (*best)[offer_seq])) best = other;
  }
  return best;
}

Outbox DoubleAuction::live_method(Player& player, const Json& data) const {
  // A page that (re)loads sends {} and gets the market it missed.
  if (data.is_object() && data.empty()) return send_to(player, private_state(player));
  if (!data.is_object() || data.size() != 1 || !data.contains("offer")) {
    return reject("send {} for the market, or {\"offer\": points}");
  }
  const Json& price_json = data["offer"];
  const Session& session = player.session();
  const int64_t units_allowed = session[units];
  if (player[units_traded] >= units_allowed) {
    return reject(units_allowed == 1 ? std::string("you have already traded your unit this round")
                                     : "you have already traded your " +
                                           std::to_string(units_allowed) + " units this round");
  }
  if (!price_json.is_number_integer() || price_json < 0 || price_json > kMaxPrice) {
    return reject("an offer must be a whole number of points from 0 to " +
                  std::to_string(kMaxPrice));
  }
  const int64_t price = price_json.get<int64_t>();
  const bool buying = is_buyer(player);
  if (buying && price > player[value]) {
    const int64_t limit = player[value];
    return reject("a bid may not be above your value of " + std::to_string(limit));
  }
  if (!buying && price < player[cost]) {
    const int64_t limit = player[cost];
    return reject("an ask may not be below your cost of " + std::to_string(limit));
  }

  Group& group = player.group();
  group[offers_made] += 1;
  const Player* standing = best_opposite(player);
  const bool meets =
      standing != nullptr && (buying ? price >= (*standing)[offer] : price <= (*standing)[offer]);
  if (!meets) {
    player[offer] = price;
    player[offer_seq] = static_cast<int64_t>(group[offers_made]);
    return send_to_group(book(group));
  }

  // A trade at the standing offer's price: both leave the book.
  Player& other = group.player(standing->id_in_group());
  Player& buyer = buying ? player : other;
  Player& seller = buying ? other : player;
  const int64_t trade_price = other[offer];
  for (Player* trader : {&buyer, &seller}) {
    (*trader)[offer] = nullptr;
    (*trader)[offer_seq] = nullptr;
    (*trader)[units_traded] += 1;
  }
  buyer[payoff] += static_cast<double>(buyer[value] - trade_price);
  seller[payoff] += static_cast<double>(trade_price - seller[cost]);
  group[num_trades] += 1;
  player.add_record(
      trades, {buyer.id_in_group(), seller.id_in_group(), trade_price, player.round_number()});
  return send_to_group(book(group));
}

Json DoubleAuction::book(const Group& group) const {
  // Best first: bids by price down, asks by price up, equal prices oldest first.
  std::vector<const Player*> bids;
  std::vector<const Player*> asks;
  for (const Player* player : group.players()) {
    if (in_book(*player)) (is_buyer(*player) ? bids : asks).push_back(player);
  }
  auto order = [this](bool descending) {
    return [this, descending](const Player* a, const Player* b) {
      const int64_t pa = (*a)[offer];
      const int64_t pb = (*b)[offer];
      if (pa != pb) return descending ? pa > pb : pa < pb;
      return (*a)[offer_seq] < (*b)[offer_seq];
    };
  };
  std::sort(bids.begin(), bids.end(), order(true));
  std::sort(asks.begin(), asks.end(), order(false));
  auto listed = [this](const std::vector<const Player*>& side) {
    Json list = Json::array();
    for (const Player* player : side) {
      list.push_back(object({{"id_in_group", player->id_in_group()}, {"price", (*player)[offer]}}));
    }
    return list;
  };
  Json traded = Json::array();
  for (const Record* row : group.records(trades)) {
    traded.push_back(
        object({{"buyer", row->values[0]}, {"seller", row->values[1]}, {"price", row->values[2]}}));
  }
  return object({{"bids", listed(bids)},
                 {"asks", listed(asks)},
                 {"best_bid", bids.empty() ? Json() : (*bids.front())[offer].json()},
                 {"best_ask", asks.empty() ? Json() : (*asks.front())[offer].json()},
                 {"trades", std::move(traded)}});
}

Json DoubleAuction::private_state(const Player& player) const {
  Json state = book(player.group());
  state["id_in_group"] = player.id_in_group();
  state["round"] = player.round_number();
  state["role"] = player[role].json();
  if (is_buyer(player)) {
    state["value"] = player[value].json();
  } else {
    state["cost"] = player[cost].json();
  }
  state["units_left"] = player.session()[units] - player[units_traded];
  return state;
}

Json DoubleAuction::js_vars(const Player& player) const {
  const Session& session = player.session();
  const double total = session.participant_payoff(player.id_in_session());
  Json trade_list = book(player.group())["trades"];
  return object({{"round_number", player.round_number()},
                 {"num_rounds", kRounds},
                 {"id_in_group", player.id_in_group()},
                 {"role", player[role]},
                 {"value", player[value]},
                 {"cost", player[cost]},
                 {"buyers", session[buyers]},
                 {"sellers", kPlayersPerGroup - session[buyers]},
                 {"units", session[units]},
                 {"units_traded", player[units_traded]},
                 {"payoff", player[payoff]},
                 {"trades", std::move(trade_list)},
                 {"value_low", session[value_low]},
                 {"value_high", session[value_high]},
                 {"cost_low", session[cost_low]},
                 {"cost_high", session[cost_high]},
                 // On the session clock, which `serve` keeps in wall-clock
                 // milliseconds: the page counts down to it with Date.now().
                 {"period_ends_ms", player.participant().page_entered_ms + kPeriodMs},
                 {"total_payoff", total},
                 {"currency_per_point", session.real_world_currency_per_point()},
                 {"participation_fee", session.participation_fee()}});
}

}  // namespace livectl::double_auction

LIVECTL_GAME(double_auction, livectl::double_auction::DoubleAuction)
