#pragma once
// What the load generator learns from the database of a running `livectl
// serve` (an SQLite file or a PostgreSQL database, docs/storage.md): who the
// participants are, where they are, and how many events the server has
// committed. Opened for reading, so it never takes the server's write lock;
// a reader sees the last committed state while the server keeps writing.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/status.h"

namespace livectl::store {
class Database;
}

namespace livectl::load {

struct ServedParticipant {
  std::string session;  // the session's code
  std::string game;
  uint32_t id_in_session = 0;
  std::string code;  // the participant's code: /live/<code>
  int id_in_group = 0;
  uint32_t page = 0;  // the page index as last committed
};

class ServedDatabase {
 public:
  // Opens `path` (a file or a postgresql:// URI) for reading. Errors: those
  // of the store (docs/storage.md, "Errors"): "PATH does not exist", "PATH
  // is not a livectl database", ...
  static Status open(const std::string& path, std::unique_ptr<ServedDatabase>* out);
  ~ServedDatabase();
  ServedDatabase(const ServedDatabase&) = delete;
  ServedDatabase& operator=(const ServedDatabase&) = delete;

  // The participants of the sessions `livectl serve` created, ordered by
  // session then id_in_session; only session `session_code` unless it is
  // empty. Errors: "PATH holds no session started by 'livectl serve'",
  // "PATH holds no served session CODE", and the database's as sentences.
  Status participants(const std::string& session_code, std::vector<ServedParticipant>* out);

  // The events committed so far in `sessions` (the sum of their last_seq):
  // the difference over a run is what the server processed, counted by the
  // server itself.
  Status committed_events(const std::vector<std::string>& sessions, uint64_t* out);

 private:
  explicit ServedDatabase(std::unique_ptr<store::Database> db);

  std::unique_ptr<store::Database> db_;
};

}  // namespace livectl::load
