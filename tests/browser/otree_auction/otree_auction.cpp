// otree_auction: the auction of oTree's "Live pages" documentation, ported
// to C++ for the test study livectl_otree_test (tests/browser/CMakeLists.txt),
// which serves its template, live.html, as oTree's documentation writes it.
//
// oTree's version:
//     class Group(BaseGroup):
//         highest_bidder = models.IntegerField()
//         highest_bid = models.CurrencyField(initial=0)
//
//     def live_method(player, data):
//         group = player.group
//         my_id = player.id_in_group
//         if data > group.highest_bid:
//             group.highest_bid = data
//             group.highest_bidder = my_id
//             response = dict(id_in_group=my_id, bid=data)
//             return {0: response}
#include <livectl/livectl.h>

namespace {

using namespace livectl;

class OtreeAuction final : public Game {
 public:
  OtreeAuction() : Game("otree_auction", "the auction of oTree's live pages documentation", 3) {
    page("live", PageKind::kLive, "live.html");
  }

  Outbox live_method(Player& player, const Json& data) const override {
    Group& group = player.group();
    // oTree would raise comparing a non-number with the bid: an error.
    if (!data.is_number()) return reject("a bid must be a number");
    if (data <= group.get(highest_bid)) return {};
    group.set(highest_bid, data);
    group.set(highest_bidder, player.id_in_group());
    Json response(Json::value_t::object);
    response.emplace("id_in_group", player.id_in_group());
    response.emplace("bid", data);
    return {{0, std::move(response)}};
  }

  // oTree's js_vars. The motto holds what would end or bend a <script>
  // element if it were not escaped, so that the browser test proves it is.
  Json js_vars(const Player& player) const override {
    Json vars(Json::value_t::object);
    vars.emplace("my_id", player.id_in_group());
    vars.emplace("motto", "Bid high </script><!-- \u2028or go home\u2029");
    return vars;
  }

  const GroupField highest_bidder = group_field("highest_bidder", FieldType::kInteger);
  const GroupField highest_bid = group_field("highest_bid", FieldType::kNumber, 0);
};

}  // namespace

LIVECTL_GAME(otree_auction, OtreeAuction)
