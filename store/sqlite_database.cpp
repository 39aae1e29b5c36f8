// The SQLite side of store::Database: one file, WAL mode, synchronous = FULL,
// and an flock that keeps a second writing process out.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/database.h"
#include "store/schema.h"
#include "store/wal_vfs.h"

namespace livectl::store {

namespace {

// How long a statement waits for another process's SQLite lock before the
// store reports "locked". Long enough to ride out a reader's checkpoint or a
// person's quick sqlite3 UPDATE, short enough that a real conflict is
// reported before anyone wonders whether livectl hangs.
constexpr int kBusyTimeoutMs = 1000;

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw DatabaseError(rc, sqlite3_errmsg(db));
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void bind(int index, int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, double value) override { sqlite3_bind_double(stmt_, index, value); }
  void bind(int index, std::string_view text) override {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  // A BLOB, because INTEGER affinity would turn digits this long into a
  // lossy REAL.
  void bind_big_integer(int index, std::string_view digits) override {
    sqlite3_bind_blob(stmt_, index, digits.data(), static_cast<int>(digits.size()),
                      SQLITE_TRANSIENT);
  }
  void bind_null(int index) override { sqlite3_bind_null(stmt_, index); }
  int step() override { return sqlite3_step(stmt_); }
  void rewind() override { sqlite3_reset(stmt_); }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int column_count() const override { return sqlite3_column_count(stmt_); }
  std::string column_name(int column) const override { return sqlite3_column_name(stmt_, column); }
  int column_type(int column) const override { return sqlite3_column_type(stmt_, column); }
  int64_t column_int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double column_double(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string column_text(int column) const override {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!text) return {};
    return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, Mode mode) : Database(std::move(path), mode, Kind::kSqlite) {}
  ~SqliteDatabase() override {
    sqlite3_close_v2(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // after the connection; see lock_fd_
  }

  Status connect();

  std::unique_ptr<StatementImpl> prepare(std::string_view sql) override {
    return std::make_unique<SqliteStatement>(db_, sql);
  }
  void exec(const std::string& sql) override {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string what = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      throw DatabaseError(rc, what);
    }
  }
  bool in_transaction() override { return !sqlite3_get_autocommit(db_); }
  [[noreturn]] void raise(int code) override {
    throw DatabaseError(code, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code));
  }

  const char* begin_write() const override { return "BEGIN IMMEDIATE"; }
  const char* begin_read() const override { return "BEGIN"; }
  // The log has no key: rows are appended in commit order (rowid).
  const char* event_order() const override { return "rowid"; }
  const char* session_order() const override { return "rowid"; }
  // A number field has no declared type: SQLite then keeps each value's
  // storage class, so 10 stays INTEGER and 10.0 stays REAL (a REAL or
  // NUMERIC column would turn one into the other and change the state
  // digest after a restart).
  std::string column_type(std::string_view type) const override {
    if (type == "int64" || type == "integer") return "INTEGER";
    if (type == "real") return "REAL";
    if (type == "boolean") return "BOOLEAN /* 0 or 1 */";
    if (type == "number") return "/* number: INTEGER or REAL, as given */";
    return "TEXT";
  }
  const char* keyed_table_options() const override { return " WITHOUT ROWID"; }
  const char* event_key() const override { return ""; }
  const char* columns_query() const override { return "SELECT name FROM pragma_table_info(?1)"; }
  const char* table_query() const override {
    return "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1";
  }
  std::string round_to_cents(const std::string& expression) const override {
    return "ROUND(" + expression + ", 2)";
  }
  bool claim(const std::string&) override { return true; }
  void write_identity() override {
    exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  }

  Status error(int code) const override {
    switch (code & 0xff) {
      case SQLITE_NOTADB:
        return Status::Error(path_ + " is not a livectl database");
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::Error(path_ + " is locked by another process");
      case SQLITE_FULL:
        return Status::Error("the disk holding " + path_ + " is full");
      case SQLITE_CORRUPT:
        return Status::Error(path_ + " is damaged (SQLite reports it malformed)");
      case SQLITE_READONLY:
        return Status::Error(path_ + " cannot be written (it is read-only)");
      case SQLITE_CANTOPEN:
        return Status::Error("cannot open " + path_);
      default:
        break;
    }
    const char* detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    return Status::Error(path_ + ": " + detail);
  }

