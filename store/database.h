#pragma once
// One open livectl database file: the SQLite connection, the check that the
// file is ours and of a schema this build reads, the process lock that keeps
// a second writer out, and the translation of SQLite failures into one
// sentence for a person. Internal to store/.
#include <sqlite3.h>

#include <memory>
#include <string>

#include "engine/status.h"
#include "store/statement.h"

namespace livectl::store {

class Database {
 public:
  enum class Mode {
    kWrite,  // creates the file if missing; one writing process at a time
    kRead,   // the file must exist; never writes; may run beside a writer
  };

  // Opens `path`. Errors (exact texts, see docs/storage.md):
  //   "PATH is not a livectl database"
  //   "PATH was written by a newer livectl (schema N; this livectl reads schema 1)"
  //   "PATH is locked by another process"
  //   "the disk holding PATH is full"
  //   "PATH does not exist" (kRead only)
  // On success `*out` owns the connection.
  static Status open(const std::string& path, Mode mode, std::unique_ptr<Database>* out);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  Mode mode() const { return mode_; }

  // One sentence for an SQLite result code met on this database.
  Status error(int code) const;
  Status error(const SqliteError& e) const;

 private:
  Database(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {}
  void identify_and_prepare();

  std::string path_;
  Mode mode_;
  sqlite3* db_ = nullptr;
  // Held (flock, exclusive) for the connection's life in kWrite mode, and
  // closed only after the connection: closing any descriptor of the file
  // would drop SQLite's own POSIX locks on it.
  int lock_fd_ = -1;
};

}  // namespace livectl::store
