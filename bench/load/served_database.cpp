#include "bench/load/served_database.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

namespace livectl::load {

namespace {

// The server holds its write transaction for one event-loop turn; a reader
// that meets a checkpoint waits this long before giving up.
constexpr int kBusyTimeoutMs = 2000;

// Finalizes its statement whatever the path out.
class Query {
 public:
  Query(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) {
      statement_ = nullptr;
    }
  }
  ~Query() { sqlite3_finalize(statement_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  bool prepared() const { return statement_ != nullptr; }
  void bind(int index, const std::string& text) {
    sqlite3_bind_text(statement_, index, text.c_str(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(statement_); }
  int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string text(int column) const {
    const auto* value = sqlite3_column_text(statement_, column);
    return value ? reinterpret_cast<const char*>(value) : "";
  }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// "auction_player", quoted as an SQL identifier.
std::string player_table(const std::string& game) {
  std::string quoted = "\"";
  for (char c : game + "_player") {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

Status ServedDatabase::open(const std::string& path, std::unique_ptr<ServedDatabase>* out) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return Status::Error(path + " does not exist");
  std::unique_ptr<ServedDatabase> db(new ServedDatabase(path));
  const int rc = sqlite3_open_v2(path.c_str(), &db->db_, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Error("cannot open " + path + ": " +
                         (db->db_ ? sqlite3_errmsg(db->db_) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db->db_, kBusyTimeoutMs);
  Query probe(db->db_, "SELECT 1 FROM sessions LIMIT 1");
  if (!probe.prepared()) return Status::Error(path + " is not a livectl database");
  *out = std::move(db);
  return Status();
}

ServedDatabase::~ServedDatabase() {
  sqlite3_close(db_);
}

Status ServedDatabase::error() const {
  return Status::Error(path_ + ": " + sqlite3_errmsg(db_));
}

Status ServedDatabase::participants(const std::string& session_code,
                                    std::vector<ServedParticipant>* out) {
  out->clear();
  // One read transaction, so the pages and the groups come from one commit.
  if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return error();
  struct Commit {
    sqlite3* db;
    ~Commit() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end_read{db_};

  Query query(db_,
              "SELECT s.code, s.game, p.id_in_session, p.code, p.page_index FROM sessions s "
              "JOIN participants p ON p.session = s.code WHERE s.origin = 'serve' "
              "AND (?1 = '' OR s.code = ?1) ORDER BY s.created, s.code, p.id_in_session");
  if (!query.prepared()) return error();
  query.bind(1, session_code);
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) {
    ServedParticipant participant;
    participant.session = query.text(0);
    participant.game = query.text(1);
    participant.id_in_session = static_cast<uint32_t>(query.integer(2));
    participant.code = query.text(3);
    participant.page = static_cast<uint32_t>(query.integer(4));
    out->push_back(std::move(participant));
  }
  if (rc != SQLITE_DONE) return error();
  if (out->empty()) {
    if (!session_code.empty()) {
      return Status::Error(path_ + " holds no served session " + session_code);
    }
    return Status::Error(path_ + " holds no session started by 'livectl serve'");
  }

  // id_in_group lives in the game's player table, one per session's game.
  std::map<std::pair<std::string, uint32_t>, int> id_in_group;
  std::string last_session;
  for (const ServedParticipant& participant : *out) {
    if (participant.session == last_session) continue;
    last_session = participant.session;
    Query groups(db_, "SELECT id_in_session, id_in_group FROM " + player_table(participant.game) +
                          " WHERE session = ?1");
    if (!groups.prepared()) return error();
    groups.bind(1, participant.session);
    while ((rc = groups.step()) == SQLITE_ROW) {
      id_in_group[{participant.session, static_cast<uint32_t>(groups.integer(0))}] =
          static_cast<int>(groups.integer(1));
    }
    if (rc != SQLITE_DONE) return error();
  }
  for (ServedParticipant& participant : *out) {
    const auto found = id_in_group.find({participant.session, participant.id_in_session});
    if (found == id_in_group.end()) {
      return Status::Error(path_ + " has no player row for participant " +
                           std::to_string(participant.id_in_session) + " of session " +
                           participant.session);
    }
    participant.id_in_group = found->second;
  }
  return Status();
}

Status ServedDatabase::committed_events(const std::vector<std::string>& sessions, uint64_t* out) {
  Query query(db_, "SELECT code, last_seq FROM sessions WHERE origin = 'serve'");
  if (!query.prepared()) return error();
  uint64_t total = 0;
  int rc;
  while ((rc = query.step()) == SQLITE_ROW) {
    if (std::find(sessions.begin(), sessions.end(), query.text(0)) != sessions.end()) {
      total += static_cast<uint64_t>(query.integer(1));
    }
  }
  if (rc != SQLITE_DONE) return error();
  *out = total;
  return Status();
}

}  // namespace livectl::load
