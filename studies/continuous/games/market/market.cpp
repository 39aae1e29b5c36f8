// A continuous double auction with an order book (after the markets of
// otree-redwood's examples and Smith's experiments): one market of 32
// traders, odd id_in_group buyers and even sellers, each drawing a value
// (buyers) or a cost (sellers) when the session is created and trading up
// to `units` units of one good in one timed period.
//
// A buyer posts bids and a seller asks: limit orders for one unit each, any
// number of them while its open orders and trades stay within `units`. An
// order that crosses the book trades at once at the standing order's price
// (best price first, then the oldest); otherwise it rests in the book until
// it trades or its trader cancels it. Orders, cancels and trades are
// records. The period starts when every trader is on the market page with
// it open (or after `start_grace_ms`), and ends after `period_ms`.
//
// What the page is sent, to every trader, one object per change:
//   {"open": {"started_ms", "ends_ms"}}                  the period started
//   {"order": {"id", "side", "price", "trader"}}        an order now rests
//   {"cancel": {"id"}}                                   it was withdrawn
//   {"trade": {"id", "price", "bid", "ask", "buyer", "seller", "ms"}}
//   {"closed": {"ended_ms"}}                             the period ended
// The page opts into its history, so a page that loads or reconnects gets
// these again in order and rebuilds the book from them. liveSend({}) answers
// the sender alone with the whole market, for a page whose history was cut:
//   {"market": {"open", "started_ms", "ends_ms", "bids", "asks", "trades"},
//    "you": {"id_in_group", "role", "value" | "cost", "units", "traded"}}
// (bids best first: highest price, then oldest; asks lowest first).
#include <livectl/livectl.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace livectl;

constexpr int kTraders = 32;
// Prices are whole points up to this, so that a typo cannot stand in the
// book and every price is well inside int64.
constexpr int64_t kMaxPrice = 100'000;

// One order as the book sees it.
struct Order {
  int64_t id = 0;
  bool bid = true;
  int64_t price = 0;
  int trader = 0;  // id_in_group
};

class Market;

// The group's book and trades, rebuilt from its records: every order that
// has neither traded nor been cancelled.
struct Book {
  std::vector<Order> bids;  // best first: highest, then oldest
  std::vector<Order> asks;  // best first: lowest, then oldest
  std::vector<Json> trades;
  std::map<int64_t, Order> open;  // by id
  std::set<int64_t> closed;       // traded or cancelled
};

class Market final : public Game {
 public:
  Market()
      : Game("market", "a continuous double auction with an order book, 32 traders", kTraders) {
    page("introduction", PageKind::kPlain, "introduction.html")
        .is_displayed([this](const Player& player) { return player.session()[introduction]; });
    page("market", PageKind::kLive, "market.html").with_history();
    page("results", PageKind::kPlain, "results.html");
  }

  void creating_session(Subsession& subsession) const override {
    const Session& session = subsession.session();
    if (session[low] < 1 || session[low] > session[high] || session[high] > kMaxPrice) {
      throw std::invalid_argument("low and high must satisfy 1 <= low <= high <= " +
                                  std::to_string(kMaxPrice));
    }
    if (session[units] < 1 || session[units] > 100) {
      throw std::invalid_argument("units must be 1 to 100, not " + std::to_string(session[units]));
    }
    Rng& rng = subsession.session().rng();
    for (Player* player : subsession.players()) {
      (*player)[limit] = rng.between(session[low], session[high]);
    }
  }

