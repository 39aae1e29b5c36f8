// Reading stored sessions back: the sessions table, and whole sessions
// rebuilt through Session's restore_* API.
#include <cstdint>
#include <map>
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
    "SELECT code, game, participants, seed, origin, config, created, last_seq, config_name, "
    "params, real_world_currency_per_point, participation_fee FROM sessions";

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
  s.config_name = row.column_text(8);
  s.params = Json::parse(row.column_text(9), nullptr, /*allow_exceptions=*/false);
  if (!s.params.is_object()) s.params = Json::object();
  s.real_world_currency_per_point = row.column_double(10);
  s.participation_fee = row.column_double(11);
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
    // The configuration first: codes and labels; pages are put back by
    // round and name so that a reordered page list still finds them.
    SessionConfig config = stored->session_config();
    struct Presence {
      std::string label;
      int64_t round;
      std::string page;
      bool arrived;
      int64_t entered_ms;
    };
    std::vector<Presence> presence;
    {
      Statement query(db,
                      "SELECT code, label, round_number, page, entered_ms FROM participants "
                      "WHERE session = ?1 ORDER BY id_in_session");
      query.bind(1, session_code);
      while (query.next()) {
        config.participant_codes.push_back(query.column_text(0));
        const bool arrived = !query.is_null(4);
        presence.push_back({query.column_text(1), query.column_int(2), query.column_text(3),
                            arrived, arrived ? query.column_int(4) : 0});
      }
    }
    session = std::make_unique<Session>(game, records_to ? *records_to : *this, config);
    const auto pages_per_round = static_cast<int64_t>(game.pages().size());
    for (uint32_t i = 0; i < presence.size(); ++i) {
      const int page = game.find_page(presence[i].page);
      if (page < 0) {
        throw std::invalid_argument("participant " + std::to_string(i + 1) + " is on page '" +
                                    presence[i].page + "', which " + game.name() +
                                    " no longer has");
      }
      if (presence[i].round < 1 || presence[i].round > game.num_rounds()) {
        throw std::invalid_argument("participant " + std::to_string(i + 1) + " is in round " +
                                    std::to_string(presence[i].round) + ", which " + game.name() +
                                    " no longer has");
      }
      session->restore_participant(
          i + 1, presence[i].label,
          static_cast<uint32_t>((presence[i].round - 1) * pages_per_round + page),
          presence[i].arrived, presence[i].entered_ms);
    }

    // Each round's groups as stored, before any field or record.
    const std::string players = store::player_table(game);
    if (store::table_exists(db, players)) {
      std::vector<std::vector<std::vector<int>>> matrices(game.num_rounds());
      Statement query(db,
                      "SELECT round_number, id_in_session, id_in_subsession, id_in_group FROM " +
                          quote_identifier(players) + " WHERE session = ?1");
      query.bind(1, session_code);
      while (query.next()) {
        // No group yet: the game groups by arrival time and this player's
        // has not formed.
        if (query.is_null(2) && query.is_null(3)) continue;
        const uint32_t round = index_of_id(query.column_int(0), "round_number");
        const uint32_t group = index_of_id(query.column_int(2), "id_in_subsession");
        const uint32_t position = index_of_id(query.column_int(3), "id_in_group");
        if (round >= matrices.size() || group >= session->participant_count() ||
            position >= session->participant_count()) {
          throw std::invalid_argument("a stored player is in round " + std::to_string(round + 1) +
                                      ", group " + std::to_string(group + 1) + ", position " +
                                      std::to_string(position + 1) + ", which cannot be");
        }
        auto& matrix = matrices[round];
        if (matrix.size() <= group) matrix.resize(group + 1);
        if (matrix[group].size() <= position) matrix[group].resize(position + 1, 0);
        matrix[group][position] = static_cast<int>(query.column_int(1));
      }
      for (size_t round = 0; round < matrices.size(); ++round) {
        if (!matrices[round].empty()) {
          session->restore_groups(static_cast<int>(round + 1), matrices[round]);
        }
      }
    }
    // The index in Session::groups() of a stored (round, id_in_subsession).
    auto group_index = [&](int64_t round, int64_t id) -> uint32_t {
      const uint32_t r = index_of_id(round, "round_number");
      const uint32_t g = index_of_id(id, "id_in_subsession");
      if (r >= static_cast<uint32_t>(game.num_rounds())) {
        throw std::invalid_argument("a stored round_number of " + std::to_string(round) +
                                    " is not a round of " + game.name());
      }
      auto groups = Subsession(*session, static_cast<int>(r + 1)).groups();
      if (g >= groups.size()) {
        throw std::invalid_argument("round " + std::to_string(round) + " has no group " +
                                    std::to_string(id));
      }
      return static_cast<uint32_t>(groups[g] - session->groups().data());
    };

    // Group, player and participant fields, matched by column name; a field
    // the table lacks keeps its initial value. owner(row) finds the row's
    // owner from its key columns.
    auto restore_fields = [&](const std::string& table, const std::vector<FieldSpec>& fields,
                              auto owner, auto restore) {
      if (!store::table_exists(db, table)) return;
      Statement query(db, "SELECT * FROM " + quote_identifier(table) + " WHERE session = ?1");
      query.bind(1, session_code);
      std::vector<int> field_of_column;
      std::map<std::string, int> key_columns;
      for (int c = 0; c < query.column_count(); ++c) {
        const std::string name = query.column_name(c);
        key_columns[name] = c;
        int field = -1;
        for (size_t f = 0; f < fields.size(); ++f) {
          if (fields[f].name == name) field = static_cast<int>(f);
        }
        field_of_column.push_back(field);
      }
      auto key = [&](const char* name) {
        auto it = key_columns.find(name);
        if (it == key_columns.end()) throw std::invalid_argument(table + " has no column " + name);
        return query.column_int(it->second);
      };
      while (query.next()) {
        const uint32_t index = owner(key);
        for (int c = 0; c < query.column_count(); ++c) {
          const int f = field_of_column[c];
          if (f < 0) continue;
          restore(index, static_cast<uint32_t>(f), store::read_value(query, c, fields[f].type));
        }
      }
    };
    const int64_t n = static_cast<int64_t>(session->participant_count());
    restore_fields(
        store::group_table(game), game.group_fields(),
        [&](auto key) { return group_index(key("round_number"), key("id_in_subsession")); },
        [&](uint32_t g, uint32_t f, Json v) { session->restore_group_field(g, f, v); });
    restore_fields(
        players, game.player_fields(),
        [&](auto key) {
          const uint32_t r = index_of_id(key("round_number"), "round_number");
          const uint32_t p = index_of_id(key("id_in_session"), "id_in_session");
          if (r >= static_cast<uint32_t>(game.num_rounds()) || p >= n) {
            throw std::invalid_argument("a stored player of round " + std::to_string(r + 1) +
                                        ", participant " + std::to_string(p + 1) +
                                        " does not exist");
          }
          return static_cast<uint32_t>(r * n + p);
        },
        [&](uint32_t p, uint32_t f, Json v) { session->restore_player_field(p, f, v); });
    restore_fields(
        store::participant_table(game), game.participant_fields(),
        [&](auto key) { return index_of_id(key("id_in_session"), "id_in_session"); },
        [&](uint32_t p, uint32_t f, Json v) { session->restore_participant_field(p, f, v); });

    const auto& record_types = game.record_types();
    for (uint32_t type = 0; type < record_types.size(); ++type) {
      const RecordSpec& spec = record_types[type];
      const std::string table = store::record_table(game, spec);
      if (!store::table_exists(db, table)) continue;
      Statement query(
          db, "SELECT * FROM " + quote_identifier(table) + " WHERE session = ?1 ORDER BY id");
      query.bind(1, session_code);
      int round_column = -1;
      int group_column = -1;
      int participant_column = -1;
      std::vector<int> column_of(spec.columns.size(), -1);
      for (int c = 0; c < query.column_count(); ++c) {
        const std::string name = query.column_name(c);
        if (name == "round_number") round_column = c;
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
        if (round_column < 0 || group_column < 0 || participant_column < 0) {
          throw std::invalid_argument(table +
                                      " has no column round_number, id_in_subsession or "
                                      "id_in_session");
        }
        session->restore_record(
            RecordType{type},
            group_index(query.column_int(round_column), query.column_int(group_column)),
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
