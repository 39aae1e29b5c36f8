// Properties of a bargaining session checked after every simulated event.
// Where a property needs history, the invariant keeps its own shadow of every
// group, built from the messages the pages sent wherever it can be, so that a
// bug in the game's bookkeeping cannot hide itself.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "games/bargaining/bargaining.h"

namespace livectl::bargaining {
namespace {

// Events naming no participant were rejected and touch no group.
std::string group_name(const Group& group) {
  return "group " + std::to_string(group.id_in_subsession());
}

// What an accepted liveSend did, read from the message the page sent.
struct Move {
  enum class Kind { kNone, kOffer, kAccept, kReject };
  Kind kind = Kind::kNone;
  int to = 0;  // the addressee's id_in_group; 0 when the message names none
  Json value;  // an offer's value
};

Move read_move(const Event& event, const EventResult& result) {
  if (event.kind != EventKind::kLive || result.error || !event.data.is_object()) return {};
  const Json& message = event.data;
  Move move;
  const Json to = message.value("to", Json());
  if (to.is_number_integer()) move.to = to.get<int>();
  const Json type = message.value("type", Json());
  if (type == "offer") {
    move.kind = Move::Kind::kOffer;
    move.value = message.value("value", Json());
  } else if (type == "response") {
    move.kind =
        message.value("accepted", Json()) == true ? Move::Kind::kAccept : Move::Kind::kReject;
  }
  return move;
}

// {"closed", "price", "from", "to"} as the group's fields hold them now.
Json deal_fields(const Bargaining& game, const Group& group) {
  return object({{"closed", group[game.deal_closed]},
                 {"price", group[game.deal_price]},
                 {"from", group[game.deal_from]},
                 {"to", group[game.deal_to]}});
}

class ClosedDealNeverChanges final : public Invariant {
 public:
  explicit ClosedDealNeverChanges(const Bargaining& game) : game_(game) {}
  std::string_view name() const override {
    return "once a deal is closed, deal_closed, deal_price, deal_from and deal_to never change";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    if (closed_.empty()) closed_.assign(session.groups().size(), nullptr);
    const Group& group = sender->group();
    Json& closed = closed_[group.id_in_subsession() - 1];
    const Json now = deal_fields(game_, group);
    if (closed.is_null()) {
      if (now["closed"] == true) closed = now;
      return {};
    }
    if (now != closed) {
      return group_name(group) + "'s deal changed from " + closed.dump() + " to " + now.dump();
    }
    return {};
  }

 private:
  const Bargaining& game_;
  std::vector<Json> closed_;  // [group index]: the deal when it closed; null before
};

// Every group's unanswered offers, from the accepted offers and responses:
// an offer from i to j stands until j answers i or i makes another offer.
class UnansweredOffers {
 public:
  // The offer `from` made to `to` and is still unanswered, or null. REQUIRES:
  // both are ids in `group`.
  const Json& get(const Group& group, int from, int to) { return of(group)[slot(group, from, to)]; }
  // Applies `move`, sent by player `sender`, to the offers of `group`.
  void update(const Group& group, int sender, const Move& move) {
    if (move.kind == Move::Kind::kNone || move.to < 1 || move.to > group.size()) return;
    if (move.kind == Move::Kind::kOffer) {
      of(group)[slot(group, sender, move.to)] = move.value;
    } else {
      of(group)[slot(group, move.to, sender)] = nullptr;
    }
  }

 private:
  std::vector<Json>& of(const Group& group) {
    const auto index = static_cast<size_t>(group.id_in_subsession() - 1);
    if (index >= groups_.size()) groups_.resize(index + 1);
    std::vector<Json>& offers = groups_[index];
    const auto side = static_cast<size_t>(group.size() + 1);
    if (offers.empty()) offers.assign(side * side, nullptr);
    return offers;
  }
  static size_t slot(const Group& group, int from, int to) {
    return static_cast<size_t>(from) * static_cast<size_t>(group.size() + 1) +
           static_cast<size_t>(to);
  }

  std::vector<std::vector<Json>> groups_;  // [group index][slot(from, to)]
};

class ResponsesAnswerUnansweredOffers final : public Invariant {
 public:
  std::string_view name() const override {
    return "a response is accepted only when its addressee has an unanswered offer to the sender";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const Move move = read_move(event, result);
    const int me = sender->id_in_group();
    std::optional<std::string> problem;
    const bool response = move.kind == Move::Kind::kAccept || move.kind == Move::Kind::kReject;
    if (response && (move.to < 1 || move.to > group.size() || move.to == me)) {
      problem = "participant " + std::to_string(event.participant) + "'s response to " +
                event.data.value("to", Json()).dump() + " was accepted";
    } else if (response && offers_.get(group, move.to, me).is_null()) {
      problem = "participant " + std::to_string(event.participant) + "'s response to player " +
                std::to_string(move.to) + " was accepted, but player " + std::to_string(move.to) +
                " had no unanswered offer to player " + std::to_string(me);
    }
    offers_.update(group, me, move);
    return problem;
  }

 private:
  UnansweredOffers offers_;
};

class DealIsAnUnansweredOffer final : public Invariant {
 public:
  explicit DealIsAnUnansweredOffer(const Bargaining& game) : game_(game) {}
  std::string_view name() const override {
    return "a deal's price is the unanswered offer that deal_from made to deal_to";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    if (closed_.empty()) closed_.assign(session.groups().size(), false);
    const Group& group = sender->group();
    const auto index = static_cast<size_t>(group.id_in_subsession() - 1);
    const Move move = read_move(event, result);
    std::optional<std::string> problem;
    if (!closed_[index] && group[game_.deal_closed].json() == true) {
      closed_[index] = true;
      problem = check_new_deal(group, move, sender->id_in_group());
    }
    offers_.update(group, sender->id_in_group(), move);
    return problem;
  }

