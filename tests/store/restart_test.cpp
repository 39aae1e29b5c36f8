// Opening an existing database restores every session exactly.
#include <doctest/doctest.h>

#include "engine/scripted_game.h"
#include "engine/waiting_game.h"
#include "store/replay.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

TEST_CASE("every game's session has the same digest, clock and generator after a restart") {
  for (const Game* game : all_games()) {
    CAPTURE(game->name());
    TempDir dir;
    const std::string path = dir.database();
    PlayedSession before;
    {
      auto store = open_store(path);
      before = play_stored(*store, *game, game->players_per_group() * 4, 11, 400);
    }
    REQUIRE(before.last_seq > 0);
    auto store = open_store(path);
    std::unique_ptr<Session> restored;
    const Status loaded = store->load_session(before.code, *game, &restored);
    INFO(loaded.message());
    REQUIRE(loaded.ok());
    CHECK(restored->digest() == before.digest);
    CHECK(restored->last_seq() == before.last_seq);
    CHECK(restored->now_ms() == before.now_ms);
    CHECK(restored->rng().state() == before.rng);
  }
}

TEST_CASE("two sessions of different games in one file are restored side by side") {
  TempDir dir;
  const std::string path = dir.database();
  PlayedSession auction;
  PlayedSession tictactoe;
  {
    auto store = open_store(path);
    auction = play_stored(*store, game_named("auction"), 6, 1, 200);
    tictactoe = play_stored(*store, game_named("tictactoe"), 4, 2, 200);
  }
  auto store = open_store(path);
  std::vector<StoredSession> sessions;
  REQUIRE(store->list_sessions(&sessions).ok());
  REQUIRE(sessions.size() == 2);
  CHECK(sessions[0].code == auction.code);
  CHECK(sessions[0].game == "auction");
  CHECK(sessions[0].last_seq == auction.last_seq);
  CHECK(sessions[1].game == "tictactoe");
  std::unique_ptr<Session> a;
  std::unique_ptr<Session> t;
  REQUIRE(store->load_session(auction.code, game_named("auction"), &a).ok());
  REQUIRE(store->load_session(tictactoe.code, game_named("tictactoe"), &t).ok());
  CHECK(a->digest() == auction.digest);
  CHECK(t->digest() == tictactoe.digest);
}

// Stores whatever value the test sends in the field the data names.
struct TypedFields {
  ScriptedGame game{[](const ScriptedGame& g, Player& player, const Json& data) -> Outbox {
    const std::string field = data.at("field");
    if (field == "counter") player.group()[g.counter] = data.at("value");
    if (field == "label") player.group()[g.label] = data.at("value");
    if (field == "score") player[g.score] = data.at("value");
    if (field == "note") player.add_record(g.notes, {data.at("value")});
    return {};
  }};
};

TEST_CASE("a number field keeps 10 and 10.0 apart across a restart, as the digest does") {
  TempDir dir;
  const std::string path = dir.database();
  TypedFields typed;
  std::string digest;
  std::string code;
  {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 3;
    Session session(typed.game, *store, config);
    REQUIRE(store->add_session(session, "test", Json::object()).ok());
    Event event;
    event.participant = 1;
    event.data = {{"field", "score"}, {"value", 10}};
    REQUIRE_FALSE(session.apply(event).error);
    event.participant = 2;
    event.data = {{"field", "score"}, {"value", 10.0}};
    REQUIRE_FALSE(session.apply(event).error);
    event.participant = 3;
    event.data = {{"field", "score"}, {"value", -0.5}};
    REQUIRE_FALSE(session.apply(event).error);
    event.data = {{"field", "counter"}, {"value", 18446744073709551615ULL}};
    REQUIRE_FALSE(session.apply(event).error);
    event.data = {{"field", "label"}, {"value", "it's \"quoted\"\nand multi-line, with a , comma"}};
    REQUIRE_FALSE(session.apply(event).error);
    event.data = {{"field", "note"}, {"value", "ünïcödé ✓"}};
    REQUIRE_FALSE(session.apply(event).error);
    REQUIRE(store->flush().ok());
    digest = session.digest();
    code = session.code();
  }
  if (SqlStore::is_postgres(path)) {
    // numeric keeps the scale it was given.
    CHECK(sql_value(path, "SELECT score::text FROM scripted_player WHERE id_in_session = 1") ==
          "10");
    CHECK(sql_value(path, "SELECT score::text FROM scripted_player WHERE id_in_session = 2") ==
          "10.0");
  } else {
    CHECK(sql_value(path, "SELECT typeof(score) FROM scripted_player WHERE id_in_session = 1") ==
          "integer");
    CHECK(sql_value(path, "SELECT typeof(score) FROM scripted_player WHERE id_in_session = 2") ==
          "real");
  }
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  const Status loaded = store->load_session(code, typed.game, &restored);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  CHECK(restored->digest() == digest);
  CHECK(restored->player(1)[typed.game.score].json().dump() == "10");
  CHECK(restored->player(2)[typed.game.score].json().dump() == "10.0");
  CHECK(restored->player(3)[typed.game.score].json().dump() == "-0.5");
  CHECK(restored->groups()[0][typed.game.counter].json().dump() == "18446744073709551615");
  CHECK(restored->records(typed.game.notes)[0].values[0] == "ünïcödé ✓");
}

