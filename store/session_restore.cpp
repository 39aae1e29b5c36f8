// Reading stored sessions back: the sessions table, and whole sessions
// rebuilt through Session's restore_* API.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "store/database.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/statement.h"

namespace livectl {

using store::quote_identifier;
using store::SqliteError;
using store::Statement;

namespace {

constexpr const char* kSelectSession =
    "SELECT code, game, participants, seed, origin, config, created, last_seq FROM sessions";

StoredSession stored_session_from(const Statement& row) {
  StoredSession s;
  s.code = row.column_text(0);
  s.game = row.column_text(1);
  s.participants = static_cast<int>(row.column_int(2));
  s.seed = static_cast<uint64_t>(row.column_int(3));
  s.origin = row.column_text(4);
  s.config = Json::parse(row.column_text(5), nullptr, /*allow_exceptions=*/false);
  if (s.config.is_discarded()) s.config = Json::object();
  s.created = row.column_text(6);
  s.last_seq = static_cast<uint64_t>(row.column_int(7));
  return s;
}

// A stored 1-based id (id_in_subsession, id_in_session) as a 0-based index.
// Throws std::invalid_argument for a value no session has, as a damaged row
// may hold, without overflowing on any stored integer; the session's own
// range checks then refuse an index past its groups or participants.
uint32_t index_of_id(int64_t id, const char* column) {
  if (id < 1 || id > static_cast<int64_t>(UINT32_MAX)) {
    throw std::invalid_argument(std::string("a stored ") + column + " of " + std::to_string(id) +
                                " is not an id");
  }
  return static_cast<uint32_t>(id - 1);
}

}  // namespace

Status SqliteStore::find_session(const std::string& code, std::optional<StoredSession>* out) {
  try {
    Statement query(db_->handle(), std::string(kSelectSession) + " WHERE code = ?1");
    query.bind(1, std::string_view(code));
    if (query.next()) {
      *out = stored_session_from(query);
    } else {
      out->reset();
    }
  } catch (const SqliteError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqliteStore::list_sessions(std::vector<StoredSession>* out) {
  out->clear();
  try {
    Statement query(db_->handle(), std::string(kSelectSession) + " ORDER BY rowid");
    while (query.next()) out->push_back(stored_session_from(query));
  } catch (const SqliteError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqliteStore::load_session(const std::string& code, const Game& game,
                                 std::unique_ptr<Session>* out, Store* records_to) {
  if (in_batch_) return Status::Error("load_session needs a flushed store");
  std::optional<StoredSession> stored;
  if (Status status = find_session(code, &stored); !status.ok()) return status;
  if (!stored) return Status::Error(path() + " has no session " + code);
  if (stored->game != game.name()) {
    return Status::Error("session " + code + " in " + path() + " is a " + stored->game +
                         " session, not " + game.name());
  }
  sqlite3* db = db_->handle();
  const std::string_view session_code = code;
  std::unique_ptr<Session> session;
  try {
    // The configuration first: codes and labels; pages are put back by name
    // so that a reordered page list still finds them.
    SessionConfig config;
    config.participants = stored->participants;
    config.seed = stored->seed;
    config.code = code;
    config.arrivals = stored->arrivals();
    struct Presence {
      std::string label;
      std::string page;
      bool arrived;
      int64_t entered_ms;
    };
    std::vector<Presence> presence;
    {
      Statement query(db,
                      "SELECT code, label, page, entered_ms FROM participants WHERE session = ?1 "
                      "ORDER BY id_in_session");
      query.bind(1, session_code);
      while (query.next()) {
        config.participant_codes.push_back(query.column_text(0));
        const bool arrived = !query.is_null(3);
        presence.push_back({query.column_text(1), query.column_text(2), arrived,
                            arrived ? query.column_int(3) : 0});
      }
    }
    session = std::make_unique<Session>(game, records_to ? *records_to : *this, config);
    for (uint32_t i = 0; i < presence.size(); ++i) {
      const int page = game.find_page(presence[i].page);
      if (page < 0) {
        throw std::invalid_argument("participant " + std::to_string(i + 1) + " is on page '" +
                                    presence[i].page + "', which " + game.name() +
                                    " no longer has");
      }
      session->restore_participant(i + 1, presence[i].label, static_cast<uint32_t>(page),
                                   presence[i].arrived, presence[i].entered_ms);
    }

    // Group and player fields, matched by column name; a field the table
    // lacks keeps its initial value.
    auto restore_fields = [&](const std::string& table, const char* key,
                              const std::vector<FieldSpec>& fields, auto restore) {
      if (!store::table_exists(db, table)) return;
      Statement query(db, "SELECT * FROM " + quote_identifier(table) + " WHERE session = ?1");
      query.bind(1, session_code);
      std::vector<int> field_of_column;
      int key_column = -1;
      for (int c = 0; c < query.column_count(); ++c) {
        const std::string name = query.column_name(c);
        if (name == key) key_column = c;
        int field = -1;
        for (size_t f = 0; f < fields.size(); ++f) {
          if (fields[f].name == name) field = static_cast<int>(f);
        }
        field_of_column.push_back(field);
      }
      while (query.next()) {
        if (key_column < 0) throw std::invalid_argument(table + " has no column " + key);
        const uint32_t owner = index_of_id(query.column_int(key_column), key);
        for (int c = 0; c < query.column_count(); ++c) {
          const int f = field_of_column[c];
          if (f < 0) continue;
          restore(owner, static_cast<uint32_t>(f), store::read_value(query, c, fields[f].type));
        }
      }
    };
    restore_fields(store::group_table(game), "id_in_subsession", game.group_fields(),
                   [&](uint32_t g, uint32_t f, Json v) { session->restore_group_field(g, f, v); });
    restore_fields(store::player_table(game), "id_in_session", game.player_fields(),
                   [&](uint32_t p, uint32_t f, Json v) { session->restore_player_field(p, f, v); });

    const auto& record_types = game.record_types();
    for (uint32_t type = 0; type < record_types.size(); ++type) {
      const RecordSpec& spec = record_types[type];
      const std::string table = store::record_table(game, spec);
      if (!store::table_exists(db, table)) continue;
      Statement query(
          db, "SELECT * FROM " + quote_identifier(table) + " WHERE session = ?1 ORDER BY id");
      query.bind(1, session_code);
      int group_column = -1;
      int participant_column = -1;
      std::vector<int> column_of(spec.columns.size(), -1);
      for (int c = 0; c < query.column_count(); ++c) {
        const std::string name = query.column_name(c);
        if (name == "id_in_subsession") group_column = c;
        if (name == "id_in_session") participant_column = c;
        for (size_t k = 0; k < spec.columns.size(); ++k) {
          if (spec.columns[k].name == name) column_of[k] = c;
        }
      }
      while (query.next()) {
        std::vector<Json> values;
        for (size_t k = 0; k < spec.columns.size(); ++k) {
          values.push_back(column_of[k] < 0
                               ? Json()
                               : store::read_value(query, column_of[k], spec.columns[k].type));
        }
        if (group_column < 0 || participant_column < 0) {
          throw std::invalid_argument(table + " has no column id_in_subsession or id_in_session");
        }
        session->restore_record(
            RecordType{type}, index_of_id(query.column_int(group_column), "id_in_subsession"),
            index_of_id(query.column_int(participant_column), "id_in_session"), std::move(values));
      }
    }

    Statement progress(db, "SELECT now_ms, rng FROM sessions WHERE code = ?1");
    progress.bind(1, session_code);
    progress.next();
    Rng::State rng{};
    if (!store::parse_rng(progress.column_text(1), &rng)) {
      throw std::invalid_argument("its generator state '" + progress.column_text(1) +
                                  "' is not 4 hex words");
    }
    session->restore_progress(stored->last_seq, progress.column_int(0), rng);
  } catch (const SqliteError& e) {
    return db_->error(e);
  } catch (const std::exception& e) {
    return Status::Error("session " + code + " in " + path() + " cannot be restored: " + e.what());
  }
  if (!records_to && db_->mode() == store::Database::Mode::kWrite) {
    if (Status status = attach(*session); !status.ok()) return status;
  }
  *out = std::move(session);
  return Status();
}

}  // namespace livectl
