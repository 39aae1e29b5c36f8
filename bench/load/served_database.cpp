#include "bench/load/served_database.h"

#include <algorithm>
#include <map>

#include "store/database.h"
#include "store/statement.h"

namespace livectl::load {

using store::DatabaseError;
using store::Statement;

ServedDatabase::ServedDatabase(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}

ServedDatabase::~ServedDatabase() = default;

Status ServedDatabase::open(const std::string& path, std::unique_ptr<ServedDatabase>* out) {
  std::unique_ptr<store::Database> db;
  if (Status status = store::Database::open(path, store::Database::Mode::kRead, &db);
      !status.ok()) {
    return status;
  }
  out->reset(new ServedDatabase(std::move(db)));
  return Status();
}

Status ServedDatabase::participants(const std::string& session_code,
                                    std::vector<ServedParticipant>* out) {
  out->clear();
  const std::string& path = db_->path();
  try {
    // One snapshot, so the pages and the groups come from one commit.
    store::ReadSnapshot snapshot(db_.get());
    Statement query(db_.get(),
                    "SELECT s.code, s.game, p.id_in_session, p.code, p.page_index FROM sessions s "
                    "JOIN participants p ON p.session = s.code WHERE s.origin = 'serve' "
                    "AND (?1 = '' OR s.code = ?1) ORDER BY s.created, s.code, p.id_in_session");
    query.bind(1, std::string_view(session_code));
    while (query.next()) {
      ServedParticipant participant;
      participant.session = query.column_text(0);
      participant.game = query.column_text(1);
      participant.id_in_session = static_cast<uint32_t>(query.column_int(2));
      participant.code = query.column_text(3);
      participant.page = static_cast<uint32_t>(query.column_int(4));
      out->push_back(std::move(participant));
    }
    if (out->empty()) {
      if (!session_code.empty()) {
        return Status::Error(path + " holds no served session " + session_code);
      }
      return Status::Error(path + " holds no session started by 'livectl serve'");
    }

    // id_in_group lives in the game's player table, one per session's game.
    std::map<std::pair<std::string, uint32_t>, int> id_in_group;
    std::string last_session;
    for (const ServedParticipant& participant : *out) {
      if (participant.session == last_session) continue;
      last_session = participant.session;
      Statement groups(db_.get(), "SELECT id_in_session, id_in_group FROM " +
                                      store::quote_identifier(participant.game + "_player") +
                                      " WHERE session = ?1");
      groups.bind(1, std::string_view(participant.session));
      while (groups.next()) {
        id_in_group[{participant.session, static_cast<uint32_t>(groups.column_int(0))}] =
            static_cast<int>(groups.column_int(1));
      }
    }
    for (ServedParticipant& participant : *out) {
      const auto found = id_in_group.find({participant.session, participant.id_in_session});
      if (found == id_in_group.end()) {
        return Status::Error(path + " has no player row for participant " +
                             std::to_string(participant.id_in_session) + " of session " +
                             participant.session);
      }
      participant.id_in_group = found->second;
    }
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

Status ServedDatabase::committed_events(const std::vector<std::string>& sessions, uint64_t* out) {
  try {
    Statement query(db_.get(), "SELECT code, last_seq FROM sessions WHERE origin = 'serve'");
    uint64_t total = 0;
    while (query.next()) {
      if (std::find(sessions.begin(), sessions.end(), query.column_text(0)) != sessions.end()) {
        total += static_cast<uint64_t>(query.column_int(1));
      }
    }
    *out = total;
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

}  // namespace livectl::load