 private:
  void identify_and_prepare() override;

  sqlite3* db_ = nullptr;
  // Held (flock, exclusive) for the connection's life in kWrite mode, and
  // closed only after the connection: closing any descriptor of the file
  // would drop SQLite's own POSIX locks on it.
  int lock_fd_ = -1;
};

Status SqliteDatabase::connect() {
  struct stat info {};
  const bool exists = ::stat(path_.c_str(), &info) == 0;
  if (mode_ == Mode::kRead && !exists) return Status::Error(path_ + " does not exist");
  if (exists && S_ISDIR(info.st_mode)) return Status::Error(path_ + " is a folder, not a database");

  if (mode_ == Mode::kWrite) {
    lock_fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) return Status::Error("cannot open " + path_ + ": " + std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return Status::Error(path_ + " is locked by another process");
      return Status::Error("cannot lock " + path_ + ": " + std::strerror(errno));
    }
  }

  // The read mode opens read-write too (without creating) so that it can
  // recover the write-ahead log a killed writer left behind; it sets
  // query_only and writes nothing itself.
  const int flags = SQLITE_OPEN_READWRITE | (mode_ == Mode::kWrite ? SQLITE_OPEN_CREATE : 0) |
                    SQLITE_OPEN_NOMUTEX;
  // The writer gathers each commit's log writes into one (store/wal_vfs.h).
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags,
                           mode_ == Mode::kWrite ? batched_wal_vfs() : nullptr);
  if (rc != SQLITE_OK && mode_ == Mode::kRead) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  }
  if (rc != SQLITE_OK) return error(rc);
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  return identify();
}

void SqliteDatabase::identify_and_prepare() {
  auto pragma_int = [&](const char* pragma) {
    Statement query(this, std::string("PRAGMA ") + pragma);
    if (!query.next()) return int64_t{0};
    return query.column_int(0);
  };
  // Reading the header is what fails with SQLITE_NOTADB for a file that is not
  // SQLite, and with SQLITE_BUSY when another process holds it exclusively.
  const int64_t application_id = pragma_int("application_id");
  const int64_t version = pragma_int("user_version");
  const bool empty = pragma_int("schema_version") == 0 && application_id == 0;
  check_identity(empty, application_id == kApplicationId, version);

  if (mode_ == Mode::kRead) {
    exec("PRAGMA query_only = ON");
    return;
  }
  // WAL: a commit appends to the log and readers (sqlite3, pandas, export)
  // never block the writer. synchronous = FULL: every commit fsyncs the log
  // before it returns, so a commit survives a power cut, not only a crash;
  // group commit pays that fsync once per batch. docs/storage.md, "Durability".
  {
    Statement journal(this, "PRAGMA journal_mode = WAL");
    journal.next();
    if (journal.column_text(0) != "wal") {
      throw std::runtime_error("cannot put " + path_ + " in write-ahead-log mode");
    }
  }
  exec("PRAGMA synchronous = FULL");
  // Taking the write lock now reports another writer at once, not at the
  // first event.
  exec("BEGIN IMMEDIATE");
  try {
    if (empty) {
      write_identity();
      exec(fixed_schema(*this));
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace

Status open_sqlite(const std::string& path, Database::Mode mode, std::unique_ptr<Database>* out) {
  // SQLite's global memory statistics take a mutex on every allocation; the
  // store never reads them. Process-wide and only possible before SQLite
  // initializes, so the first open decides (a later call is a no-op).
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  auto db = std::make_unique<SqliteDatabase>(path, mode);
  if (Status status = db->connect(); !status.ok()) return status;
  *out = std::move(db);
  return Status();
}

}  // namespace livectl::store
