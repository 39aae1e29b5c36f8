#pragma once
// Temporary databases, stored sessions played by bots, and raw SQL access
// for tampering with a database behind the store's back.
//
// The store tests run twice: on SQLite files, and (the CTest test
// store_on_postgres) on PostgreSQL, when LIVECTL_TEST_POSTGRES_URL_FILE names
// a file holding the URI of a server they may create databases on
// (tests/support/servers.py starts a throwaway one). TempDir::database()
// is then a fresh database of that server. Cases about SQLite files only
// are in the test suite "sqlite", which that run leaves out.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bots/simulation.h"
#include "store/sql_store.h"
#include "support.h"

namespace livectl::testing {

// The PostgreSQL server the store tests run on, or "" for SQLite.
inline const std::string& postgres_server() {
  static const std::string uri = [] {
    const char* file = std::getenv("LIVECTL_TEST_POSTGRES_URL_FILE");
    if (!file || !*file) return std::string();
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    if (line.empty()) throw std::runtime_error(std::string("no server URI in ") + file);
    return line;
  }();
  return uri;
}

// Runs `sql` on the PostgreSQL database `uri`; "" or the error.
inline std::string postgres_exec(const std::string& uri, const std::string& sql,
                                 std::string* first_value = nullptr) {
  PGconn* conn = PQconnectdb(uri.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      error = PQresultErrorMessage(result);
    } else if (first_value && PQntuples(result) > 0 && PQnfields(result) > 0) {
      *first_value = PQgetvalue(result, 0, 0);
    }
    PQclear(result);
  }
  PQfinish(conn);
  return error;
}

// A fresh folder under the system's temp folder, removed with everything in
// it; and, on PostgreSQL, a fresh database, dropped with it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "livectl-store-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    if (!database_name_.empty()) {
      postgres_exec(postgres_server(),
                    "DROP DATABASE IF EXISTS \"" + database_name_ + "\" WITH (FORCE)");
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

  // Where a test's store lives: livectl.db in the folder, or on PostgreSQL
  // a database of its own (the same one on every call).
  std::string database() {
    if (postgres_server().empty()) return file("livectl.db");
    if (database_name_.empty()) {
      static int created = 0;
      database_name_ = "livectl_test_" + std::to_string(getpid()) + "_" + std::to_string(++created);
      const std::string error =
          postgres_exec(postgres_server(), "CREATE DATABASE \"" + database_name_ + "\"");
      if (!error.empty()) throw std::runtime_error("cannot create a test database: " + error);
    }
    const std::string& server = postgres_server();
    return server.substr(0, server.rfind('/') + 1) + database_name_;
  }

 private:
  std::filesystem::path path_;
  std::string database_name_;
};

inline std::unique_ptr<SqlStore> open_store(const std::string& path,
                                            SqlStore::Options options = {}) {
  std::unique_ptr<SqlStore> store;
  const Status status = SqlStore::open(path, options, &store);
  INFO(status.message());
  REQUIRE(status.ok());
  return store;
}

inline std::unique_ptr<SqlStore> open_for_reading(const std::string& path) {
  SqlStore::Options options;
  options.mode = SqlStore::Mode::kRead;
  return open_store(path, options);
}

// The message of opening `path`, or "" when it opens.
inline std::string open_error(const std::string& path, SqlStore::Options options = {}) {
  std::unique_ptr<SqlStore> store;
  return SqlStore::open(path, options, &store).message();
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Runs SQL on `path` (a file or a PostgreSQL URI) with a connection of its
// own, outside the store.
inline void sql(const std::string& path, const std::string& statements) {
  if (SqlStore::is_postgres(path)) {
    const std::string error = postgres_exec(path, statements);
    INFO(error);
    REQUIRE(error.empty());
    return;
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  INFO(message);
  REQUIRE(rc == SQLITE_OK);
}

// The first column of the first row of `query` on `path`, as text.
inline std::string sql_value(const std::string& path, const std::string& query) {
  if (SqlStore::is_postgres(path)) {
    std::string value;
    const std::string error = postgres_exec(path, query, &value);
    INFO(error);
    REQUIRE(error.empty());
    return value;
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string value;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

// An SQLite file reopened capped a few pages above its current size: the
// next writes fail with SQLITE_FULL exactly as on a full disk.
inline std::unique_ptr<SqlStore> reopen_nearly_full(const std::string& path, int spare_pages) {
  const int pages = std::stoi(sql_value(path, "PRAGMA page_count"));
  SqlStore::Options options;
  options.max_page_count = pages + spare_pages;
  return open_store(path, options);
}

// A session of `game` stored in `store` and played by bots for `messages`
// liveSends, committing every `commit_every` events.
struct PlayedSession {
  std::string code;
  std::string digest;
  uint64_t last_seq = 0;
  int64_t now_ms = 0;
  Rng::State rng{};
  std::string transcript;
};

inline PlayedSession play_stored(SqlStore& store, const Game& game, int participants, uint64_t seed,
                                 int64_t messages, int64_t commit_every = 100) {
  SessionConfig config;
  config.participants = participants;
  config.seed = seed;
  Session session(game, store, config);
  const Status added = store.add_session(session, "test", Json::object());
  INFO(added.message());
  REQUIRE(added.ok());
  std::ostringstream transcript;
  SimulationOptions options;
  options.max_messages = messages;
  options.store = &store;
  options.commit_every = commit_every;
  options.transcript = &transcript;
  const SimulationReport report = simulate(session, options);
  INFO(report.failure);
  REQUIRE(report.failure.empty());
  return {session.code(),   session.digest(),      session.last_seq(),
          session.now_ms(), session.rng().state(), transcript.str()};
}

}  // namespace livectl::testing