 private:
  // REQUIRES: the deal closed on this event, whose sender is `me`; offers_
  // still holds the offers as they were before it.
  std::optional<std::string> check_new_deal(const Group& group, const Move& move, int me) {
    const Json& price = group[game_.deal_price].json();
    const Json& from = group[game_.deal_from].json();
    const Json& to = group[game_.deal_to].json();
    const auto is_member = [&](const Json& id) {
      return id.is_number_integer() && id.get<int64_t>() >= 1 && id.get<int64_t>() <= group.size();
    };
    if (!is_member(from) || !is_member(to)) {
      return group_name(group) + " closed a deal from " + from.dump() + " to " + to.dump() +
             ", who are not both players of the group";
    }
    const std::string deal = group_name(group) + " closed a deal at " + price.dump() +
                             " from player " + from.dump() + " to player " + to.dump();
    if (move.kind != Move::Kind::kAccept || to != me || from != move.to) {
      return deal + " on an event that was not player " + to.dump() + " accepting player " +
             from.dump() + "'s offer";
    }
    const Json& offer = offers_.get(group, from.get<int>(), to.get<int>());
    if (offer.is_null()) {
      return deal + ", but player " + from.dump() + " had no unanswered offer to player " +
             to.dump();
    }
    if (offer != price) {
      return deal + ", but player " + from.dump() + "'s unanswered offer to player " + to.dump() +
             " was " + offer.dump();
    }
    return {};
  }

  const Bargaining& game_;
  std::vector<bool> closed_;  // [group index]: whether this invariant has seen the deal
  UnansweredOffers offers_;
};

class DealFieldsSetExactlyWhenClosed final : public Invariant {
 public:
  explicit DealFieldsSetExactlyWhenClosed(const Bargaining& game) : game_(game) {}
  std::string_view name() const override {
    return "deal_price, deal_from and deal_to are null while deal_closed is false and set once "
           "it is true";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const Json& closed = group[game_.deal_closed].json();
    if (!closed.is_boolean()) return group_name(group) + " has deal_closed " + closed.dump();
    const std::array<std::pair<const char*, const Json*>, 3> fields = {
        {{"deal_price", &group[game_.deal_price].json()},
         {"deal_from", &group[game_.deal_from].json()},
         {"deal_to", &group[game_.deal_to].json()}}};
    for (const auto& [field_name, value_of] : fields) {
      const Json& value = *value_of;
      if (value.is_null() == (closed == true)) {
        return group_name(group) + " has deal_closed " + closed.dump() + " but " + field_name +
               " " + value.dump();
      }
    }
    return {};
  }

 private:
  const Bargaining& game_;
};

class NothingIsAcceptedAfterTheDeal final : public Invariant {
 public:
  explicit NothingIsAcceptedAfterTheDeal(const Bargaining& game) : game_(game) {}
  std::string_view name() const override {
    return "once a group's deal is closed, every message from its members is rejected";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    if (closed_.empty()) closed_.assign(session.groups().size(), false);
    const Group& group = sender->group();
    const auto index = static_cast<size_t>(group.id_in_subsession() - 1);
    const bool was_closed = closed_[index];
    closed_[index] = group[game_.deal_closed].json() == true;
    if (was_closed && event.kind == EventKind::kLive && !result.error) {
      return "participant " + std::to_string(event.participant) + "'s message " +
             event.data.dump() + " was accepted after " + group_name(group) + "'s deal closed";
    }
    return {};
  }

 private:
  const Bargaining& game_;
  std::vector<bool> closed_;  // [group index]: as of the group's previous event
};

// Only members on the live page can receive anything, so that is whom an
// acceptance must reach, and an addressee who has moved on receives nothing.
class MessagesReachTheirAddressees final : public Invariant {
 public:
  std::string_view name() const override {
    return "an offer or a rejection reaches its addressee and nobody else, and an acceptance "
           "reaches every member of the group on the live page";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Move move = read_move(event, result);
    if (move.kind == Move::Kind::kNone) return {};
    const Group& group = sender->group();
    std::vector<uint32_t> expected;
    for (int id = 1; id <= group.size(); ++id) {
      const Player& member = group.player(id);
      const bool addressed = move.kind == Move::Kind::kAccept || id == move.to;
      if (addressed && session.page_of(member).kind == PageKind::kLive) {
        expected.push_back(member.participant().id_in_session);
      }
    }
    std::vector<uint32_t> received;
    for (const Delivery& delivery : result.deliveries) received.push_back(delivery.participant);
    if (received != expected) {
      const char* what = move.kind == Move::Kind::kOffer    ? "an offer"
                         : move.kind == Move::Kind::kAccept ? "an acceptance"
                                                            : "a rejection";
      return std::string(what) + " from participant " + std::to_string(event.participant) +
             " reached participants " + Json(received).dump() + " instead of " +
             Json(expected).dump();
    }
    return {};
  }
};

}  // namespace

std::vector<std::unique_ptr<Invariant>> Bargaining::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> invariants;
  invariants.push_back(std::make_unique<ClosedDealNeverChanges>(*this));
  invariants.push_back(std::make_unique<DealIsAnUnansweredOffer>(*this));
  invariants.push_back(std::make_unique<ResponsesAnswerUnansweredOffers>());
  invariants.push_back(std::make_unique<DealFieldsSetExactlyWhenClosed>(*this));
  invariants.push_back(std::make_unique<NothingIsAcceptedAfterTheDeal>(*this));
  invariants.push_back(std::make_unique<MessagesReachTheirAddressees>());
  return invariants;
}

}  // namespace livectl::bargaining
