// Groups formed by arrival time are stored as they form: a restart puts
// back the groups and who is still waiting, in order; replay reproduces
// them; the export leaves a player without a group blank.
#include <doctest/doctest.h>

#include "engine/arrival_game.h"
#include "store/export.h"
#include "store/replay.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

SessionConfig served(int participants) {
  SessionConfig config;
  config.participants = participants;
  config.arrivals = true;
  config.seed = 7;
  return config;
}

void apply(Session& session, EventKind kind, uint32_t participant, int64_t time_ms) {
  Event event;
  event.kind = kind;
  event.participant = participant;
  event.time_ms = time_ms;
  if (kind == EventKind::kTimeout) {
    event.page = static_cast<int32_t>(session.participant(participant).page);
  }
  const EventResult& result = session.apply(event);
  INFO(result.error.value_or(""));
  REQUIRE_FALSE(result.error);
}

// Nine participants: 4, 8 and 2 arrive and form group 1, where 8 sends a
// message; 1 arrives next and times out alone (group 2); 9 and 5 then wait.
// Returns the session's code and digest.
std::pair<std::string, std::string> play(const std::string& path, const ArrivalGame& game) {
  auto store = open_store(path);
  Session session(game, *store, served(9));
  REQUIRE(store->add_session(session, "serve", Json::object()).ok());
  apply(session, EventKind::kArrive, 4, 1000);
  apply(session, EventKind::kArrive, 8, 2000);
  apply(session, EventKind::kArrive, 2, 3000);
  apply(session, EventKind::kArrive, 1, 4000);
  apply(session, EventKind::kLive, 8, 5000);
  apply(session, EventKind::kTimeout, 1, 64000);
  apply(session, EventKind::kArrive, 9, 65000);
  apply(session, EventKind::kArrive, 5, 66000);
  REQUIRE(store->flush().ok());
  CHECK(session.group_matrix(1) == std::vector<std::vector<int>>{{4, 8, 2}, {1}});
  return {session.code(), session.digest()};
}

TEST_CASE("a restart puts back groups formed by arrival and who waits, in arrival order") {
  TempDir dir;
  const std::string path = dir.database();
  ArrivalGame game({.timeout_ms = 60000, .fallback = ArrivalFallback::kAlone});
  const auto [code, digest] = play(path, game);

  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  const Status loaded = store->load_session(code, game, &restored);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  CHECK(restored->digest() == digest);
  CHECK(restored->group_matrix(1) == std::vector<std::vector<int>>{{4, 8, 2}, {1}});
  CHECK(restored->player(8).group()[game.messages] == 1);
  CHECK(restored->player(1).group()[game.formed_size] == 1);
  CHECK_FALSE(restored->player(9).has_group());
  // 9 and 5 still wait, in that order: a third arrival completes their group.
  apply(*restored, EventKind::kArrive, 3, 67000);
  CHECK(restored->group_matrix(1) == std::vector<std::vector<int>>{{4, 8, 2}, {1}, {9, 5, 3}});
  REQUIRE(store->flush().ok());

  // And the continued session is restored again as it is now.
  const std::string continued = restored->digest();
  restored.reset();
  store.reset();
  auto again = open_store(path);
  std::unique_ptr<Session> twice;
  REQUIRE(again->load_session(code, game, &twice).ok());
  CHECK(twice->digest() == continued);
}

TEST_CASE("a session grouped by arrival replays to its digest and exports blank groups") {
  TempDir dir;
  const std::string path = dir.database();
  ArrivalGame game({.timeout_ms = 60000, .fallback = ArrivalFallback::kAlone});
  const auto [code, digest] = play(path, game);

  auto store = open_for_reading(path);
  std::optional<StoredSession> stored;
  REQUIRE(store->find_session(code, &stored).ok());
  REQUIRE(stored);
  ReplayResult result;
  REQUIRE(replay_session(
              *store, *stored, [&](std::string_view) -> const Game* { return &game; }, &result)
              .ok());
  INFO(result.divergence);
  CHECK(result.matches);
  CHECK(result.digest == digest);

  ExportOptions options;
  options.format = ExportOptions::Format::kJson;
  options.out_dir = dir.file("out");
  std::vector<ExportedFile> files;
  REQUIRE(export_data(*store, options, &files).ok());
  const Json rows = Json::parse(read_file(dir.file("out/arrival_players.json")));
  REQUIRE(rows.size() == 18);  // 9 participants, 2 rounds
  // Round 1: participant 2 is player 3 of group 1; 9 has no group yet.
  CHECK(rows[1]["group.id_in_subsession"] == 1);
  CHECK(rows[1]["player.id_in_group"] == 3);
  CHECK(rows[1]["group.formed_size"] == 3);
  CHECK(rows[0]["group.id_in_subsession"] == 2);
  CHECK(rows[8]["group.id_in_subsession"].is_null());
  CHECK(rows[8]["player.id_in_group"].is_null());
}

TEST_CASE("groups formed in one round after another round's are restored to the same state") {
  // Round 1's first group goes on to round 2 and forms its group there
  // before round 1's second group forms: the groups formed out of round
  // order, which a restart cannot see. The state is the same all the same.
  TempDir dir;
  const std::string path = dir.database();
  ArrivalGame game({});
  std::string code;
  std::string digest;
  {
    auto store = open_store(path);
    Session session(game, *store, served(6));
    REQUIRE(store->add_session(session, "serve", Json::object()).ok());
    int64_t clock = 0;
    for (uint32_t id : {1, 2, 3}) apply(session, EventKind::kArrive, id, clock += 1000);
    for (uint32_t id : {1, 2, 3}) apply(session, EventKind::kSubmit, id, clock += 1000);
    for (uint32_t id : {1, 2, 3}) apply(session, EventKind::kSubmit, id, clock += 1000);
    CHECK(session.group_matrix(2) == std::vector<std::vector<int>>{{1, 2, 3}});
    for (uint32_t id : {6, 5, 4}) apply(session, EventKind::kArrive, id, clock += 1000);
    apply(session, EventKind::kLive, 4, clock += 1000);
    CHECK(session.group_matrix(1) == std::vector<std::vector<int>>{{1, 2, 3}, {6, 5, 4}});
    REQUIRE(store->flush().ok());
    code = session.code();
    digest = session.digest();
  }
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  REQUIRE(store->load_session(code, game, &restored).ok());
  CHECK(restored->digest() == digest);
  CHECK(restored->player(4).group()[game.messages] == 1);
}

}  // namespace
}  // namespace livectl::testing
