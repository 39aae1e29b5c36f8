// A session with rounds, random regrouping, parameters and participant
// fields survives a restart, replays from its log and exports one row per
// player per round.
#include <doctest/doctest.h>

#include "engine/rounds_game.h"
#include "store/export.h"
#include "store/replay.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

struct PlayedRounds {
  std::string code;
  std::string digest;
  std::vector<std::vector<std::vector<int>>> matrices;  // by round
};

// Six participants play round 1 and part of round 2 of RoundsGame
// (multiplier 2, treatment "punish"); stored in `path`.
PlayedRounds play_rounds(const std::string& path, const RoundsGame& game) {
  auto store = open_store(path);
  SessionConfig config;
  config.participants = 6;
  config.seed = 4;
  config.config_name = "rounds_punish";
  config.params = {{"multiplier", 2}, {"treatment", "punish"}};
  config.real_world_currency_per_point = 0.5;
  config.participation_fee = 3;
  Session session(game, *store, config);
  REQUIRE(store->add_session(session, "test", Json::object()).ok());
  int64_t clock = 0;
  auto apply = [&](EventKind kind, uint32_t participant, Json data = nullptr) {
    Event event;
    event.kind = kind;
    event.participant = participant;
    event.time_ms = (clock += 1000);
    event.data = std::move(data);
    const EventResult& result = session.apply(event);
    INFO(result.error.value_or(""));
    REQUIRE_FALSE(result.error);
  };
  for (uint32_t p = 1; p <= 6; ++p) apply(EventKind::kSubmit, p);
  for (uint32_t p = 1; p <= 6; ++p) apply(EventKind::kLive, p, static_cast<int>(p));
  for (uint32_t p = 1; p <= 6; ++p) apply(EventKind::kSubmit, p);  // to the wait page, then results
  for (uint32_t p = 1; p <= 6; ++p) apply(EventKind::kSubmit, p);  // into round 2
  apply(EventKind::kLive, 2, 7);
  REQUIRE(store->flush().ok());
  PlayedRounds played{session.code(), session.digest(), {}};
  for (int round = 1; round <= 3; ++round) {
    played.matrices.push_back(Subsession(session, round).get_group_matrix());
  }
  return played;
}

TEST_CASE("a session with rounds and regrouping is restored with its groups, fields and pages") {
  TempDir dir;
  const std::string path = dir.database();
  RoundsGame game;
  const PlayedRounds played = play_rounds(path, game);
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  const Status loaded = store->load_session(played.code, game, &restored);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  CHECK(restored->digest() == played.digest);
  for (int round = 1; round <= 3; ++round) {
    CHECK(Subsession(*restored, round).get_group_matrix() == played.matrices[round - 1]);
  }
  CHECK(restored->config_name() == "rounds_punish");
  CHECK(restored->params()["treatment"] == "punish");
  CHECK(restored->participation_fee() == 3.0);
  CHECK(restored->player(2).round_number() == 2);
  CHECK(restored->player(2)[game.contributed_so_far] == 9);
  CHECK(restored->player(2).in_round(1)[game.contribution] == 2);
}

TEST_CASE("a session with rounds and regrouping replays to its stored digest") {
  TempDir dir;
  const std::string path = dir.database();
  RoundsGame game;
  const PlayedRounds played = play_rounds(path, game);
  auto store = open_for_reading(path);
  std::optional<StoredSession> stored;
  REQUIRE(store->find_session(played.code, &stored).ok());
  REQUIRE(stored);
  ReplayResult result;
  const Status status = replay_session(
      *store, *stored, [&](std::string_view) -> const Game* { return &game; }, &result);
  INFO(status.message());
  REQUIRE(status.ok());
  INFO(result.divergence);
  CHECK(result.matches);
  CHECK(result.digest == played.digest);
}

TEST_CASE("the players export has one row per player per round with oTree's payoff columns") {
  TempDir dir;
  const std::string path = dir.database();
  RoundsGame game;
  const PlayedRounds played = play_rounds(path, game);
  auto store = open_for_reading(path);
  ExportOptions options;
  options.format = ExportOptions::Format::kJson;
  options.out_dir = dir.file("out");
  std::vector<ExportedFile> files;
  REQUIRE(export_data(*store, options, &files).ok());
  const Json rows = Json::parse(read_file(dir.file("out/rounds_players.json")));
  REQUIRE(rows.size() == 18);
  CHECK(rows[0]["subsession.round_number"] == 1);
  CHECK(rows[17]["subsession.round_number"] == 3);
  // Participant 2 gave 2 in round 1, in the group {1, 2}: 10 - 2 + (1 + 2) * 2 / 2 = 11 points.
  const Json& p2 = rows[1];
  CHECK(p2["participant.id_in_session"] == 2);
  CHECK(p2["player.payoff"] == 11);
  CHECK(p2["participant.payoff"] == 11);
  CHECK(p2["participant.payoff_plus_participation_fee"] == 8.5);  // 11 * 0.5 + 3
  CHECK(p2["participant.contributed_so_far"] == 9);
  CHECK(p2["session.config.name"] == "rounds_punish");
  CHECK(rows[7]["player.contribution"] == 7);  // participant 2 in round 2
  CHECK(rows[7]["group.id_in_subsession"] == [&] {
    for (size_t g = 0; g < played.matrices[1].size(); ++g) {
      for (int id : played.matrices[1][g]) {
        if (id == 2) return static_cast<int>(g + 1);
      }
    }
    return 0;
  }());
}

}  // namespace
}  // namespace livectl::testing
