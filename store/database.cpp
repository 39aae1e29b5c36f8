#include "store/database.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/schema.h"

namespace livectl::store {

namespace {

// How long a statement waits for another process's SQLite lock before the
// store reports "locked". Long enough to ride out a reader's checkpoint or a
// person's quick sqlite3 UPDATE, short enough that a real conflict is
// reported before anyone wonders whether livectl hangs.
constexpr int kBusyTimeoutMs = 1000;

}  // namespace

Status Database::error(int code) const {
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

Status Database::error(const SqliteError& e) const {
  switch (e.code() & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return error(e.code());
    default:
      return Status::Error(path_ + ": " + e.what());
  }
}

Status Database::open(const std::string& path, Mode mode, std::unique_ptr<Database>* out) {
  std::unique_ptr<Database> db(new Database(path, mode));
  struct stat info {};
  const bool exists = ::stat(path.c_str(), &info) == 0;
  if (mode == Mode::kRead && !exists) return Status::Error(path + " does not exist");
  if (exists && S_ISDIR(info.st_mode)) return Status::Error(path + " is a folder, not a database");

  if (mode == Mode::kWrite) {
    db->lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (db->lock_fd_ < 0) {
      return Status::Error("cannot open " + path + ": " + std::strerror(errno));
    }
    if (::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return Status::Error(path + " is locked by another process");
      return Status::Error("cannot lock " + path + ": " + std::strerror(errno));
    }
  }

  // The read mode opens read-write too (without creating) so that it can
  // recover the write-ahead log a killed writer left behind; it sets
  // query_only and writes nothing itself.
  const int flags =
      SQLITE_OPEN_READWRITE | (mode == Mode::kWrite ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db->db_, flags, nullptr);
  if (rc != SQLITE_OK && mode == Mode::kRead) {
    sqlite3_close_v2(db->db_);
    db->db_ = nullptr;
    rc = sqlite3_open_v2(path.c_str(), &db->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                         nullptr);
  }
  if (rc != SQLITE_OK) return db->error(rc);
  sqlite3_extended_result_codes(db->db_, 1);
  sqlite3_busy_timeout(db->db_, kBusyTimeoutMs);

  try {
    db->identify_and_prepare();
  } catch (const SqliteError& e) {
    return db->error(e);
  } catch (const std::runtime_error& e) {
    return Status::Error(e.what());
  }
  *out = std::move(db);
  return Status();
}

void Database::identify_and_prepare() {
  auto pragma_int = [&](const char* pragma) {
    Statement query(db_, std::string("PRAGMA ") + pragma);
    if (!query.next()) return int64_t{0};
    return query.column_int(0);
  };
  // Reading the header is what fails with SQLITE_NOTADB for a file that is not
  // SQLite, and with SQLITE_BUSY when another process holds it exclusively.
  const int64_t application_id = pragma_int("application_id");
  const int64_t version = pragma_int("user_version");
  const bool empty = pragma_int("schema_version") == 0 && application_id == 0;

  if (empty) {
    if (mode_ == Mode::kRead) throw std::runtime_error(path_ + " is not a livectl database");
  } else if (application_id != kApplicationId || version < 1) {
    throw std::runtime_error(path_ + " is not a livectl database");
  } else if (version < kSchemaVersion) {
    throw std::runtime_error(path_ + " was written by an older livectl (schema " +
                             std::to_string(version) + "; this livectl reads schema " +
                             std::to_string(kSchemaVersion) + ")");
  } else if (version > kSchemaVersion) {
    throw std::runtime_error(path_ + " was written by a newer livectl (schema " +
                             std::to_string(version) + "; this livectl reads schema " +
                             std::to_string(kSchemaVersion) + ")");
  }

  if (mode_ == Mode::kRead) {
    exec(db_, "PRAGMA query_only = ON");
    return;
  }
  // WAL: a commit appends to the log and readers (sqlite3, pandas, export)
  // never block the writer. synchronous = FULL: every commit fsyncs the log
  // before it returns, so a commit survives a power cut, not only a crash;
  // group commit pays that fsync once per batch. docs/storage.md, "Durability".
  {
    Statement journal(db_, "PRAGMA journal_mode = WAL");
    journal.next();
    if (journal.column_text(0) != "wal") {
      throw std::runtime_error("cannot put " + path_ + " in write-ahead-log mode");
    }
  }
  exec(db_, "PRAGMA synchronous = FULL");
  // Taking the write lock now reports another writer at once, not at the
  // first event.
  exec(db_, "BEGIN IMMEDIATE");
  try {
    if (empty) {
      exec(db_, "PRAGMA application_id = " + std::to_string(kApplicationId));
      exec(db_, "PRAGMA user_version = " + std::to_string(kSchemaVersion));
      create_schema(db_);
    }
    exec(db_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

Database::~Database() {
  sqlite3_close_v2(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // after the connection; see lock_fd_
}

}  // namespace livectl::store
