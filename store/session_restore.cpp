// Reading stored sessions back: the sessions table, and whole sessions
// rebuilt through Session's restore_* API.
#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/schema.h"
#include "store/sql_store.h"
#include "store/statement.h"

namespace livectl {

using store::DatabaseError;
using store::quote_identifier;
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

// Calls visit(event seq, id_in_session, payload) for every payload the
// session's accepted events after event `after_event` delivered, in order.
template <class Visit>
void scan_deliveries(store::Database* db, std::string_view code, int64_t after_event, Visit visit) {
  Statement query(db,
                  std::string("SELECT seq, deliveries FROM events WHERE session = ?1 AND seq > ?2 "
                              "AND deliveries IS NOT NULL ORDER BY ") +
                      db->event_order());
  query.bind(1, code);
  query.bind(2, after_event);
  query.stream_rows();
  while (query.next()) {
    const int64_t seq = query.column_int(0);
    const Json deliveries = Json::parse(query.column_text(1));
    for (const Json& delivery : deliveries) {
      for (const Json& id : delivery.at(0)) visit(seq, id.get<uint32_t>(), delivery.at(1));
    }
  }
}

}  // namespace

std::vector<std::string> StoredSession::game_names() const {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = game.find(',', start);
    names.push_back(game.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

Status SqlStore::find_session(const std::string& code, std::optional<StoredSession>* out) {
  settle();
  try {
    Statement query(db_.get(), std::string(kSelectSession) + " WHERE code = ?1");
    query.bind(1, std::string_view(code));
    if (query.next()) {
      *out = stored_session_from(query);
    } else {
      out->reset();
    }
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqlStore::list_sessions(std::vector<StoredSession>* out) {
  settle();
  out->clear();
  try {
    Statement query(db_.get(), std::string(kSelectSession) + " ORDER BY " + db_->session_order());
    while (query.next()) out->push_back(stored_session_from(query));
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqlStore::load_session(const std::string& code, std::vector<const Game*> games,
                              std::unique_ptr<Session>* out, Store* records_to) {
  settle();
  if (in_batch_) return Status::Error("load_session needs a flushed store");
  // Claimed before anything is read: what is read is then what this store
  // goes on from, whatever another process did before.
  if (!records_to && db_->mode() == store::Database::Mode::kWrite) {
    if (Status status = claim_or_refuse(code); !status.ok()) return status;
  }
  std::optional<StoredSession> stored;
  if (Status status = find_session(code, &stored); !status.ok()) return status;
  if (!stored) return Status::Error(path() + " has no session " + code);
  if (stored->game != store::games_column(games)) {
    return Status::Error("session " + code + " in " + path() + " is a " + stored->game +
                         " session, not " + store::games_column(games));
  }
  store::Database* db = db_.get();
  const std::string_view session_code = code;
  std::unique_ptr<Session> session;
  try {
    // The configuration first: codes and labels; pages are put back by
    // game, round and name so that a reordered page list still finds them.
    SessionConfig config = stored->session_config();
    struct Presence {
      std::string label;
      int64_t round;
      int64_t page_index;
      std::string page;
      bool arrived;
      int64_t entered_ms;
      int64_t page_delivered;
      int64_t page_event;
      bool present;
    };
    std::vector<Presence> presence;
    {
      Statement query(db,
                      "SELECT code, label, round_number, page_index, page, entered_ms, "
                      "page_delivered, page_event, present "
                      "FROM participants WHERE session = ?1 ORDER BY id_in_session");
      query.bind(1, session_code);
      while (query.next()) {
        config.participant_codes.push_back(query.column_text(0));
        const bool arrived = !query.is_null(5);
        presence.push_back({query.column_text(1), query.column_int(2), query.column_int(3),
                            query.column_text(4), arrived, arrived ? query.column_int(5) : 0,
                            query.column_int(6), query.column_int(7), query.column_int(8) != 0});
      }
    }
    session = std::make_unique<Session>(games, records_to ? *records_to : *this, config);
    for (uint32_t i = 0; i < presence.size(); ++i) {
      // The stored page index names the game (in a session of several);
      // the round and the page's name find the page within it.
      const Presence& p = presence[i];
      const size_t app = games.size() == 1 || p.page_index < 0 ||
                                 p.page_index >= static_cast<int64_t>(session->flow_size())
                             ? 0
                             : session->flow_app(static_cast<uint32_t>(p.page_index));
      const Game& game = *games[app];
      const int page = game.find_page(p.page);
      if (page < 0) {
        throw std::invalid_argument("participant " + std::to_string(i + 1) + " is on page '" +
                                    p.page + "', which " + game.name() + " no longer has");
      }
      if (p.round < 1 || p.round > game.num_rounds()) {
        throw std::invalid_argument("participant " + std::to_string(i + 1) + " is in round " +
                                    std::to_string(p.round) + ", which " + game.name() +
                                    " no longer has");
      }
      const int64_t first_flow = [&] {
        int64_t flow = 0;
        for (size_t a = 0; a < app; ++a) {
          flow += static_cast<int64_t>(games[a]->pages().size()) * games[a]->num_rounds();
        }
        return flow;
      }();
      session->restore_participant(
          i + 1, p.label,
          static_cast<uint32_t>(first_flow +
                                (p.round - 1) * static_cast<int64_t>(game.pages().size()) + page),
          p.arrived, p.entered_ms, p.present);
    }

    const int64_t n = static_cast<int64_t>(session->participant_count());
    for (size_t app = 0; app < games.size(); ++app) {
      const Game& game = *games[app];
      const int first_round = session->first_round_of(app);
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
            session->restore_groups(first_round + static_cast<int>(round), matrices[round]);
          }
        }
      }
    }
    // The index in Session::groups() of a stored (round, id_in_subsession)
    // of the game at `app`.
    auto group_index = [&](size_t app, int64_t round, int64_t id) -> uint32_t {
      const uint32_t r = index_of_id(round, "round_number");
      const uint32_t g = index_of_id(id, "id_in_subsession");
      if (r >= static_cast<uint32_t>(games[app]->num_rounds())) {
        throw std::invalid_argument("a stored round_number of " + std::to_string(round) +
                                    " is not a round of " + games[app]->name());
      }
      auto groups =
          Subsession(*session, session->first_round_of(app) + static_cast<int>(r)).groups();
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
    for (size_t app = 0; app < games.size(); ++app) {
      const Game& game = *games[app];
      const auto first_round = static_cast<uint32_t>(session->first_round_of(app));
      restore_fields(
          store::group_table(game), game.group_fields(),
          [&](auto key) { return group_index(app, key("round_number"), key("id_in_subsession")); },
          [&](uint32_t g, uint32_t f, Json v) { session->restore_group_field(g, f, v); });
      restore_fields(
          store::player_table(game), game.player_fields(),
          [&](auto key) {
            const uint32_t r = index_of_id(key("round_number"), "round_number");
            const uint32_t p = index_of_id(key("id_in_session"), "id_in_session");
            if (r >= static_cast<uint32_t>(game.num_rounds()) || p >= n) {
              throw std::invalid_argument("a stored player of round " + std::to_string(r + 1) +
                                          ", participant " + std::to_string(p + 1) +
                                          " does not exist");
            }
            return static_cast<uint32_t>((first_round - 1 + r) * n + p);
          },
          [&](uint32_t p, uint32_t f, Json v) { session->restore_player_field(p, f, v); });
      // The game's participant fields, as the session's (shared by name).
      restore_fields(
          store::participant_table(game), game.participant_fields(),
          [&](auto key) { return index_of_id(key("id_in_session"), "id_in_session"); },
          [&](uint32_t p, uint32_t f, Json v) {
            session->restore_participant_field(p, session->shared_participant_field(app, f), v);
          });

      const auto& record_types = game.record_types();
      for (uint32_t type = 0; type < record_types.size(); ++type) {
        const RecordSpec& spec = record_types[type];
        const std::string table = store::record_table(game, spec);
        if (!store::table_exists(db, table)) continue;
        Statement query(
            db, "SELECT * FROM " + quote_identifier(table) + " WHERE session = ?1 ORDER BY id");
        query.bind(1, session_code);
        query.stream_rows();
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
              app, RecordType{type},
              group_index(app, query.column_int(round_column), query.column_int(group_column)),
              index_of_id(query.column_int(participant_column), "id_in_session"),
              std::move(values));
        }
      }
    }

    Statement timers(db,
                     "SELECT game, timer, round_number, group_id, id_in_session, page_index, "
                     "due_ms, every_ms FROM timers WHERE session = ?1");
    timers.bind(1, session_code);
    std::vector<ScheduledTimer> stored_timers;
    while (timers.next()) {
      const std::string game_name = timers.column_text(0);
      const std::string timer_name = timers.column_text(1);
      const auto app = std::find_if(games.begin(), games.end(),
                                    [&](const Game* game) { return game->name() == game_name; });
      const int index = app == games.end() ? -1 : (*app)->find_timer(timer_name);
      if (index < 0) {
        throw std::invalid_argument("a stored timer '" + timer_name + "' of " + game_name +
                                    " is not a timer of the session's games");
      }
      ScheduledTimer timer;
      timer.app = static_cast<uint32_t>(app - games.begin());
      timer.timer = static_cast<uint32_t>(index);
      timer.owner = (*app)->timers()[static_cast<size_t>(index)].on_group
                        ? group_index(timer.app, timers.column_int(2), timers.column_int(3))
                        : index_of_id(timers.column_int(4), "id_in_session");
      timer.page = static_cast<uint32_t>(timers.column_int(5));
      timer.due_ms = timers.column_int(6);
      timer.every_ms = timers.column_int(7);
      stored_timers.push_back(timer);
    }
    session->restore_timers(std::move(stored_timers));

    Statement progress(db, "SELECT now_ms, rng FROM sessions WHERE code = ?1");
    progress.bind(1, session_code);
    progress.next();
    Rng::State rng{};
    if (!store::parse_rng(progress.column_text(1), &rng)) {
      throw std::invalid_argument("its generator state '" + progress.column_text(1) +
                                  "' is not 4 hex words");
    }
    session->restore_progress(stored->last_seq, progress.column_int(0), rng);

    // Each participant's delivery count: what they had when they came to
    // their page, and what the events since then delivered to them.
    int64_t earliest = INT64_MAX;
    for (const Presence& p : presence) earliest = std::min(earliest, p.page_event);
    std::vector<uint64_t> delivered(presence.size(), 0);
    if (!presence.empty()) {
      scan_deliveries(db, session_code, earliest, [&](int64_t seq, uint32_t id, const Json&) {
        if (id >= 1 && id <= presence.size() && seq > presence[id - 1].page_event) {
          ++delivered[id - 1];
        }
      });
    }
    for (uint32_t i = 0; i < presence.size(); ++i) {
      const auto before = static_cast<uint64_t>(presence[i].page_delivered);
      session->restore_deliveries(i + 1, before + delivered[i], before);
    }
  } catch (const DatabaseError& e) {
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

Status SqlStore::page_deliveries(const Session& session, size_t limit,
                                 std::vector<std::vector<PageDelivery>>* out) {
  settle();
  out->assign(session.participant_count(), {});
  try {
    std::vector<int64_t> page_events(session.participant_count(), 0);
    Statement query(db_.get(),
                    "SELECT id_in_session, page_event FROM participants WHERE session = ?1");
    query.bind(1, std::string_view(session.code()));
    while (query.next()) {
      const uint32_t index = index_of_id(query.column_int(0), "id_in_session");
      if (index < page_events.size()) page_events[index] = query.column_int(1);
    }
    int64_t earliest = INT64_MAX;
    for (int64_t event : page_events) earliest = std::min(earliest, event);
    if (page_events.empty()) return Status();
    scan_deliveries(db_.get(), session.code(), earliest,
                    [&](int64_t seq, uint32_t id, const Json& payload) {
                      if (id < 1 || id > out->size() || seq <= page_events[id - 1]) return;
                      std::vector<PageDelivery>& received = (*out)[id - 1];
                      const uint64_t first = session.participant(id).page_delivered;
                      received.push_back({first + received.size() + 1, payload.dump()});
                    });
    for (std::vector<PageDelivery>& received : *out) {
      if (received.size() > limit) {
        received.erase(received.begin(), received.end() - static_cast<std::ptrdiff_t>(limit));
      }
    }
  } catch (const DatabaseError& e) {
    return db_->error(e);
  } catch (const std::exception& e) {
    return Status::Error("the deliveries of session " + session.code() + " in " + path() +
                         " cannot be read: " + e.what());
  }
  return Status();
}

}  // namespace livectl
