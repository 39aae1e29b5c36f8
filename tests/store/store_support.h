#pragma once
// Temporary databases, stored sessions played by bots, and raw SQLite access
// for tampering with a file behind the store's back.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bots/simulation.h"
#include "store/sqlite_store.h"
#include "support.h"

namespace livectl::testing {

// A fresh folder under the system's temp folder, removed with everything in it.
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
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<SqliteStore> open_store(const std::string& path,
                                               SqliteStore::Options options = {}) {
  std::unique_ptr<SqliteStore> store;
  const Status status = SqliteStore::open(path, options, &store);
  INFO(status.message());
  REQUIRE(status.ok());
  return store;
}

inline std::unique_ptr<SqliteStore> open_for_reading(const std::string& path) {
  SqliteStore::Options options;
  options.mode = SqliteStore::Mode::kRead;
  return open_store(path, options);
}

// The message of opening `path`, or "" when it opens.
inline std::string open_error(const std::string& path, SqliteStore::Options options = {}) {
  std::unique_ptr<SqliteStore> store;
  return SqliteStore::open(path, options, &store).message();
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

// Runs SQL on `path` with a connection of its own, outside the store.
inline void sql(const std::string& path, const std::string& statements) {
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

inline PlayedSession play_stored(SqliteStore& store, const Game& game, int participants,
                                 uint64_t seed, int64_t messages, int64_t commit_every = 100) {
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
