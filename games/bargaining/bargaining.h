#pragma once
// bargaining: two players send each other price offers until one accepts.
//
// liveSend({"type": "offer", "value": v, "to": j}) reaches player j only, as
//   {"type": "offer", "from": i, "value": v}.
// liveSend({"type": "response", "accepted": b, "to": j}) answers j's latest
// unanswered offer to the sender, which is then used up:
//   a rejection reaches j only, as {"type": "response", "from": i, "accepted": false};
//   an acceptance closes the deal and reaches the whole group, as
//   {"type": "response", "from": i, "accepted": true, "price": v}.
// Everything else, and every message once the deal is closed, is rejected
// with one of the errors below to the sender and changes nothing.
#include <memory>
#include <string>
#include <vector>

#include "engine/bot.h"
#include "engine/invariant.h"
#include "engine/registry.h"
#include "engine/session.h"

namespace livectl::bargaining {

// The error texts the sender gets, checked word for word by tests and scenarios.
inline constexpr char kNotAnObject[] = "a message must be a JSON object";
inline constexpr char kUnknownType[] = R"("type" must be "offer" or "response")";
inline constexpr char kBadAddressee[] =
    R"("to" must be the id_in_group of another player in your group)";
inline constexpr char kBadValue[] = R"(an offer's "value" must be a non-negative number)";
inline constexpr char kBadAccepted[] = R"(a response's "accepted" must be true or false)";
inline constexpr char kDealClosed[] = "the deal is closed";
// "there is no offer from player 2 to answer": a response when the player
// it names has no unanswered offer to the sender.
std::string no_offer_error(int offerer);

class Bargaining final : public Game {
 public:
  Bargaining();

  Outbox live_method(Player& player, const Json& message) const override;
  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;  // bot.cpp
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;       // invariants.cpp

  // False until an offer is accepted; then true for good, and the three
  // fields below stay null until then.
  LIVECTL_GROUP_FIELD(bool, deal_closed, false);
  LIVECTL_GROUP_FIELD(double, deal_price);
  // The id_in_group of the player whose offer was accepted.
  LIVECTL_GROUP_FIELD(int64_t, deal_from);
  // The id_in_group of the player who accepted it.
  LIVECTL_GROUP_FIELD(int64_t, deal_to);

  // This player's latest offer and its addressee, until the addressee answers
  // it; null when there is none waiting.
  LIVECTL_PLAYER_FIELD(double, last_offer);
  LIVECTL_PLAYER_FIELD(int64_t, last_offer_to);
  // Every offer this player has made, answered or not.
  LIVECTL_PLAYER_FIELD(int64_t, offers_made, 0);

  // One row per offer made, for research data; "to" is the addressee's id_in_group.
  const RecordType offers =
      record_type("offer", {{"value", FieldType::kNumber}, {"to", FieldType::kInteger}});

 private:
  Outbox offer(Player& player, const Json& message) const;
  Outbox respond(Player& player, const Json& message) const;
};

}  // namespace livectl::bargaining
