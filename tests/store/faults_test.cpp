// Bad files, locks and full disks: one clear error each, and the file intact.
#include <doctest/doctest.h>

#include "store_support.h"

namespace livectl::testing {
namespace {

TEST_CASE("a file that is not SQLite is not a livectl database, and is left as it was" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  const std::string text = "these are my notes, not a database\n" + std::string(5000, 'x');
  write_file(path, text);
  CHECK(open_error(path) == path + " is not a livectl database");
  SqlStore::Options read;
  read.mode = SqlStore::Mode::kRead;
  CHECK(open_error(path, read) == path + " is not a livectl database");
  CHECK(read_file(path) == text);
}

TEST_CASE("another program's SQLite database is not a livectl database, and is left as it was" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  sql(path, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada');");
  const std::string before = read_file(path);
  CHECK(open_error(path) == path + " is not a livectl database");
  CHECK(read_file(path) == before);
  CHECK(sql_value(path, "PRAGMA journal_mode") == "delete");
}

TEST_CASE("an empty file becomes a livectl database, but only when opened for writing" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("empty.db");
  write_file(path, "");
  SqlStore::Options read;
  read.mode = SqlStore::Mode::kRead;
  CHECK(open_error(path, read) == path + " is not a livectl database");
  CHECK(open_error(path) == "");
  CHECK(open_error(path, read) == "");
}

void set_schema_version(const std::string& path, int version) {
  sql(path, SqlStore::is_postgres(path)
                ? "UPDATE livectl_schema SET version = " + std::to_string(version)
                : "PRAGMA user_version = " + std::to_string(version));
}

// What a refused open must leave as it was: the file's bytes, or on
// PostgreSQL the tables and the log.
std::string contents(const std::string& path) {
  if (!SqlStore::is_postgres(path)) return read_file(path);
  return sql_value(path,
                   "SELECT (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
                   "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r') || ' ' "
                   "|| (SELECT count(*) FROM events) || ' ' || "
                   "(SELECT string_agg(code || last_seq, ',') FROM sessions)");
}

TEST_CASE("a database from a newer livectl is refused with both schema numbers") {
  TempDir dir;
  const std::string path = dir.database();
  {
    auto store = open_store(path);
    play_stored(*store, game_named("auction"), 3, 1, 20);
  }
  set_schema_version(path, 6);
  const std::string before = contents(path);
  CHECK(open_error(path) ==
        path + " was written by a newer livectl (schema 6; this livectl reads schema 5)");
  SqlStore::Options read;
  read.mode = SqlStore::Mode::kRead;
  CHECK(open_error(path, read) ==
        path + " was written by a newer livectl (schema 6; this livectl reads schema 5)");
  CHECK(contents(path) == before);
}

TEST_CASE("a database from an older livectl is refused with both schema numbers") {
  TempDir dir;
  const std::string path = dir.database();
  {
    auto store = open_store(path);
    play_stored(*store, game_named("auction"), 3, 1, 20);
  }
  set_schema_version(path, 1);
  const std::string before = contents(path);
  CHECK(open_error(path) ==
        path + " was written by an older livectl (schema 1; this livectl reads schema 5)");
  CHECK(contents(path) == before);
}

TEST_CASE("a missing file is an error for reading and created for writing" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("new.db");
  SqlStore::Options read;
  read.mode = SqlStore::Mode::kRead;
  CHECK(open_error(path, read) == path + " does not exist");
  CHECK(open_error(dir.file("no/such/folder.db")) ==
        "cannot open " + dir.file("no/such/folder.db") + ": No such file or directory");
  CHECK(open_error(path) == "");
  CHECK(std::filesystem::exists(path));
}

// On PostgreSQL several writers share a database, each with its sessions
// (postgres_cases.cpp).
TEST_CASE("a second writer is told the database is locked by another process" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.database();
  auto first = open_store(path);
  CHECK(open_error(path) == path + " is locked by another process");
  // Readers (replay, export, sqlite3) may look while it writes.
  CHECK(open_error(path, {SqlStore::Mode::kRead, 0}) == "");
  first.reset();
  CHECK(open_error(path) == "");
}

TEST_CASE("a database another program holds a write lock on is locked by another process" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.database();
  open_store(path);
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(open_error(path) == path + " is locked by another process");
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  CHECK(open_error(path) == "");
  CHECK(sql_value(path, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("a full disk fails the event, rolls back the batch and names the session to reload" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.database();
  const Game& auction = game_named("auction");
  SessionConfig config;
  config.participants = 30;
  config.seed = 3;
  std::string code;
  {
    auto store = open_store(path);
    Session session(auction, *store, config);
    REQUIRE(store->add_session(session, "test", Json::object()).ok());
    REQUIRE(store->flush().ok());
    code = session.code();
  }
  auto store = reopen_nearly_full(path, 8);
  std::unique_ptr<Session> session;
  REQUIRE(store->load_session(code, auction, &session).ok());

  std::string committed_digest = session->digest();
  uint64_t committed_seq = 0;
  std::string error;
  for (int i = 1; i <= 100000 && error.empty(); ++i) {
    Event event;
    event.participant = static_cast<uint32_t>(i % 30 + 1);
    event.time_ms = i;
    event.data = i;
    const EventResult& result = session->apply(event);
    if (result.error) {
      error = *result.error;
      break;
    }
    if (i % 50 == 0) {
      const Status flushed = store->flush();
      if (!flushed.ok()) {
        error = "flush: " + flushed.message();
        break;
      }
      committed_digest = session->digest();
      committed_seq = session->last_seq();
    }
  }
  const bool failed_in_record = error.rfind("flush: ", 0) != 0;
  if (failed_in_record) {
    CHECK(error == "the event could not be recorded: the disk holding " + path + " is full");
  } else {
    CHECK(error == "flush: the disk holding " + path + " is full");
  }
  REQUIRE(committed_seq > 0);
  // Until the caller has taken the lost sessions, nothing more is recorded.
  CHECK(store->flush().message() == "the disk holding " + path + " is full");
  CHECK(store->take_lost_sessions() == std::vector<std::string>{code});
  CHECK(store->flush().ok());

  std::unique_ptr<Session> reloaded;
  REQUIRE(store->load_session(code, auction, &reloaded).ok());
  CHECK(reloaded->digest() == committed_digest);
  CHECK(reloaded->last_seq() == committed_seq);
  store.reset();
  CHECK(sql_value(path, "PRAGMA integrity_check") == "ok");
  CHECK(sql_value(path, "SELECT max(seq) FROM events") == std::to_string(committed_seq));
}

TEST_CASE("a full disk while a session is added leaves no trace of it" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.database();
  open_store(path);
  auto store = reopen_nearly_full(path, 1);
  SessionConfig config;
  config.participants = 3000;
  Session session(game_named("auction"), *store, config);
  const Status added = store->add_session(session, "test", Json::object());
  CHECK(added.message() == "the disk holding " + path + " is full");
  CHECK(store->take_lost_sessions() == std::vector<std::string>{session.code()});
  std::optional<StoredSession> found;
  REQUIRE(store->find_session(session.code(), &found).ok());
  CHECK_FALSE(found);
  CHECK(store->flush().ok());
}

TEST_CASE("an event of a session the store does not know is refused and changes nothing") {
  TempDir dir;
  auto store = open_store(dir.database());
  SessionConfig config;
  config.participants = 3;
  Session session(game_named("auction"), *store, config);
  Event event;
  event.participant = 1;
  event.data = 5;
  const EventResult& result = session.apply(event);
  REQUIRE(result.error);
  CHECK(*result.error == "the event could not be recorded: session " + session.code() +
                             " is not attached to " + dir.database());
  CHECK(session.last_seq() == 0);
  CHECK(store->flush().ok());
}

}  // namespace
}  // namespace livectl::testing
