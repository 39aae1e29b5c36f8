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
    if (data <= group[highest_bid]) return {};
    group[highest_bid] = data;
    group[highest_bidder] = player.id_in_group();
    return {{0, object({{"id_in_group", player.id_in_group()}, {"bid", data}})}};
  }

  // oTree's js_vars. The motto holds what would end or bend a <script>
  // element if it were not escaped, so that the browser test proves it is.
  Json js_vars(const Player& player) const override {
    return object({{"my_id", player.id_in_group()},
                   {"motto", "Bid high </script><!-- \u2028or go home\u2029"}});
  }

  LIVECTL_GROUP_FIELD(int64_t, highest_bidder);
  LIVECTL_GROUP_FIELD(double, highest_bid, 0);
};

}  // namespace

LIVECTL_GAME(otree_auction, OtreeAuction)
