// store/wal_vfs.h: the writer's log writes are gathered until SQLite syncs,
// reads or sizes the log; what other connections see, and what a killed
// writer leaves, is what SQLite without it gives.
#include "store/wal_vfs.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "store/store_support.h"

namespace livectl::store {
using testing::TempDir;
namespace {

sqlite3* open_database(const std::string& path, const char* vfs) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) ==
          SQLITE_OK);
  return db;
}

void exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message =
      sql + ": " + (error ? error : "") + " (" + std::to_string(sqlite3_extended_errcode(db)) + ")";
  sqlite3_free(error);
  INFO(message);
  REQUIRE(rc == SQLITE_OK);
}

int64_t count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  const int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

std::string text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  std::string value(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  sqlite3_finalize(statement);
  return value;
}

// A writer as SqliteDatabase opens one: WAL, synchronous = FULL, the VFS.
sqlite3* open_writer(const std::string& path) {
  REQUIRE(batched_wal_vfs() != nullptr);
  sqlite3* db = open_database(path, batched_wal_vfs());
  exec(db, "PRAGMA journal_mode = WAL");
  exec(db, "PRAGMA synchronous = FULL");
  exec(db, "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)");
  return db;
}

TEST_CASE("each commit through the gathering VFS is seen at once by another connection" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("wal.db");
  sqlite3* writer = open_writer(path);
  sqlite3* reader = open_database(path, nullptr);  // the default VFS, as export's
  for (int i = 1; i <= 300; ++i) {
    exec(writer, "BEGIN IMMEDIATE");
    exec(writer, "INSERT INTO t VALUES (" + std::to_string(i) + ", hex(randomblob(300)))");
    exec(writer, "UPDATE t SET v = v || 'x' WHERE k = 1");
    exec(writer, "COMMIT");
    CHECK(count(reader, "SELECT count(*) FROM t") == i);
  }
  // A checkpoint copies the log into the database through the same file.
  exec(writer, "PRAGMA wal_checkpoint(TRUNCATE)");
  CHECK(count(reader, "SELECT length(v) FROM t WHERE k = 1") == 600 + 300);
  CHECK(text(reader, "PRAGMA integrity_check") == "ok");
  sqlite3_close(reader);
  sqlite3_close(writer);
}

TEST_CASE("a transaction larger than SQLite's cache reads back the pages it spilled" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("wal.db");
  sqlite3* writer = open_writer(path);
  exec(writer, "PRAGMA cache_size = 10");  // pages: the transaction spills into the log
  exec(writer, "BEGIN IMMEDIATE");
  exec(writer,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
       "INSERT INTO t SELECT i, hex(randomblob(200)) FROM n");
  exec(writer, "UPDATE t SET v = 'changed' WHERE k % 7 = 0");
  CHECK(count(writer, "SELECT count(*) FROM t WHERE v = 'changed'") == 714);
  exec(writer, "COMMIT");
  sqlite3* reader = open_database(path, nullptr);
  CHECK(count(reader, "SELECT count(*) FROM t") == 5000);
  CHECK(count(reader, "SELECT count(*) FROM t WHERE v = 'changed'") == 714);
  CHECK(text(reader, "PRAGMA integrity_check") == "ok");
  sqlite3_close(reader);
  sqlite3_close(writer);
}

TEST_CASE("a writer killed mid-transaction leaves every commit and nothing of the rest" *
          doctest::test_suite("sqlite")) {
  TempDir dir;
  const std::string path = dir.file("wal.db");
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No doctest here: the child only writes, then dies without a word.
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                    batched_wal_vfs());
    sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    sqlite3_exec(db, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
    sqlite3_exec(db, "PRAGMA cache_size = 10", nullptr, nullptr, nullptr);
    sqlite3_exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)", nullptr, nullptr, nullptr);
    for (int i = 1; i <= 50; ++i) {
      sqlite3_exec(db, ("INSERT INTO t VALUES (" + std::to_string(i) + ", 'committed')").c_str(),
                   nullptr, nullptr, nullptr);
    }
    // A large transaction, spilled and gathered in part, never committed.
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_exec(db,
                 "WITH RECURSIVE n(i) AS (SELECT 51 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                 "INSERT INTO t SELECT i, hex(randomblob(200)) FROM n",
                 nullptr, nullptr, nullptr);
    kill(getpid(), SIGKILL);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  sqlite3* reader = open_database(path, nullptr);
  CHECK(count(reader, "SELECT count(*) FROM t") == 50);
  CHECK(count(reader, "SELECT count(*) FROM t WHERE v = 'committed'") == 50);
  CHECK(text(reader, "PRAGMA integrity_check") == "ok");
  sqlite3_close(reader);
}

}  // namespace
}  // namespace livectl::store