  Outbox live_method(Player& player, const Json& data) const override {
    if (data.is_object() && data.empty()) return send_to(player, snapshot(player));
    if (!data.is_object() || data.size() != 1) {
      return reject("send {\"bid\": price}, {\"ask\": price}, {\"cancel\": order id} or {}");
    }
    Group& group = player.group();
    const Session& session = player.session();
    if (!trading.running(group)) {
      return reject(group[trading.ended_ms].is_set()
                        ? "the market has closed"
                        : "the market opens when every trader is here");
    }
    if (data.contains("cancel")) return cancel(player, data["cancel"]);
    const bool bid = data.contains("bid");
    if (!bid && !data.contains("ask")) {
      return reject("send {\"bid\": price}, {\"ask\": price}, {\"cancel\": order id} or {}");
    }
    if (bid != buyer(player)) {
      return reject(std::string("you are a ") + (bid ? "seller: send asks" : "buyer: send bids"));
    }
    const Json& value = data.begin().value();
    if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
        value.get<int64_t>() > kMaxPrice) {
      return reject("a price is a whole number of points from 1 to " + std::to_string(kMaxPrice));
    }
    const int64_t price = value.get<int64_t>();
    const int64_t mine = player[limit];
    if (bid ? price > mine : price < mine) {
      return reject(std::string("you would lose: your ") + (bid ? "value" : "cost") + " is " +
                    std::to_string(mine));
    }
    if (player[open_orders] + player[traded] >= session[units]) {
      return reject("you have " + std::to_string(player[open_orders].value_or(0)) +
                    " open orders and " + std::to_string(player[traded].value_or(0)) +
                    " trades of your " + std::to_string(session[units]) + " units");
    }

