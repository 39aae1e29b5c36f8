#pragma once
// A prepared SQLite statement that finalizes itself, with the few binds and
// reads the store needs. Internal to store/.
#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/json.h"

namespace livectl::store {

// An SQLite failure outside the hot path (opening, loading, replay, export).
// The public functions of store/ catch it and return a Status; it never
// leaves the library.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Throws SqliteError with the connection's message.
[[noreturn]] void throw_sqlite(sqlite3* db, int code);

// `name` quoted as an SQL identifier: "name", with inner quotes doubled.
std::string quote_identifier(std::string_view name);

class Statement {
 public:
  Statement() = default;
  // Prepares `sql`; throws SqliteError when it does not compile.
  Statement(sqlite3* db, std::string_view sql);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool prepared() const { return stmt_ != nullptr; }

  // Parameters count from 1, as in SQLite. Text is copied by SQLite, so the
  // argument need not outlive the call.
  void bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
  void bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }
  // A field or record cell: null, boolean (0/1), integer, real or text.
  // Unsigned integers above INT64_MAX are stored as a BLOB of their decimal
  // digits.
  void bind_value(int index, const Json& value);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  // Steps to the end, then resets; returns SQLITE_DONE or the error.
  int run();
  // Makes the statement reusable and drops its bindings.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  // Steps once and throws on anything but a row or the end. Returns true on a row.
  bool next();

  int column_count() const { return sqlite3_column_count(stmt_); }
  std::string column_name(int column) const { return sqlite3_column_name(stmt_, column); }
  int column_type(int column) const { return sqlite3_column_type(stmt_, column); }
  bool is_null(int column) const { return column_type(column) == SQLITE_NULL; }
  int64_t column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double column_double(int column) const { return sqlite3_column_double(stmt_, column); }
  std::string column_text(int column) const;
  sqlite3_stmt* handle() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs SQL without results (one or more statements); throws SqliteError.
void exec(sqlite3* db, const std::string& sql);

// Reads between construction and destruction see one snapshot of the file,
// however much a writer in another process commits meanwhile. Does nothing
// when a transaction is open already.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite3* db) : db_(sqlite3_get_autocommit(db) ? db : nullptr) {
    if (db_) exec(db_, "BEGIN");
  }
  ~ReadSnapshot() {
    if (db_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_;
};

}  // namespace livectl::store
