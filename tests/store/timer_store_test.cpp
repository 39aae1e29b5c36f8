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
  const std::string path = dir.database();
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

TEST_CASE("delivery numbers survive a restart, and the store gives back each page's deliveries") {
  TickingGame game;
  TempDir dir;
  const std::string path = dir.database();
  std::string code;
  std::vector<std::pair<uint64_t, uint64_t>> counts;  // delivered, page_delivered
  {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 4;
    Session session(game, *store, config);
    REQUIRE(store->add_session(session, "serve", Json::object()).ok());
    REQUIRE_FALSE(apply(session, EventKind::kLive, 1, 1000, "start").error);
    REQUIRE_FALSE(apply(session, EventKind::kLive, 3, 1000, "nudge").error);
    run_clock(session, 1350);  // three ticks to each member of group 1, a nudge to 3
    REQUIRE(store->flush().ok());
    REQUIRE_FALSE(apply(session, EventKind::kSubmit, 2, 1360).error);  // 2 leaves the page
    run_clock(session, 1550);  // two more ticks: to participant 1 only
    REQUIRE(store->flush().ok());
    code = session.code();
    for (uint32_t id = 1; id <= 4; ++id) {
      counts.emplace_back(session.participant(id).delivered,
                          session.participant(id).page_delivered);
    }
  }
  CHECK(counts == std::vector<std::pair<uint64_t, uint64_t>>{{5, 0}, {3, 3}, {1, 0}, {0, 0}});
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  REQUIRE(store->load_session(code, game, &restored).ok());
  for (uint32_t id = 1; id <= 4; ++id) {
    CAPTURE(id);
    CHECK(restored->participant(id).delivered == counts[id - 1].first);
    CHECK(restored->participant(id).page_delivered == counts[id - 1].second);
  }
  std::vector<std::vector<PageDelivery>> pages;
  REQUIRE(store->page_deliveries(*restored, 4, &pages).ok());
  REQUIRE(pages.size() == 4);
  // The last four of participant 1's five, in order; none of 2's new page.
  REQUIRE(pages[0].size() == 4);
  CHECK(pages[0][0].seq == 2);
  CHECK(pages[0][0].payload == R"({"tick":2})");
  CHECK(pages[0][3].seq == 5);
  CHECK(pages[0][3].payload == R"({"tick":5})");
  CHECK(pages[1].empty());
  REQUIRE(pages[2].size() == 1);
  CHECK(pages[2][0].payload == R"("nudge")");
  CHECK(pages[3].empty());
  // Numbering goes on where it was.
  run_clock(*restored, 1650);
  CHECK(restored->participant(1).delivered == 6);
}

}  // namespace
}  // namespace livectl::testing