    group[orders] += 1;
    const int64_t id = group[orders];
    const std::string side = bid ? "bid" : "ask";
    player.add_record(order_record, {id, side, price, session.now_ms()});
    const Book book = book_of(group);
    const std::vector<Order>& other = bid ? book.asks : book.bids;
    if (!other.empty() && (bid ? other.front().price <= price : other.front().price >= price)) {
      return trade(player, id, other.front());
    }
    player[open_orders] += 1;
    return send_to_group(object(
        {{"order",
          object(
              {{"id", id}, {"side", side}, {"price", price}, {"trader", player.id_in_group()}})}}));
  }

  Json js_vars(const Player& player) const override {
    const Group& group = player.group();
    return object({{"id_in_group", player.id_in_group()},
                   {"role", buyer(player) ? "buyer" : "seller"},
                   {"limit", player[limit].json()},
                   {"units", player.session()[units]},
                   {"payoff", player[payoff].json()},
                   {"traded", player[traded].json()},
                   {"ends_ms", group[trading.ends_ms].json()},
                   {"now_ms", player.session().now_ms()}});
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;

  static bool buyer(const Player& player) { return player.id_in_group() % 2 == 1; }

  // The book and trades of `group`, from its records.
  Book book_of(const Group& group) const {
    Book book;
    std::vector<Order> placed;
    for (const Record* row : group.records(order_record)) {
      // One round of one game: the participant's player is the first of theirs.
      placed.push_back({row->values[0].get<int64_t>(), row->values[1] == "bid",
                        row->values[2].get<int64_t>(),
                        group.session().players()[row->participant].id_in_group()});
    }
    for (const Record* row : group.records(cancel_record)) {
      book.closed.insert(row->values[0].get<int64_t>());
    }
    for (const Record* row : group.records(trade_record)) {
      book.closed.insert(row->values[1].get<int64_t>());
      book.closed.insert(row->values[2].get<int64_t>());
      book.trades.push_back(trade_json(*row));
    }
    for (const Order& order : placed) {
      if (book.closed.count(order.id)) continue;
      book.open[order.id] = order;
      (order.bid ? book.bids : book.asks).push_back(order);
    }
    std::stable_sort(book.bids.begin(), book.bids.end(),
                     [](const Order& a, const Order& b) { return a.price > b.price; });
    std::stable_sort(book.asks.begin(), book.asks.end(),
                     [](const Order& a, const Order& b) { return a.price < b.price; });
    return book;
  }

  static Json order_json(const Order& order) {
    return object({{"id", order.id},
                   {"side", order.bid ? "bid" : "ask"},
                   {"price", order.price},
                   {"trader", order.trader}});
  }
  static Json trade_json(const Record& row) {
    return object({{"id", row.values[0]},
                   {"bid", row.values[1]},
                   {"ask", row.values[2]},
                   {"buyer", row.values[3]},
                   {"seller", row.values[4]},
                   {"price", row.values[5]},
                   {"ms", row.values[6]}});
  }

  LIVECTL_PARAM(int64_t, low, 60);  // values and costs are drawn from low..high
  LIVECTL_PARAM(int64_t, high, 160);
  LIVECTL_PARAM(int64_t, units, 3);  // units each trader may trade
  LIVECTL_PARAM(int64_t, period_ms, 180'000);
  LIVECTL_PARAM(int64_t, start_grace_ms, 60'000);
  LIVECTL_PARAM(bool, introduction, true);
  // A buyer's value or a seller's cost.
  LIVECTL_PLAYER_FIELD(int64_t, limit);
  LIVECTL_PLAYER_FIELD(int64_t, open_orders, 0);
  LIVECTL_PLAYER_FIELD(int64_t, traded, 0);
  LIVECTL_GROUP_FIELD(int64_t, orders, 0);
  LIVECTL_GROUP_FIELD(int64_t, trades, 0);
  const RecordType order_record = record_type("order", {{"order_id", FieldType::kInteger},
                                                        {"side", FieldType::kString},
                                                        {"price", FieldType::kInteger},
                                                        {"placed_ms", FieldType::kInteger}});
  const RecordType cancel_record = record_type(
      "cancel", {{"order_id", FieldType::kInteger}, {"cancelled_ms", FieldType::kInteger}});
  // Recorded by the trader whose order crossed the book.
  const RecordType trade_record = record_type("trade", {{"trade_id", FieldType::kInteger},
                                                        {"bid_id", FieldType::kInteger},
                                                        {"ask_id", FieldType::kInteger},
                                                        {"buyer", FieldType::kInteger},
                                                        {"seller", FieldType::kInteger},
                                                        {"price", FieldType::kInteger},
                                                        {"traded_ms", FieldType::kInteger}});

  const Period trading = period(
      "market",
      PeriodSpec()
          .length_ms(period_ms)
          .start_grace_ms(start_grace_ms)
          .on_start([this](Group& group) {
            return send_to_group(object({{"open", object({{"started_ms", group[trading.started_ms]},
                                                          {"ends_ms", group[trading.ends_ms]}})}}));
          })
          .on_end([this](Group& group) {
            return send_to_group(
                object({{"closed", object({{"ended_ms", group[trading.ended_ms]}})}}));
          }));

 private:
  // `player`'s order `id` meets the best order on the other side, at that
  // order's price.
  Outbox trade(Player& player, int64_t id, const Order& standing) const {
    Group& group = player.group();
    Player& other = group.player(standing.trader);
    const bool bid = buyer(player);
    Player& buyer_player = bid ? player : other;
    Player& seller_player = bid ? other : player;
    group[trades] += 1;
    const int64_t price = standing.price;
    player.add_record(trade_record,
                      {group[trades].json(), bid ? id : standing.id, bid ? standing.id : id,
                       buyer_player.id_in_group(), seller_player.id_in_group(), price,
                       player.session().now_ms()});
    other[open_orders] -= 1;
    player[traded] += 1;
    other[traded] += 1;
    buyer_player[payoff] += static_cast<double>(buyer_player[limit] - price);
    seller_player[payoff] += static_cast<double>(price - seller_player[limit]);
    return send_to_group(object({{"trade", trade_json(*group.records(trade_record).back())}}));
  }

  Outbox cancel(Player& player, const Json& value) const {
    if (!value.is_number_integer()) return reject("cancel takes an order id");
    const int64_t id = value.get<int64_t>();
    Group& group = player.group();
    for (const Record* row : group.records(order_record)) {
      if (row->values[0] != value) continue;
      if (row->participant + 1 != static_cast<uint32_t>(player.id_in_session())) break;
      // An order that traded or was cancelled just before is gone already:
      // nothing to do, and no error for a race the trader cannot see.
      if (book_of(group).closed.count(id)) return {};
      player.add_record(cancel_record, {id, player.session().now_ms()});
      player[open_orders] -= 1;
      return send_to_group(object({{"cancel", object({{"id", id}})}}));
    }
    return reject("order " + std::to_string(id) + " is not one of yours");
  }

  Json snapshot(const Player& player) const {
    const Group& group = player.group();
    const Book book = book_of(group);
    Json bids = Json::array();
    for (const Order& order : book.bids) bids.push_back(order_json(order));
    Json asks = Json::array();
    for (const Order& order : book.asks) asks.push_back(order_json(order));
    const bool is_buyer = buyer(player);
    return object({{"market", object({{"open", trading.running(group)},
                                      {"started_ms", group[trading.started_ms].json()},
                                      {"ends_ms", group[trading.ends_ms].json()},
                                      {"bids", std::move(bids)},
                                      {"asks", std::move(asks)},
                                      {"trades", book.trades}})},
                   {"you", object({{"id_in_group", player.id_in_group()},
                                   {"role", is_buyer ? "buyer" : "seller"},
                                   {is_buyer ? "value" : "cost", player[limit].json()},
                                   {"units", player.session()[units]},
                                   {"traded", player[traded].json()}})}});
  }
};

// A zero-intelligence trader constrained by its value or cost (Gode and
// Sunder, 1993): it asks for the market, waits for it to open, then posts
// random orders it cannot lose on, and cancels its oldest open order now
// and then, until its units have traded or it has made kActions moves; then
// it waits for the period to end. It knows what its page knows.
class Trader final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.name == "introduction") return BotAction::submit();
    if (page.name != "market") return BotAction::done();
    if (!asked_) {
      asked_ = true;
      return BotAction::send(Json::object());
    }
    if (!open_ || limit_ < 0 || traded_ >= units_ || actions_ >= kActions) {
      return BotAction::wait();
    }
    ++actions_;
    const auto placed = static_cast<int64_t>(mine_.size()) + pending_;
    if (!mine_.empty() && (placed >= units_ - traded_ || rng.chance(0.2))) {
      const int64_t oldest = *mine_.begin();
      mine_.erase(mine_.begin());
      return BotAction::send(object({{"cancel", oldest}}));
    }
    if (placed >= units_ - traded_) return BotAction::wait();
    ++pending_;
    const int64_t price = buyer_ ? rng.between(std::max<int64_t>(1, limit_ - kMargin), limit_)
                                 : rng.between(limit_, limit_ + kMargin);
    return BotAction::send(object({{buyer_ ? "bid" : "ask", price}}));
  }

  void on_receive(const Json& data) override {
    if (data.contains("market")) {
      const Json& you = data["you"];
      id_ = you["id_in_group"].get<int>();
      buyer_ = you["role"] == "buyer";
      limit_ = you[buyer_ ? "value" : "cost"].get<int64_t>();
      units_ = you["units"].get<int64_t>();
      traded_ = you["traded"].get<int64_t>();
      open_ = data["market"]["open"].get<bool>();
      mine_.clear();
      for (const char* side : {"bids", "asks"}) {
        for (const Json& order : data["market"][side]) {
          if (order["trader"] == id_) mine_.insert(order["id"].get<int64_t>());
        }
      }
    } else if (data.contains("open")) {
      open_ = true;
    } else if (data.contains("closed")) {
      open_ = false;
    } else if (data.contains("order")) {
      const Json& order = data["order"];
      if (order["trader"] == id_) {
        mine_.insert(order["id"].get<int64_t>());
        pending_ = std::max(0, pending_ - 1);
      }
    } else if (data.contains("trade")) {
      const Json& trade = data["trade"];
      if (trade["buyer"] == id_ || trade["seller"] == id_) {
        ++traded_;
        // Either its standing order traded, or the one it just sent did.
        if (!mine_.erase(trade[buyer_ ? "bid" : "ask"].get<int64_t>())) {
          pending_ = std::max(0, pending_ - 1);
        }
      }
    } else if (data.contains("cancel")) {
      mine_.erase(data["cancel"]["id"].get<int64_t>());
    }
  }
  void on_error(const std::string&) override { pending_ = std::max(0, pending_ - 1); }

 private:
  static constexpr int64_t kMargin = 40;  // how far from its limit a bot's prices go
  static constexpr int kActions = 60;     // orders and cancels per period
  bool asked_ = false;
  bool open_ = false;
  int id_ = 0;
  bool buyer_ = true;
  int64_t limit_ = -1;
  int64_t units_ = 0;
  int64_t traded_ = 0;
  int actions_ = 0;
  int pending_ = 0;         // orders sent and not yet seen in the book or a trade
  std::set<int64_t> mine_;  // its open orders, oldest first
};

