// Presence in the store: who is away survives a restart and replay.
#include <doctest/doctest.h>

#include "engine/waiting_game.h"
#include "store/replay.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

TEST_CASE("who is away survives a restart, and replay reproduces the presence events") {
  WaitingGame game(0);
  TempDir dir;
  const std::string path = dir.database();
  std::string code;
  std::string digest;
  {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 3;
    config.arrivals = true;
    Session session(game, *store, config);
    REQUIRE(store->add_session(session, "serve", Json::object()).ok());
    int64_t time = 1000;
    auto apply = [&](EventKind kind, uint32_t participant, Json data) {
      Event event;
      event.kind = kind;
      event.participant = participant;
      event.time_ms = (time += 100);
      event.data = std::move(data);
      return session.apply(event).error;
    };
    for (uint32_t id = 1; id <= 3; ++id) REQUIRE_FALSE(apply(EventKind::kArrive, id, nullptr));
    REQUIRE_FALSE(apply(EventKind::kPresence, 2, Json::object({{"present", false}})));
    REQUIRE_FALSE(apply(EventKind::kPresence, 3, Json::object({{"present", false}})));
    REQUIRE_FALSE(apply(EventKind::kPresence, 3, Json::object({{"present", true}})));
    REQUIRE(store->flush().ok());
    code = session.code();
    digest = session.digest();
    CHECK(sql_value(path, SqlStore::is_postgres(path)
                              ? "SELECT string_agg(CASE WHEN present THEN '1' ELSE '0' END, ',' "
                                "ORDER BY id_in_session) FROM participants"
                              : "SELECT group_concat(present) FROM participants") == "1,0,1");
    CHECK(sql_value(path, "SELECT count(*) FROM events WHERE kind = 'presence'") == "3");
  }
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  REQUIRE(store->load_session(code, game, &restored).ok());
  CHECK(restored->digest() == digest);
  CHECK_FALSE(restored->participant(2).present);
  CHECK(restored->participant(3).present);
  std::optional<StoredSession> stored;
  REQUIRE(store->find_session(code, &stored).ok());
  ReplayResult replayed;
  REQUIRE(replay_session(
              *store, *stored, [&](std::string_view) { return &game; }, &replayed)
              .ok());
  INFO(replayed.divergence);
  CHECK(replayed.matches);
  CHECK(replayed.digest == digest);
}

}  // namespace
}  // namespace livectl::testing