TEST_CASE("a restored session goes on exactly as the original would have") {
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  SessionConfig config;
  config.participants = 3;
  config.seed = 5;
  MemoryStore memory;
  Session original(auction, memory, config);
  std::string code;
  {
    auto store = open_store(path);
    Session stored(auction, *store, config);
    REQUIRE(store->add_session(stored, "test", Json::object()).ok());
    for (int bid : {4, 9, 2}) {
      Event event;
      event.participant = static_cast<uint32_t>(bid % 3 + 1);
      event.time_ms = bid * 100;
      event.data = bid;
      original.apply(event);
      stored.apply(event);
    }
    REQUIRE(store->flush().ok());
    code = stored.code();
  }
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  REQUIRE(store->load_session(code, auction, &restored).ok());
  Event event;
  event.participant = 2;
  event.time_ms = 5000;
  event.data = 15;
  const std::string expected = TestSession::received(original.apply(event), 1).dump();
  CHECK(TestSession::received(restored->apply(event), 1).dump() == expected);
  CHECK(restored->digest() == original.digest());
  CHECK(restored->last_seq() == 4);
  REQUIRE(store->flush().ok());
  CHECK(sql_value(path, "SELECT last_seq FROM sessions") == "4");
  CHECK(sql_value(path, "SELECT count(*) FROM events") == "4");
}

TEST_CASE("what the schema version and identity of a new database are") {
  TempDir dir;
  const std::string path = dir.database();
  open_store(path);
  if (SqlStore::is_postgres(path)) {
    CHECK(sql_value(path, "SELECT application_id || ' ' || version FROM livectl_schema") ==
          std::to_string(0x4c564354) + " 5");
  } else {
    CHECK(sql_value(path, "PRAGMA application_id") == std::to_string(0x4c564354));
    CHECK(sql_value(path, "PRAGMA user_version") == "5");
    CHECK(sql_value(path, "PRAGMA journal_mode") == "wal");
  }
}

TEST_CASE("who has arrived, and since when page timers run, survive a restart and replay") {
  WaitingGame game(5000);
  TempDir dir;
  const std::string path = dir.database();
  std::string code;
  std::string digest;
  {
    auto store = open_store(path);
    SessionConfig config;
    config.participants = 6;
    config.arrivals = true;
    Session session(game, *store, config);
    REQUIRE(store->add_session(session, "serve", Json::object()).ok());
    for (auto [participant, time_ms] :
         std::vector<std::pair<uint32_t, int64_t>>{{1, 1000}, {2, 2000}, {4, 2500}, {5, 2600}}) {
      Event arrive;
      arrive.kind = EventKind::kArrive;
      arrive.participant = participant;
      arrive.time_ms = time_ms;
      REQUIRE_FALSE(session.apply(arrive).error);
    }
    Event timeout;
    timeout.kind = EventKind::kTimeout;
    timeout.participant = 1;
    timeout.page = 0;
    timeout.time_ms = 6000;
    REQUIRE(session.apply(timeout).page_changes == std::vector<uint32_t>{1, 2});
    REQUIRE(store->flush().ok());
    code = session.code();
    digest = session.digest();
  }
  auto store = open_store(path);
  std::unique_ptr<Session> restored;
  REQUIRE(store->load_session(code, game, &restored).ok());
  CHECK(restored->digest() == digest);
  CHECK(restored->page_of(restored->player(1)).name == "live");
  CHECK(restored->player(1).participant().page_entered_ms == 6000);
  CHECK_FALSE(restored->player(3).participant().arrived);
  CHECK(restored->player(4).participant().arrived);
  CHECK(restored->player(4).participant().page_entered_ms == 2500);
  // Group 2's timer resumes where it was: 2500 + 5000.
  CHECK(restored->next_due_ms() == 7500);
  CHECK(restored->arrivals());

  std::optional<StoredSession> stored;
  REQUIRE(store->find_session(code, &stored).ok());
  ReplayResult replayed;
  REQUIRE(replay_session(
              *store, *stored, [&](std::string_view) { return &game; }, &replayed)
              .ok());
  INFO(replayed.divergence);
  CHECK(replayed.matches);
  CHECK(replayed.events == 5);
  CHECK(replayed.digest == digest);
}

}  // namespace
}  // namespace livectl::testing
