// @GAME@: players contribute to their group's pot; every contribution is
// shown to the whole group. Replace it with your own game: docs/writing-a-game.md
// in livectl's documentation walks through each part.
#include <livectl/livectl.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace livectl;

class ThisGame final : public Game {
 public:
  ThisGame() : Game("@GAME@", "players contribute to their group's pot", /*players_per_group=*/2) {
    // oTree's page_sequence: a wait page until the group is complete, the
    // live page, the results.
    page("waiting", PageKind::kWait, "");
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }

  // The data: oTree's model fields, and an ExtraModel-like table.
  LIVECTL_GROUP_FIELD(int64_t, pot, 0);
  LIVECTL_PLAYER_FIELD(int64_t, given, 0);
  const RecordType contributions = record_type("contribution", {{"amount", FieldType::kInteger}});

  // liveSend({}) asks for the pot; liveSend({"contribution": n}) gives n.
  Outbox live_method(Player& player, const Json& data) const override {
    Group& group = player.group();
    if (data.is_object() && data.empty()) return send_to(player, object({{"pot", group[pot]}}));
    const Json amount = data.is_object() ? data.value("contribution", Json()) : Json();
    if (!amount.is_number_integer() || amount < 0 || amount > 100) {
      return reject("send {\"contribution\": n} with n a whole number from 0 to 100");
    }
    group[pot] += amount;
    player[given] += amount;
    player.add_record(contributions, {amount});
    return send_to_group(object({{"id_in_group", player.id_in_group()},
                                 {"contribution", amount},
                                 {"pot", group[pot]}}));
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;
};

// `simulate` plays one bot per participant: three contributions, then Next.
class ContributingBot final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.kind != PageKind::kLive) return BotAction::done();
    if (sent_ == 3) return BotAction::submit();
    ++sent_;
    return BotAction::send(object({{"contribution", rng.between(0, 100)}}));
  }
  void on_receive(const Json& /*payload*/) override {}

 private:
  int sent_ = 0;
};

// Checked after every event of a simulation: the pot is what the group's
// players have given.
class PotIsTheSumOfGifts final : public Invariant {
 public:
  explicit PotIsTheSumOfGifts(const ThisGame& game) : game_(game) {}
  std::string_view name() const override { return "the pot is the sum of what players gave"; }
  std::optional<std::string> check(const Session& session, const Event& /*event*/,
                                   const EventResult& /*result*/) override {
    for (const Group& group : session.groups()) {
      if (&group.game() != &game_) continue;  // another game's, in an app sequence
      int64_t sum = 0;
      for (int id = 1; id <= group.size(); ++id) sum += group.player(id)[game_.given];
      if (group[game_.pot] != sum) {
        return "group " + std::to_string(group.id_in_subsession()) + " has pot " +
               std::to_string(group[game_.pot]) + " but its players gave " + std::to_string(sum);
      }
    }
    return {};
  }

 private:
  const ThisGame& game_;
};

std::unique_ptr<Bot> ThisGame::make_bot(int, int) const {
  return std::make_unique<ContributingBot>();
}

std::vector<std::unique_ptr<Invariant>> ThisGame::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> invariants;
  invariants.push_back(std::make_unique<PotIsTheSumOfGifts>(*this));
  return invariants;
}

}  // namespace

LIVECTL_GAME(@GAME@, ThisGame)