std::unique_ptr<Bot> Market::make_bot(int, int) const {
  return std::make_unique<Trader>();
}

// After every event: the book does not cross, each order closed at most
// once, nobody has more open orders and trades than units, every trade is
// at a price neither side loses on, and every payoff is the surplus of its
// trader's trades.
class TheBookIsSound final : public Invariant {
 public:
  explicit TheBookIsSound(const Market& game) : game_(game) {}
  std::string_view name() const override {
    return "the book never crosses, orders close once, and payoffs are the trades' surplus";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    if (result.error) return {};
    const Group& group = session.player(event.participant).in_round(1).group();
    const Book book = game_.book_of(group);
    if (!book.bids.empty() && !book.asks.empty() &&
        book.bids.front().price >= book.asks.front().price) {
      return "the book crosses: best bid " + std::to_string(book.bids.front().price) +
             ", best ask " + std::to_string(book.asks.front().price);
    }
    std::map<int64_t, int> closings;
    for (const Record* row : group.records(game_.cancel_record))
      ++closings[row->values[0].get<int64_t>()];
    std::map<int, double> surplus;
    std::map<int, int64_t> trades;
    for (const Record* row : group.records(game_.trade_record)) {
      ++closings[row->values[1].get<int64_t>()];
      ++closings[row->values[2].get<int64_t>()];
      const int buyer = row->values[3].get<int>();
      const int seller = row->values[4].get<int>();
      const int64_t price = row->values[5].get<int64_t>();
      const int64_t value = group.player(buyer)[game_.limit];
      const int64_t cost = group.player(seller)[game_.limit];
      if (price > value || price < cost) {
        return "trade " + row->values[0].dump() + " at " + std::to_string(price) +
               " is outside the buyer's value " + std::to_string(value) +
               " and the seller's cost " + std::to_string(cost);
      }
      surplus[buyer] += static_cast<double>(value - price);
      surplus[seller] += static_cast<double>(price - cost);
      ++trades[buyer];
      ++trades[seller];
    }
    for (const auto& [id, count] : closings) {
      if (count > 1)
        return "order " + std::to_string(id) + " closed " + std::to_string(count) + " times";
    }
    for (const Player* player : group.players()) {
      const int id = player->id_in_group();
      int64_t open = 0;
      for (const auto& [order_id, order] : book.open) open += order.trader == id;
      if ((*player)[game_.open_orders] != open || (*player)[game_.traded] != trades[id]) {
        return "trader " + std::to_string(id) + " counts " +
               (*player)[game_.open_orders].json().dump() + " open orders and " +
               (*player)[game_.traded].json().dump() + " trades; the book says " +
               std::to_string(open) + " and " + std::to_string(trades[id]);
      }
      if (open + trades[id] > session[game_.units]) {
        return "trader " + std::to_string(id) + " has more orders and trades than units";
      }
      if ((*player)[game_.payoff] != surplus[id]) {
        return "trader " + std::to_string(id) + " earned " + (*player)[game_.payoff].json().dump() +
               ", not the surplus of their trades, " + std::to_string(surplus[id]);
      }
    }
    return {};
  }

 private:
  const Market& game_;
};

std::vector<std::unique_ptr<Invariant>> Market::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> checks;
  checks.push_back(std::make_unique<TheBookIsSound>(*this));
  return checks;
}

}  // namespace

LIVECTL_GAME(market, Market)
