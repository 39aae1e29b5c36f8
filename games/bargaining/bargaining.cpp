#include "games/bargaining/bargaining.h"

#include <cmath>
#include <string>

namespace livectl::bargaining {
namespace {

// The id_in_group that `message`["to"] names, when it is another member of
// the sender's group; 0 otherwise.
int addressee(const Player& sender, const Json& message) {
  const auto to = message.find("to");
  if (to == message.end() || !to->is_number_integer()) return 0;
  const auto id = to->get<int64_t>();
  if (id < 1 || id > sender.group().size() || id == sender.id_in_group()) return 0;
  return static_cast<int>(id);
}

Json offer_payload(int from, const Json& value) {
  return object({{"type", "offer"}, {"from", from}, {"value", value}});
}

Json response_payload(int from, bool accepted) {
  return object({{"type", "response"}, {"from", from}, {"accepted", accepted}});
}

}  // namespace

std::string no_offer_error(int offerer) {
  return "there is no offer from player " + std::to_string(offerer) + " to answer";
}

Bargaining::Bargaining()
    : Game("bargaining", "two players trade offers on a price until one accepts", 2) {
  // Until the partner has opened their link.
  page("waiting", PageKind::kWait, "");
  page("live", PageKind::kLive, "live.html");
  page("results", PageKind::kPlain, "results.html");
}

Outbox Bargaining::live_method(Player& player, const Json& message) const {
  if (player.group()[deal_closed]) return reject(kDealClosed);
  if (!message.is_object()) return reject(kNotAnObject);
  const auto type = message.find("type");
  if (type != message.end() && *type == "offer") return offer(player, message);
  if (type != message.end() && *type == "response") return respond(player, message);
  return reject(kUnknownType);
}

Outbox Bargaining::offer(Player& player, const Json& message) const {
  const int to = addressee(player, message);
  if (to == 0) return reject(kBadAddressee);
  const auto value = message.find("value");
  // Finite: NaN would pass the sign test and be stored as null.
  if (value == message.end() || !value->is_number() || *value < 0 ||
      !std::isfinite(value->get<double>())) {
    return reject(kBadValue);
  }
  player[last_offer] = *value;
  player[last_offer_to] = to;
  player[offers_made] += 1;
  player.add_record(offers, {*value, to});
  return {{to, offer_payload(player.id_in_group(), *value)}};
}

Outbox Bargaining::respond(Player& player, const Json& message) const {
  const int to = addressee(player, message);
  if (to == 0) return reject(kBadAddressee);
  const auto accepted = message.find("accepted");
  if (accepted == message.end() || !accepted->is_boolean()) {
    return reject(kBadAccepted);
  }
  Group& group = player.group();
  Player& offerer = group.player(to);
  const Json price = offerer[last_offer].json();
  if (price.is_null() || offerer[last_offer_to].json() != player.id_in_group()) {
    return reject(no_offer_error(to));
  }
  // Answered either way, so the same offer cannot be accepted later.
  offerer[last_offer] = nullptr;
  offerer[last_offer_to] = nullptr;
  if (*accepted == false) return {{to, response_payload(player.id_in_group(), false)}};

  group[deal_closed] = true;
  group[deal_price] = price;
  group[deal_from] = to;
  group[deal_to] = player.id_in_group();
  // A superset of the rejection's shape, so the offerer reads it the same way,
  // sent to everyone because it ends the bargaining for the whole group.
  Json deal = response_payload(player.id_in_group(), true);
  deal.emplace("price", price);
  return send_to_group(std::move(deal));
}

}  // namespace livectl::bargaining

LIVECTL_GAME(bargaining, livectl::bargaining::Bargaining)
