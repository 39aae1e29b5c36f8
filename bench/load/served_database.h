#pragma once
// What the load generator learns from the SQLite file of a running
// `livectl serve` (docs/storage.md): who the participants are, where they
// are, and how many events the server has committed. Opened read-only, so it
// never takes the server's write lock; in WAL mode a reader sees the last
// committed state while the server keeps writing.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/status.h"

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
  // Opens `path` read-only. Errors: "PATH does not exist", "PATH is not a
  // livectl database", "cannot open PATH: <reason>".
  static Status open(const std::string& path, std::unique_ptr<ServedDatabase>* out);
  ~ServedDatabase();
  ServedDatabase(const ServedDatabase&) = delete;
  ServedDatabase& operator=(const ServedDatabase&) = delete;

  // The participants of the sessions `livectl serve` created, ordered by
  // session then id_in_session; only session `session_code` unless it is
  // empty. Errors: "PATH holds no session started by 'livectl serve'",
  // "PATH holds no served session CODE", and SQLite's errors as sentences.
  Status participants(const std::string& session_code, std::vector<ServedParticipant>* out);

  // The events committed so far in `sessions` (the sum of their last_seq):
  // the difference over a run is what the server processed, counted by the
  // server itself.
  Status committed_events(const std::vector<std::string>& sessions, uint64_t* out);

 private:
  explicit ServedDatabase(std::string path) : path_(std::move(path)) {}
  Status error() const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

}  // namespace livectl::load
