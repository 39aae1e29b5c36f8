// The PostgreSQL store beside the SQLite one: the same session gives the same
// digest, replay and export in both; and what only a server can do to it
// (another application's database, a server that is not there, a connection
// that breaks mid-batch). The CTest test postgres_store runs them; it
// needs the server that the CTest fixture "postgres" starts.
#include <doctest/doctest.h>

#include "engine/scripted_game.h"
#include "store/export.h"
#include "store/replay.h"
#include "store/statement.h"
#include "store_support.h"

namespace livectl::testing {
namespace {

std::string server() {
  REQUIRE_MESSAGE(!postgres_server().empty(),
                  "LIVECTL_TEST_POSTGRES_URL_FILE names no server (run this through ctest)");
  return postgres_server();
}

// The files `export` writes for `path`, by name, with every session's
// creation time set to one value first (the only thing two runs of the same
// session tell apart).
std::map<std::string, std::string> exported(TempDir& dir, const std::string& path,
                                            const std::string& out) {
  sql(path, "UPDATE sessions SET created = '2026-01-01T00:00:00Z'");
  auto store = open_for_reading(path);
  std::map<std::string, std::string> contents;
  for (auto format : {ExportOptions::Format::kCsv, ExportOptions::Format::kJson}) {
    std::vector<ExportedFile> files;
    const Status status = export_data(*store, {"", format, dir.file(out)}, &files);
    INFO(status.message());
    REQUIRE(status.ok());
    for (const ExportedFile& file : files) {
      contents[std::filesystem::path(file.path).filename().string()] = read_file(file.path);
    }
  }
  return contents;
}

// Polls `done` for up to 5 s: a closed connection's locks go when its
// server process has exited, a moment after the client hung up.
template <class Done>
bool eventually(Done done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    usleep(10'000);
  }
  return false;
}

TEST_CASE(
    "every game's session is the same on PostgreSQL as on SQLite: digest, restart, "
    "replay and export" *
    doctest::test_suite("postgres")) {
  server();
  for (const Game* game : all_games()) {
    CAPTURE(game->name());
    TempDir dir;
    const std::string file = dir.file("livectl.db");
    const std::string pg = dir.database();
    REQUIRE(SqlStore::is_postgres(pg));
    PlayedSession on_file;
    PlayedSession on_pg;
    {
      auto store = open_store(file);
      on_file = play_stored(*store, *game, game->players_per_group() * 3, 5, 300, 7);
    }
    {
      auto store = open_store(pg);
      on_pg = play_stored(*store, *game, game->players_per_group() * 3, 5, 300, 7);
    }
    CHECK(on_pg.digest == on_file.digest);
    CHECK(on_pg.transcript == on_file.transcript);
    CHECK(on_pg.last_seq == on_file.last_seq);

    auto store = open_store(pg);
    std::unique_ptr<Session> restored;
    const Status loaded = store->load_session(on_pg.code, *game, &restored);
    INFO(loaded.message());
    REQUIRE(loaded.ok());
    CHECK(restored->digest() == on_pg.digest);
    CHECK(restored->rng().state() == on_pg.rng);
    store.reset();

    auto reader = open_for_reading(pg);
    std::optional<StoredSession> stored;
    REQUIRE(reader->find_session(on_pg.code, &stored).ok());
    REQUIRE(stored);
    ReplayResult replayed;
    REQUIRE(replay_session(*reader, *stored, find_game, &replayed).ok());
    INFO(replayed.divergence);
    CHECK(replayed.matches);
    CHECK(replayed.digest == on_pg.digest);
    reader.reset();

    const auto from_file = exported(dir, file, "file");
    const auto from_pg = exported(dir, pg, "pg");
    REQUIRE(from_file.size() >= 6);  // sessions, players and events, as CSV and JSON
    CHECK(from_pg == from_file);
  }
}

TEST_CASE("a number field keeps every double and whole number exactly on both stores" *
          doctest::test_suite("postgres")) {
  server();
  ScriptedGame game{[](const ScriptedGame& g, Player& player, const Json& data) -> Outbox {
    player[g.score] = data;
    return {};
  }};
  const std::vector<Json> values = {Json(10),
                                    Json(10.0),
                                    Json(-0.5),
                                    Json(1e20),
                                    Json(1.5e-7),
                                    Json(-0.0),
                                    Json(0.1),
                                    Json(1.7976931348623157e308),
                                    Json(5e-324),
                                    Json(-123456789012345678),
                                    Json(9007199254740993.0),
                                    Json(2.5e-300)};
  TempDir dir;
  for (const std::string& path : {dir.file("livectl.db"), dir.database()}) {
    CAPTURE(path);
    std::string digest;
    std::string code;
    {
      auto store = open_store(path);
      SessionConfig config;
      config.participants = static_cast<int>(values.size());
      Session session(game, *store, config);
      REQUIRE(store->add_session(session, "test", Json::object()).ok());
      for (size_t i = 0; i < values.size(); ++i) {
        Event event;
        event.participant = static_cast<uint32_t>(i + 1);
        event.data = values[i];
        REQUIRE_FALSE(session.apply(event).error);
      }
      REQUIRE(store->flush().ok());
      digest = session.digest();
      code = session.code();
    }
    auto store = open_store(path);
    std::unique_ptr<Session> restored;
    const std::string loaded = store->load_session(code, game, &restored).message();
    REQUIRE(loaded == "");
    for (size_t i = 0; i < values.size(); ++i) {
      // A field holds -0.0 as 0.0 (one_zero), on either store.
      CHECK(restored->player(static_cast<uint32_t>(i + 1))[game.score].json().dump() ==
            (values[i].dump() == "-0.0" ? "0.0" : values[i].dump()));
    }
    CHECK(restored->digest() == digest);
  }
}

TEST_CASE(
    "a PostgreSQL database of another application is not a livectl database, and is "
    "left as it was" *
    doctest::test_suite("postgres")) {
  server();
  TempDir dir;
  const std::string path = dir.database();
  sql(path, "CREATE TABLE orders (id INTEGER PRIMARY KEY); INSERT INTO orders VALUES (7)");
  CHECK(open_error(path) == path + " is not a livectl database");
  CHECK(open_error(path, {SqlStore::Mode::kRead, 0}) == path + " is not a livectl database");
  CHECK(sql_value(path,
                  "SELECT string_agg(relname, ',') FROM pg_class WHERE relnamespace = "
                  "current_schema()::regnamespace AND relkind = 'r'") == "orders");
  // An empty database is made a livectl one only when opened for writing.
  TempDir other;
  const std::string empty = other.database();
  CHECK(open_error(empty, {SqlStore::Mode::kRead, 0}) == empty + " is not a livectl database");
  CHECK(open_error(empty) == "");
  CHECK(open_error(empty, {SqlStore::Mode::kRead, 0}) == "");
}

TEST_CASE("a PostgreSQL server that is not there is named, without the password" *
          doctest::test_suite("postgres")) {
  server();
  const std::string uri = "postgresql://someone:s3cret@127.0.0.1:1/livectl?connect_timeout=2";
  const std::string error = open_error(uri);
  CHECK(error.rfind(
            "cannot connect to postgresql://someone@127.0.0.1:1/livectl?connect_timeout=2: ", 0) ==
        0);
  CHECK(error.find("s3cret") == std::string::npos);
  const std::string in_query = "postgresql://127.0.0.1:1/livectl?password=s3cret&connect_timeout=2";
  const std::string second = open_error(in_query);
  CHECK(second.rfind("cannot connect to postgresql://127.0.0.1:1/livectl?connect_timeout=2: ", 0) ==
        0);
  CHECK(second.find("s3cret") == std::string::npos);
}

// replay, export and a restore read whole logs this way (stream_rows).
TEST_CASE(
    "a streamed read gives every row in order, and one left part of the way or failing on "
    "the way leaves the connection ready for the next query" *
    doctest::test_suite("postgres")) {
  server();
  TempDir dir;
  const std::string path = dir.database();
  auto store = open_store(path);
  sql(path,
      "CREATE TABLE numbers (n bigint PRIMARY KEY, padding text);"
      "INSERT INTO numbers SELECT g, repeat('x', 1000) FROM generate_series(1, 5000) g");
  store::Database* db = &store->database();
  auto count = [db] {
    store::Statement query(db, "SELECT count(*) FROM numbers");
    REQUIRE(query.next());
    return query.column_int(0);
  };

  // Twice: the second run is the statement prepared on the server.
  store::Statement from(db, "SELECT n, padding FROM numbers WHERE n >= ?1 ORDER BY n");
  from.stream_rows();
  for (const int64_t first : {int64_t{1}, int64_t{4001}}) {
    from.bind(1, first);
    int64_t expected = first;
    while (from.next()) {
      REQUIRE(from.column_int(0) == expected);
      REQUIRE(from.column_text(1).size() == 1000);
      ++expected;
    }
    CHECK(expected == 5001);
    CHECK_FALSE(from.next());  // past the end it stays at the end
    from.reset();
  }

  // Left after three rows, by a reset and by the statement's end.
  store::Statement again(db, "SELECT n FROM numbers ORDER BY n");
  again.stream_rows();
  for (int round = 0; round < 2; ++round) {
    for (int64_t n = 1; n <= 3; ++n) {
      REQUIRE(again.next());
      CHECK(again.column_int(0) == n);
    }
    CHECK(count() == 5000);
    again.reset();
  }
  {
    store::Statement left(db, "SELECT n FROM numbers ORDER BY n");
    left.stream_rows();
    REQUIRE(left.next());
  }
  CHECK(count() == 5000);

  // A failure on the way (a division by zero at n = 3000): the rows before
  // it, in order, then the error; the connection goes on.
  store::Statement failing(db, "SELECT n, 1 / (n - 3000) FROM numbers ORDER BY n");
  failing.stream_rows();
  int64_t seen = 0;
  try {
    while (failing.next()) {
      REQUIRE(failing.column_int(0) == seen + 1);
      ++seen;
    }
    FAIL("the division by zero was not reported");
  } catch (const store::DatabaseError& e) {
    CHECK(std::string(e.what()).find("division by zero") != std::string::npos);
  }
  CHECK(seen < 3000);
  CHECK(count() == 5000);
}

TEST_CASE(
    "a broken connection fails the batch, names the session to reload, and loses only "
    "what was never released" *
    doctest::test_suite("postgres")) {
  server();
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  SessionConfig config;
  config.participants = 6;
  config.seed = 4;
  auto store = open_store(path);
  Session session(auction, *store, config);
  REQUIRE(store->add_session(session, "test", Json::object()).ok());
  auto apply = [&](int i) {
    Event event;
    event.participant = static_cast<uint32_t>(i % 6 + 1);
    event.time_ms = i;
    event.data = i;
    return session.apply(event).error;
  };
  for (int i = 1; i <= 20; ++i) REQUIRE_FALSE(apply(i));
  REQUIRE(store->flush().ok());
  const std::string committed = session.digest();
  for (int i = 21; i <= 30; ++i) REQUIRE_FALSE(apply(i));
  // The server ends the store's connection, as a restart or a network cut would.
  sql(path,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND application_name = 'livectl'");
  const Status flushed = store->flush();
  CHECK(flushed.message().rfind("lost the connection to " + path + ": ", 0) == 0);
  CHECK(store->take_lost_sessions() == std::vector<std::string>{session.code()});
  store.reset();

  auto reopened = open_store(path);
  std::unique_ptr<Session> reloaded;
  REQUIRE(reopened->load_session(session.code(), auction, &reloaded).ok());
  CHECK(reloaded->digest() == committed);
  CHECK(reloaded->last_seq() == 20);
  CHECK(sql_value(path, "SELECT max(seq) FROM events") == "20");
}

TEST_CASE(
    "several processes write one PostgreSQL database, each session from one of them at a "
    "time" *
    doctest::test_suite("postgres")) {
  server();
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  auto first = open_store(path);
  const PlayedSession mine = play_stored(*first, auction, 3, 1, 30);
  // A second writer opens the database and writes sessions of its own...
  auto second = open_store(path);
  const PlayedSession theirs = play_stored(*second, auction, 3, 2, 30);
  // ...but not the first one's, whose lock the first connection holds.
  std::unique_ptr<Session> taken;
  CHECK(second->load_session(mine.code, auction, &taken).message() ==
        "session " + mine.code + " in " + path + " is run by another process");
  bool claimed = true;
  REQUIRE(second->claim(mine.code, &claimed).ok());
  CHECK_FALSE(claimed);
  CHECK(first->load_session(theirs.code, auction, &taken).message() ==
        "session " + theirs.code + " in " + path + " is run by another process");
  // Readers take no lock.
  auto reader = open_for_reading(path);
  std::vector<StoredSession> both;
  REQUIRE(reader->list_sessions(&both).ok());
  CHECK(both.size() == 2);
  // The lock is the connection's: when the first writer goes (as a killed
  // process's connection does), the second takes its session over, as
  // committed.
  first.reset();
  CHECK(eventually([&] { return second->claim(mine.code, &claimed).ok() && claimed; }));
  const Status loaded = second->load_session(mine.code, auction, &taken);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
  CHECK(taken->digest() == mine.digest);
  CHECK(taken->last_seq() == mine.last_seq);
}

TEST_CASE("any process tells which process runs a participant's session, or that none does" *
          doctest::test_suite("postgres")) {
  server();
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  auto first = open_store(path);
  REQUIRE(first->set_node_name("10.0.0.1:8001").ok());
  SessionConfig config;
  config.participants = 3;
  config.code = "owned1";
  config.participant_codes = {"pa", "pb", "pc"};
  Session session(auction, *first, config);
  REQUIRE(first->add_session(session, "serve", Json::object()).ok());
  REQUIRE(first->flush().ok());

  auto second = open_store(path);
  REQUIRE(second->set_node_name("10.0.0.2:8001").ok());
  std::optional<std::string> node;
  REQUIRE(second->owner_of("pb", &node).ok());
  CHECK(node == std::optional<std::string>("10.0.0.1:8001"));
  REQUIRE(second->owner_of("nobody", &node).ok());
  CHECK_FALSE(node);
  // Its process gone, the participant is known and nobody runs the session...
  first.reset();
  CHECK(eventually([&] {
    return second->owner_of("pb", &node).ok() && node == std::optional<std::string>("");
  }));
  // ...until a process takes it over.
  std::unique_ptr<Session> taken;
  REQUIRE(second->load_session("owned1", auction, &taken).ok());
  REQUIRE(second->owner_of("pc", &node).ok());
  CHECK(node == std::optional<std::string>("10.0.0.2:8001"));
}

}  // namespace
}  // namespace livectl::testing
