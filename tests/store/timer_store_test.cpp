// Game timers in the store: kept with the event that changed them, put back
// on a restart, reproduced by replay.
#include <doctest/doctest.h>

#include "engine/ticking_game.h"
#include "store/replay.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

const EventResult& apply(Session& session, EventKind kind, uint32_t participant, int64_t time_ms,
                         Json data = nullptr) {
  Event event;
  event.kind = kind;
  event.participant = participant;
  event.time_ms = time_ms;
  event.data = std::move(data);
  return session.apply(event);
}

// Fires whatever is due up to `until_ms`, each at its own time.
void run_clock(Session& session, int64_t until_ms) {
  std::vector<Event> due;
  for (int64_t next = session.next_due_ms(); next <= until_ms; next = session.next_due_ms()) {
    session.due_events(next, &due);
    for (const Event& event : due) {
      if (session.is_due(event)) session.apply(event);
    }
  }
}

TEST_CASE("timers survive a restart where they were, and replay reproduces every firing") {
  TickingGame game;
  TempDir dir;
  const std::string path = dir.file("livectl.db");
  std::string code;
  std::string digest;
  {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 6;
    Session session(game, *store, config);
    REQUIRE(store->add_session(session, "serve", Json::object()).ok());
    REQUIRE_FALSE(apply(session, EventKind::kLive, 1, 1000, "start").error);
    REQUIRE_FALSE(apply(session, EventKind::kLive, 3, 1010, "start").error);
    REQUIRE_FALSE(apply(session, EventKind::kLive, 4, 1020, "nudge").error);
    REQUIRE_FALSE(apply(session, EventKind::kLive, 5, 1030, "boom").error);
    run_clock(session, 1555);
    // Five ticks of groups 1 and 2 each, participant 4's nudge, and five
    // failed booms of group 3 fired. Group 1's tick is due at 1600 and its
    // end at 2000, group 2's at 1610 and 2010, group 3's boom at 1630.
    REQUIRE(session.timers().size() == 5);
    REQUIRE_FALSE(apply(session, EventKind::kLive, 2, 1560, "stop").error);
    REQUIRE(store->flush().ok());
    code = session.code();
    digest = session.digest();
    CHECK(sql_value(path, "SELECT count(*) FROM timers") == "4");
    CHECK(sql_value(path,
                    "SELECT game || ' ' || timer || ' ' || round_number || ' ' || group_id || ' ' "
                    "|| id_in_session || ' ' || page_index || ' ' || due_ms || ' ' || every_ms "
                    "FROM timers WHERE group_id = 2 AND timer = 'tick'") ==
          "ticking tick 1 2 0 0 1610 100");
    CHECK(sql_value(path, "SELECT count(*) FROM events WHERE kind = 'timer'") == "16");
    CHECK(
        sql_value(path, "SELECT count(*) FROM events WHERE kind = 'timer' AND error IS NOT NULL") ==
        "5");
  }
  {
    auto store = open_store(path);
    std::unique_ptr<Session> restored;
    REQUIRE(store->load_session(code, game, &restored).ok());
    CHECK(restored->digest() == digest);
    CHECK(restored->timers().size() == 4);
    CHECK(restored->player(3).group().timer_due(game.tick) == 1610);
    CHECK(restored->player(1).group().timer_due(game.tick) == std::nullopt);
    CHECK(restored->next_due_ms() == 1610);  // group 1's tick was stopped
    // The server was down for a while: what ran out fires at once, and
    // the periods end.
    run_clock(*restored, 2500);
    CHECK(restored->page_of(restored->player(3)).name == "results");
    CHECK(restored->page_of(restored->player(1)).name == "results");
    REQUIRE(store->flush().ok());
    digest = restored->digest();
    CHECK(sql_value(path, "SELECT count(*) FROM timers") == "1");  // the boom runs on
  }
  auto store = open_for_reading(path);
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
