#include "store/sql_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "store/batch_writer.h"
#include "store/database.h"
#include "store/event_codec.h"
#include "store/schema.h"
#include "store/statement.h"

namespace livectl {

using store::Database;
using store::DatabaseError;
using store::kSqlDone;
using store::quote_identifier;
using store::Statement;

namespace store {

// The prepared statements that write one game's tables.
struct GameStatements {
  const Game* game = nullptr;
  // The number of the batch that created this game's tables while it is
  // not committed (0 once it is): if it is rolled back, so are the tables,
  // and these statements must be rebuilt.
  uint64_t made_in_batch = 0;
  Statement insert_group, insert_player, insert_participant;
  // Unprepared when the game has no such fields.
  Statement update_group, update_player, update_participant;
  // A player's place in a group formed during the session (grouping by
  // arrival time).
  Statement place_player;
  std::vector<Statement> insert_record;  // by record type
};

}  // namespace store

// One attached session: where its rows are, and what its unflushed events
// changed. Values are copied at record() so that flush() needs no Session.
struct SqlStore::Slot {
  std::string code;
  const Session* bound = nullptr;                  // the object last seen recording; only compared
  std::vector<store::GameStatements*> statements;  // by app (Session::games())
  // Where rows go in a session of several games: each group's app, each
  // session round's app, each app's first session round (from 1), and each
  // app's participant fields as indices into the session's.
  std::vector<uint32_t> group_apps, round_apps, first_rounds;
  std::vector<std::vector<uint32_t>> participant_fields;
  // Each flow index's page name and round (Session::flow_round).
  std::vector<std::string> flow_pages;
  std::vector<int64_t> flow_rounds;
  bool dirty = false;
  uint64_t last_seq = 0;
  int64_t now_ms = 0;
  Rng::State rng{};
  uint32_t participants = 0;
  // (round_number, id_in_subsession) of each group, by index in Session::groups().
  std::vector<std::pair<int64_t, int64_t>> group_keys;
  // Latest values of the groups / players / participants / pages changed in the batch.
  std::vector<std::vector<Json>> group_values, player_values, participant_values;
  std::vector<uint32_t> pages;
  std::vector<std::optional<int64_t>> entered_ms;  // nullopt: not arrived
  std::vector<uint8_t> present;                    // Participant::present
  // Participant::page_delivered, and the event that moved them to their page.
  std::vector<uint64_t> page_delivered;
  std::vector<int64_t> page_events;
  std::vector<std::string> labels;
  std::vector<uint8_t> group_dirty, player_dirty, participant_dirty, page_dirty;
  std::vector<uint32_t> dirty_groups, dirty_players, dirty_participants, dirty_pages;
  // Timers changed in the batch, by (app, timer, owner): their row's key
  // and, unless they are no longer scheduled, their state.
  struct TimerRow {
    std::string game, timer;
    int64_t round = 0, group_id = 0, id_in_session = 0;
    std::optional<ScheduledTimer> state;
  };
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, TimerRow> dirty_timers;
};

namespace {

// Makes `db`'s writes go to `writes` while it lives (none: executed at once).
class CaptureScope {
 public:
  CaptureScope(Database& db, store::CapturedWrites* writes) : db_(db) { db_.capture(writes); }
  ~CaptureScope() { db_.capture(nullptr); }
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;

 private:
  Database& db_;
};

std::optional<int64_t> entered_of(const Participant& participant) {
  if (!participant.arrived) return std::nullopt;
  return participant.page_entered_ms;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// "UPDATE t SET "a" = ?1, "b" = ?2 WHERE session = ?3 AND k1 = ?4 AND k2 = ?5"
std::string update_sql(const std::string& table, const std::vector<FieldSpec>& fields,
                       std::initializer_list<const char*> keys) {
  std::string sql = "UPDATE " + quote_identifier(table) + " SET ";
  for (size_t i = 0; i < fields.size(); ++i) {
    sql += (i ? ", " : "") + quote_identifier(fields[i].name) + " = ?" + std::to_string(i + 1);
  }
  sql += " WHERE session = ?" + std::to_string(fields.size() + 1);
  size_t position = fields.size() + 2;
  for (const char* key : keys) {
    sql += std::string(" AND ") + key + " = ?" + std::to_string(position++);
  }
  return sql;
}

std::string insert_sql(const std::string& table, const std::vector<std::string>& columns) {
  std::string names;
  std::string values;
  for (size_t i = 0; i < columns.size(); ++i) {
    names += (i ? ", " : "") + quote_identifier(columns[i]);
    values += (i ? ", ?" : "?") + std::to_string(i + 1);
  }
  return "INSERT INTO " + quote_identifier(table) + " (" + names + ") VALUES (" + values + ")";
}

std::vector<std::string> with_fields(std::vector<std::string> keys,
                                     const std::vector<FieldSpec>& fields) {
  for (const FieldSpec& field : fields) keys.push_back(field.name);
  return keys;
}

}  // namespace

SessionConfig StoredSession::session_config() const {
  SessionConfig result;
  result.participants = participants;
  result.seed = seed;
  result.code = code;
  result.arrivals = arrivals();
  result.config_name = config_name;
  result.params = params;
  result.real_world_currency_per_point = real_world_currency_per_point;
  result.participation_fee = participation_fee;
  return result;
}

SqlStore::SqlStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

SqlStore::~SqlStore() {
  // The writer's batch commits (nothing of it was released; keeping it
  // loses nothing); the open batch is rolled back.
  if (writer_ && writer_->running()) writer_->wait(spare_.get());
  writer_.reset();
  if (in_batch_ && db_->in_transaction()) rollback_->run();
  // Statements before the connection (member order does the rest).
  games_.clear();
}

bool SqlStore::is_postgres(std::string_view target) {
  return Database::is_postgres(target);
}

const std::string& SqlStore::path() const {
  return db_->path();
}

Status SqlStore::open(const std::string& path, Options options, std::unique_ptr<SqlStore>* out) {
  std::unique_ptr<Database> db;
  const auto mode = options.mode == Mode::kWrite ? Database::Mode::kWrite : Database::Mode::kRead;
  if (Status status = Database::open(path, mode, &db); !status.ok()) return status;
  std::unique_ptr<SqlStore> store(new SqlStore(std::move(db)));
  try {
    if (options.max_page_count > 0) {
      if (store->db_->kind() != Database::Kind::kSqlite) {
        return Status::Error("max_page_count is for SQLite files");
      }
      store->db_->exec("PRAGMA max_page_count = " + std::to_string(options.max_page_count));
    }
    store->prepare_statements();
  } catch (const DatabaseError& e) {
    return store->db_->error(e);
  }
  *out = std::move(store);
  return Status();
}

void SqlStore::prepare_statements() {
  Database* db = db_.get();
  auto make = [db](const char* sql) { return std::make_unique<Statement>(db, sql); };
  begin_ = make(db->begin_write());
  commit_ = make("COMMIT");
  rollback_ = make("ROLLBACK");
  insert_event_ = make(
      "INSERT INTO events (session, seq, participant, kind, page, page_claimed, time_ms, data, "
      "error, deliveries, page_changes, group_hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  update_session_ =
      make("UPDATE sessions SET last_seq = ?1, now_ms = ?2, rng = ?3 WHERE code = ?4");
  update_page_ = make(
      "UPDATE participants SET page_index = ?1, page = ?2, entered_ms = ?5, label = ?6, "
      "round_number = ?7, page_delivered = ?8, page_event = ?9, present = ?10 "
      "WHERE session = ?3 AND id_in_session = ?4");
  upsert_timer_ = make(
      "INSERT INTO timers (session, game, timer, round_number, group_id, id_in_session, "
      "page_index, due_ms, every_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
      "ON CONFLICT (session, game, timer, round_number, group_id, id_in_session) DO UPDATE "
      "SET page_index = excluded.page_index, due_ms = excluded.due_ms, "
      "every_ms = excluded.every_ms");
  delete_timer_ = make(
      "DELETE FROM timers WHERE session = ?1 AND game = ?2 AND timer = ?3 AND round_number = ?4 "
      "AND group_id = ?5 AND id_in_session = ?6");
}

// ---- batches ----

Status SqlStore::fail(int code) {
  Status status = db_->error(code);
  if (db_->in_transaction()) rollback_->run();
  return lose_open_batch(std::move(status));
}

Status SqlStore::lose_open_batch(Status failure) {
  in_batch_ = false;
  batch_events_ = 0;
  if (captured_) captured_->clear();
  for (Slot* slot : dirty_) {
    if (std::find(lost_.begin(), lost_.end(), slot->code) == lost_.end()) {
      lost_.push_back(slot->code);
    }
    slots_.erase(slot->code);
  }
  dirty_.clear();
  last_slot_ = nullptr;
  for (auto it = games_.begin(); it != games_.end();) {
    it = it->second->made_in_batch != 0 ? games_.erase(it) : std::next(it);
  }
  failure_ = failure;
  return failure;
}

void SqlStore::start_writer(std::function<void()> done,
                            std::chrono::steady_clock::duration slow_commit) {
  settle();
  captured_ = std::make_unique<store::CapturedWrites>();
  spare_ = std::make_unique<store::CapturedWrites>();
  writer_ = std::make_unique<store::BatchWriter>(*db_, std::move(done));
  slow_commit_ = slow_commit;
  commits_here_ = slow_commit > std::chrono::steady_clock::duration::zero();
}

void SqlStore::place_commits(std::chrono::steady_clock::duration took, bool here) {
  using namespace std::chrono_literals;
  const auto now = std::chrono::steady_clock::now();
  if (took > slow_commit_) {
    // The next batches go to the writer. Slow again here after a hold:
    // the next hold is twice as long.
    if (here) hold_ = std::min<std::chrono::steady_clock::duration>(hold_ * 2, 64s);
    commits_here_ = false;
    here_again_ = now + hold_;
  } else if (!here && slow_commit_ > 0s && now >= here_again_) {
    commits_here_ = true;
  }
}

void SqlStore::join_writer() {
  if (!writer_ || !writer_->running()) return;
  Status status = writer_->wait(spare_.get());
  place_commits(writer_->took(), false);
  end_batch(status);
  outcome_ = std::move(status);
}

void SqlStore::end_batch(const Status& status) {
  if (status.ok()) {
    for (auto& [game, statements] : games_) {
      if (statements->made_in_batch == writing_batch_) statements->made_in_batch = 0;
    }
  } else {
    // Everything after it was built on it: the open batch goes too.
    // run_batch() rolled the batch back, and nothing ran on the connection
    // since.
    lose_open_batch(status);
    for (const std::string& code : writing_sessions_) {
      if (std::find(lost_.begin(), lost_.end(), code) == lost_.end()) lost_.push_back(code);
      slots_.erase(code);
    }
  }
  writing_sessions_.clear();
}

void SqlStore::settle() {
  join_writer();
  if (!captured_ || captured_->empty()) return;
  std::swap(captured_, spare_);
  const int rc = spare_->run();
  spare_->clear();
  if (rc != store::kSqlOk) fail(rc);
}

Status SqlStore::flush_async(bool* started) {
  *started = false;
  if (!writer_) return flush();
  join_writer();
  if (failure_) return *failure_;
  if (!in_batch_) return Status();
  {
    CaptureScope capture(*db_, captured_.get());
    for (Slot* slot : dirty_) write_dirty(*slot);  // captured: nothing can fail here
    commit_->run();
  }
  for (Slot* slot : dirty_) {
    slot->dirty = false;
    writing_sessions_.push_back(slot->code);
  }
  dirty_.clear();
  in_batch_ = false;
  batch_events_ = 0;
  writing_batch_ = batch_++;
  if (commits_here_) {
    const auto began = std::chrono::steady_clock::now();
    Status status = store::run_batch(*db_, *captured_);
    place_commits(std::chrono::steady_clock::now() - began, true);
    captured_->clear();
    end_batch(status);
    return status;
  }
  writer_->start(std::move(*captured_));
  std::swap(captured_, spare_);
  captured_->clear();
  *started = true;
  return Status();
}

bool SqlStore::flush_finished() {
  return !writer_ || !writer_->running() || writer_->finished();
}

Status SqlStore::finish_flush() {
  join_writer();
  Status status = outcome_.value_or(Status());
  outcome_.reset();
  return status;
}

Status SqlStore::begin_batch() {
  if (in_batch_) return Status();
  if (const int rc = begin_->run(); rc != kSqlDone) return fail(rc);
  in_batch_ = true;
  return Status();
}

std::vector<std::string> SqlStore::take_lost_sessions() {
  failure_.reset();
  std::vector<std::string> lost;
  lost.swap(lost_);
  return lost;
}

Status SqlStore::flush() {
  settle();
  outcome_.reset();  // reported here, if it failed, as failure_
  if (failure_) return *failure_;
  if (!in_batch_) return Status();
  for (Slot* slot : dirty_) {
    if (const int rc = write_dirty(*slot); rc != kSqlDone) return fail(rc);
  }
  if (const int rc = commit_->run(); rc != kSqlDone) return fail(rc);
  for (Slot* slot : dirty_) slot->dirty = false;
  dirty_.clear();
  for (auto& [game, statements] : games_) statements->made_in_batch = 0;
  ++batch_;
  in_batch_ = false;
  batch_events_ = 0;
  return Status();
}

int SqlStore::write_dirty(Slot& slot) {
  const std::string_view code = slot.code;
  int rc = kSqlDone;

  update_session_->bind(1, static_cast<int64_t>(slot.last_seq));
  update_session_->bind(2, slot.now_ms);
  update_session_->bind(3, std::string_view(store::rng_text(slot.rng)));
  update_session_->bind(4, code);
  if ((rc = update_session_->run()) != kSqlDone) return rc;

  // statement(index) is the update of the row's game; keys(index) binds the
  // row's key columns from position `next`.
  auto write_rows = [&](auto statement, std::vector<uint32_t>& dirty, std::vector<uint8_t>& flags,
                        const std::vector<std::vector<Json>>& values, auto keys) {
    for (uint32_t index : dirty) {
      Statement& update = statement(index);
      const std::vector<Json>& row = values[index];
      for (size_t i = 0; i < row.size(); ++i) update.bind_value(static_cast<int>(i + 1), row[i]);
      update.bind(static_cast<int>(row.size() + 1), code);
      keys(update, static_cast<int>(row.size() + 2), index);
      if ((rc = update.run()) != kSqlDone) return rc;
      flags[index] = 0;
    }
    dirty.clear();
    return rc;
  };
  const int64_t n = slot.participants;
  if ((rc = write_rows(
           [&](uint32_t index) -> Statement& {
             return slot.statements[slot.group_apps[index]]->update_group;
           },
           slot.dirty_groups, slot.group_dirty, slot.group_values,
           [&](Statement& update, int next, uint32_t index) {
             update.bind(next, slot.group_keys[index].first);
             update.bind(next + 1, slot.group_keys[index].second);
           })) != kSqlDone) {
    return rc;
  }
  if ((rc = write_rows(
           [&](uint32_t index) -> Statement& {
             return slot.statements[slot.round_apps[index / n]]->update_player;
           },
           slot.dirty_players, slot.player_dirty, slot.player_values,
           [&](Statement& update, int next, uint32_t index) {
             const int64_t round = static_cast<int64_t>(index) / n + 1;
             update.bind(next, round - slot.first_rounds[slot.round_apps[index / n]] + 1);
             update.bind(next + 1, static_cast<int64_t>(index) % n + 1);
           })) != kSqlDone) {
    return rc;
  }
  // A participant's row in each game that declares participant fields, with
  // that game's own.
  for (uint32_t index : slot.dirty_participants) {
    const std::vector<Json>& values = slot.participant_values[index];
    for (size_t app = 0; app < slot.statements.size(); ++app) {
      const std::vector<uint32_t>& fields = slot.participant_fields[app];
      if (fields.empty()) continue;
      Statement& update = slot.statements[app]->update_participant;
      for (size_t i = 0; i < fields.size(); ++i) {
        update.bind_value(static_cast<int>(i + 1), values[fields[i]]);
      }
      update.bind(static_cast<int>(fields.size() + 1), code);
      update.bind(static_cast<int>(fields.size() + 2), static_cast<int64_t>(index) + 1);
      if ((rc = update.run()) != kSqlDone) return rc;
    }
    slot.participant_dirty[index] = 0;
  }
  slot.dirty_participants.clear();
  for (uint32_t index : slot.dirty_pages) {
    update_page_->bind(1, static_cast<int64_t>(slot.pages[index]));
    update_page_->bind(2, std::string_view(slot.flow_pages[slot.pages[index]]));
    update_page_->bind(7, slot.flow_rounds[slot.pages[index]]);
    update_page_->bind(3, code);
    update_page_->bind(4, static_cast<int64_t>(index) + 1);
    if (slot.entered_ms[index]) {
      update_page_->bind(5, *slot.entered_ms[index]);
    } else {
      update_page_->bind_null(5);
    }
    update_page_->bind(6, std::string_view(slot.labels[index]));
    update_page_->bind(8, static_cast<int64_t>(slot.page_delivered[index]));
    update_page_->bind(9, slot.page_events[index]);
    update_page_->bind(10, static_cast<int64_t>(slot.present[index]));
    if ((rc = update_page_->run()) != kSqlDone) return rc;
    slot.page_dirty[index] = 0;
  }
  slot.dirty_pages.clear();
  for (const auto& [key, row] : slot.dirty_timers) {
    Statement& write = row.state ? *upsert_timer_ : *delete_timer_;
    write.bind(1, code);
    write.bind(2, std::string_view(row.game));
    write.bind(3, std::string_view(row.timer));
    write.bind(4, row.round);
    write.bind(5, row.group_id);
    write.bind(6, row.id_in_session);
    if (row.state) {
      write.bind(7, static_cast<int64_t>(row.state->page));
      write.bind(8, row.state->due_ms);
      write.bind(9, row.state->every_ms);
    }
    if ((rc = write.run()) != kSqlDone) return rc;
  }
  slot.dirty_timers.clear();
  return kSqlDone;
}

// ---- recording ----

SqlStore::Slot* SqlStore::slot_for(const Session& session) {
  if (last_slot_ && last_slot_->bound == &session && last_slot_->code == session.code()) {
    return last_slot_;
  }
  auto it = slots_.find(session.code());
  if (it == slots_.end()) return nullptr;
  it->second->bound = &session;
  last_slot_ = it->second.get();
  return last_slot_;
}

void SqlStore::note_timer(Slot& slot, const Session& session, uint32_t app, uint32_t timer,
                          uint32_t owner) {
  Slot::TimerRow& row = slot.dirty_timers[{app, timer, owner}];
  const Game& game = *session.games()[app];
  const TimerSpec& spec = game.timers()[timer];
  row.game = game.name();
  row.timer = spec.name;
  row.state.reset();
  if (const ScheduledTimer* scheduled = session.find_timer(app, timer, owner)) {
    row.state = *scheduled;
  }
  if (spec.on_group) {
    row.round = slot.group_keys[owner].first;
    row.group_id = slot.group_keys[owner].second;
    row.id_in_session = 0;
  } else {
    row.round = 0;
    row.group_id = 0;
    row.id_in_session = static_cast<int64_t>(owner) + 1;
  }
}

Status SqlStore::record(const Session& session, const Event& event, const EventResult& result,
                        std::span<const Change> changes) {
  if (failure_) return *failure_;
  CaptureScope capture(*db_, captured_.get());
  Slot* slot = slot_for(session);
  if (!slot) {
    return Status::Error("session " + session.code() + " is not attached to " + path() +
                         (db_->mode() == Database::Mode::kRead ? " (opened for reading)" : ""));
  }
  const bool known_sender =
      event.participant >= 1 && event.participant <= session.participant_count();

  // Everything that can throw happens before the first write.
  std::string data;
  std::string page_changes;
  try {
    // A liveSend's payload (even null); another kind's data when it has some.
    if (event.kind == EventKind::kLive || !event.data.is_null()) data = event.data.dump();
    if (!result.error) {
      store::deliveries_json(result, &scratch_);
      page_changes = store::page_changes_json(result);
    }
  } catch (const std::exception& e) {
    return Status::Error(std::string("the event cannot be stored: ") + e.what());
  }

  if (Status status = begin_batch(); !status.ok()) return status;

  Statement& insert = *insert_event_;
  insert.bind(1, std::string_view(slot->code));
  insert.bind(2, static_cast<int64_t>(result.seq));
  insert.bind(3, static_cast<int64_t>(event.participant));
  insert.bind(4, std::string_view(event_kind_name(event.kind)));
  if (known_sender) {
    // The page it arrived on: where the sender is now, less the moves this event made.
    const Player& sender = session.player(event.participant);
    uint32_t page = sender.participant().page;
    for (const Change& change : changes) {
      if (change.scope == Change::Scope::kPage && change.owner == event.participant - 1) --page;
    }
    insert.bind(5, std::string_view(session.page_spec(page).name));
    // NULL while the sender waits for a group (grouping by arrival time).
    if (sender.has_group()) {
      insert.bind(12, static_cast<int64_t>(session.group_hash(sender.group())));
    }
  }
  if (event.page >= 0) insert.bind(6, static_cast<int64_t>(event.page));
  insert.bind(7, event.time_ms);
  if (!data.empty()) insert.bind(8, std::string_view(data));
  if (result.error) {
    insert.bind(9, std::string_view(*result.error));
  } else {
    insert.bind(10, std::string_view(scratch_));
    if (!page_changes.empty()) insert.bind(11, std::string_view(page_changes));
  }
  int rc = insert.run();
  insert.reset();
  if (rc != kSqlDone) return fail(rc);

  uint32_t copied_group = UINT32_MAX;
  uint32_t copied_player = UINT32_MAX;
  for (const Change& change : changes) {
    switch (change.scope) {
      case Change::Scope::kGroupFormed: {
        // Its row now, with the fields it has after the event; its members'
        // rows say where they are.
        const Group& group = session.groups()[change.owner];
        store::GameStatements& statements = *slot->statements[group.app()];
        Statement& add = statements.insert_group;
        add.bind(1, std::string_view(slot->code));
        add.bind(2, static_cast<int64_t>(group.round_number()));
        add.bind(3, static_cast<int64_t>(group.id_in_subsession()));
        for (size_t i = 0; i < group.fields().size(); ++i) {
          add.bind_value(static_cast<int>(i + 4), group.fields()[i]);
        }
        if ((rc = add.run()) != kSqlDone) return fail(rc);
        for (const Player* member : group.players()) {
          Statement& place = statements.place_player;
          place.bind(1, static_cast<int64_t>(member->id_in_group()));
          place.bind(2, static_cast<int64_t>(group.id_in_subsession()));
          place.bind(3, std::string_view(slot->code));
          place.bind(4, static_cast<int64_t>(group.round_number()));
          place.bind(5, static_cast<int64_t>(member->id_in_session()));
          if ((rc = place.run()) != kSqlDone) return fail(rc);
        }
        if (slot->group_values.size() != change.owner) {
          return Status::Error("group " + std::to_string(change.owner) +
                               " formed out of order in the store's copy");
        }
        slot->group_values.push_back(group.fields());
        slot->group_keys.emplace_back(group.round_number(), group.id_in_subsession());
        slot->group_apps.push_back(static_cast<uint32_t>(group.app()));
        slot->group_dirty.push_back(0);
        break;
      }
      case Change::Scope::kRecord: {
        const Record& row = session.table(change.field)[change.row];
        Statement& add = slot->statements[session.table_app(change.field)]
                             ->insert_record[session.table_type(change.field).index];
        add.bind(1, std::string_view(slot->code));
        add.bind(2, static_cast<int64_t>(change.row) + 1);
        add.bind(3, static_cast<int64_t>(result.seq));
        add.bind(4, slot->group_keys[row.group].first);
        add.bind(5, slot->group_keys[row.group].second);
        add.bind(6, static_cast<int64_t>(row.participant) + 1);
        for (size_t i = 0; i < row.values.size(); ++i) {
          add.bind_value(static_cast<int>(i + 7), row.values[i]);
        }
        rc = add.run();
        if (rc != kSqlDone) return fail(rc);
        break;
      }
      case Change::Scope::kGroupField:
        if (change.owner == copied_group) break;
        copied_group = change.owner;
        slot->group_values[change.owner] = session.groups()[change.owner].fields();
        if (!slot->group_dirty[change.owner]) {
          slot->group_dirty[change.owner] = 1;
          slot->dirty_groups.push_back(change.owner);
        }
        break;
      case Change::Scope::kPlayerField:
        if (change.owner == copied_player) break;
        copied_player = change.owner;
        slot->player_values[change.owner] = session.players()[change.owner].fields();
        if (!slot->player_dirty[change.owner]) {
          slot->player_dirty[change.owner] = 1;
          slot->dirty_players.push_back(change.owner);
        }
        break;
      case Change::Scope::kParticipantField:
        slot->participant_values[change.owner] = session.participant(change.owner + 1).fields;
        if (!slot->participant_dirty[change.owner]) {
          slot->participant_dirty[change.owner] = 1;
          slot->dirty_participants.push_back(change.owner);
        }
        break;
      case Change::Scope::kTimer:
        note_timer(*slot, session, change.row, change.field, change.owner);
        break;
      case Change::Scope::kPage:
      case Change::Scope::kArrival:
      case Change::Scope::kPresence: {
        const Participant& participant = session.participant(change.owner + 1);
        slot->present[change.owner] = participant.present ? 1 : 0;
        slot->pages[change.owner] = participant.page;
        slot->entered_ms[change.owner] = entered_of(participant);
        slot->labels[change.owner] = participant.label;
        if (change.scope == Change::Scope::kPage) {
          slot->page_delivered[change.owner] = participant.page_delivered;
          slot->page_events[change.owner] = static_cast<int64_t>(result.seq);
        }
        if (!slot->page_dirty[change.owner]) {
          slot->page_dirty[change.owner] = 1;
          slot->dirty_pages.push_back(change.owner);
        }
        break;
      }
    }
  }

  slot->last_seq = result.seq;
  slot->now_ms = session.now_ms();
  slot->rng = session.rng().state();
  if (!slot->dirty) {
    slot->dirty = true;
    dirty_.push_back(slot);
  }
  ++batch_events_;
  return Status();
}

// ---- sessions ----

store::GameStatements& SqlStore::statements_for(const Game& game) {
  if (auto it = games_.find(&game); it != games_.end()) return *it->second;
  Database* db = db_.get();
  // The tables may be created or extended: inside the open batch, or in a
  // transaction of their own.
  if (in_batch_) {
    store::ensure_game_tables(db, game);
  } else {
    db->exec(db->begin_write());
    try {
      store::ensure_game_tables(db, game);
      db->exec("COMMIT");
    } catch (...) {
      try {
        db->exec("ROLLBACK");
      } catch (const DatabaseError&) {
        // The first failure is the one to report.
      }
      throw;
    }
  }
  auto s = std::make_unique<store::GameStatements>();
  s->game = &game;
  s->made_in_batch = in_batch_ ? batch_ : 0;
  s->insert_group = Statement(
      db, insert_sql(
              store::group_table(game),
              with_fields({"session", "round_number", "id_in_subsession"}, game.group_fields())));
  s->insert_player = Statement(
      db,
      insert_sql(store::player_table(game), with_fields({"session", "round_number", "id_in_session",
                                                         "id_in_group", "id_in_subsession"},
                                                        game.player_fields())));
  s->place_player = Statement(db, "UPDATE " + quote_identifier(store::player_table(game)) +
                                      " SET id_in_group = ?1, id_in_subsession = ?2 "
                                      "WHERE session = ?3 AND round_number = ?4 AND "
                                      "id_in_session = ?5");
  if (!game.group_fields().empty()) {
    s->update_group = Statement(db, update_sql(store::group_table(game), game.group_fields(),
                                               {"round_number", "id_in_subsession"}));
  }
  if (!game.player_fields().empty()) {
    s->update_player = Statement(db, update_sql(store::player_table(game), game.player_fields(),
                                                {"round_number", "id_in_session"}));
  }
  if (!game.participant_fields().empty()) {
    s->insert_participant = Statement(
        db, insert_sql(store::participant_table(game),
                       with_fields({"session", "id_in_session"}, game.participant_fields())));
    s->update_participant = Statement(db, update_sql(store::participant_table(game),
                                                     game.participant_fields(), {"id_in_session"}));
  }
  for (const RecordSpec& record : game.record_types()) {
    std::vector<std::string> columns = {"session",          "id",           "seq", "round_number",
                                        "id_in_subsession", "id_in_session"};
    for (const ColumnSpec& column : record.columns) columns.push_back(column.name);
    s->insert_record.emplace_back(db, insert_sql(store::record_table(game, record), columns));
  }
  store::GameStatements& result = *s;
  games_[&game] = std::move(s);
  return result;
}

SqlStore::Slot& SqlStore::attach_slot(const Session& session) {
  auto slot = std::make_unique<Slot>();
  slot->code = session.code();
  slot->bound = &session;
  for (const Game* game : session.games()) slot->statements.push_back(&statements_for(*game));
  for (size_t app = 0; app < session.games().size(); ++app) {
    std::vector<uint32_t>& shared = slot->participant_fields.emplace_back();
    for (uint32_t f = 0; f < session.games()[app]->participant_fields().size(); ++f) {
      shared.push_back(session.shared_participant_field(app, f));
    }
  }
  for (int r = 1; r <= session.session_rounds(); ++r) {
    slot->round_apps.push_back(static_cast<uint32_t>(session.app_of_round(r)));
  }
  for (size_t app = 0; app < session.games().size(); ++app) {
    slot->first_rounds.push_back(static_cast<uint32_t>(session.first_round_of(app)));
  }
  for (uint32_t f = 0; f < session.flow_size(); ++f) {
    slot->flow_pages.push_back(session.page_spec(f).name);
    slot->flow_rounds.push_back(session.flow_round(f));
  }
  slot->last_seq = session.last_seq();
  slot->now_ms = session.now_ms();
  slot->rng = session.rng().state();
  slot->participants = static_cast<uint32_t>(session.participant_count());
  for (const Group& group : session.groups()) {
    slot->group_values.push_back(group.fields());
    slot->group_keys.emplace_back(group.round_number(), group.id_in_subsession());
    slot->group_apps.push_back(static_cast<uint32_t>(group.app()));
  }
  for (const Player& player : session.players()) slot->player_values.push_back(player.fields());
  for (uint32_t id = 1; id <= slot->participants; ++id) {
    const Participant& participant = session.participant(id);
    slot->participant_values.push_back(participant.fields);
    slot->pages.push_back(participant.page);
    slot->entered_ms.push_back(entered_of(participant));
    slot->labels.push_back(participant.label);
    slot->page_delivered.push_back(participant.page_delivered);
    slot->present.push_back(participant.present ? 1 : 0);
  }
  // A restored session's are set by load_session; a new one's are all 0.
  slot->page_events.assign(slot->participants, 0);
  slot->group_dirty.assign(slot->group_values.size(), 0);
  slot->player_dirty.assign(slot->player_values.size(), 0);
  slot->participant_dirty.assign(slot->participant_values.size(), 0);
  slot->page_dirty.assign(slot->pages.size(), 0);
  Slot& result = *slot;
  slots_[session.code()] = std::move(slot);
  last_slot_ = nullptr;
  return result;
}

Status SqlStore::claim(const std::string& code, bool* claimed) {
  settle();
  *claimed = false;
  if (claimed_.count(code)) {
    *claimed = true;
    return Status();
  }
  if (db_->mode() == Database::Mode::kRead)
    return Status::Error(path() + " was opened for reading");
  try {
    if (db_->claim(code)) {
      claimed_.insert(code);
      *claimed = true;
    }
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqlStore::claim_or_refuse(const std::string& code) {
  bool claimed = false;
  // A lock goes when its server process has exited, a moment after its
  // client hung up: a session whose last writer just closed (a restart,
  // a store reopened) is waited for, up to a second.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (Status status = claim(code, &claimed); !status.ok()) return status;
    if (claimed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!claimed) {
    return Status::Error("session " + code + " in " + path() + " is run by another process");
  }
  return Status();
}

Status SqlStore::release(const std::string& code) {
  settle();
  if (db_->kind() != Database::Kind::kPostgres) {
    return Status::Error("a session of an SQLite file cannot be handed to another process");
  }
  if (const auto slot = slots_.find(code); slot != slots_.end() && slot->second->dirty) {
    return Status::Error("session " + code + " has uncommitted events");
  }
  try {
    Statement unlock(db_.get(),
                     "SELECT pg_advisory_unlock(hashtextextended('livectl session ' || ?1, 0))");
    unlock.bind(1, std::string_view(code));
    unlock.next();
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  claimed_.erase(code);
  slots_.erase(code);
  last_slot_ = nullptr;
  return Status();
}

Status SqlStore::placements(std::vector<Placement>* sessions, std::vector<std::string>* nodes) {
  sessions->clear();
  nodes->clear();
  std::vector<StoredSession> stored;
  if (Status status = list_sessions(&stored); !status.ok()) return status;
  if (db_->kind() != Database::Kind::kPostgres) {
    for (StoredSession& session : stored) sessions->push_back({std::move(session), ""});
    return Status();
  }
  std::unordered_map<std::string, std::string> holders;
  try {
    // As owner_of: the advisory lock of claim() on key k is classid = k >>
    // 32, objid = k & 0xffffffff in pg_locks.
    Statement held(db_.get(),
                   "SELECT s.code, a.application_name FROM sessions s "
                   "JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                   "AND l.classid = ((hashtextextended('livectl session ' || s.code, 0) >> 32) "
                   "& 4294967295)::oid "
                   "AND l.objid = (hashtextextended('livectl session ' || s.code, 0) "
                   "& 4294967295)::oid "
                   "JOIN pg_stat_activity a ON a.pid = l.pid");
    while (held.next()) {
      const std::string name = held.column_text(1);
      if (name.starts_with("livectl ")) holders[held.column_text(0)] = name.substr(8);
    }
    Statement connected(db_.get(),
                        "SELECT DISTINCT substr(application_name, 9) FROM pg_stat_activity "
                        "WHERE application_name LIKE 'livectl %' ORDER BY 1");
    while (connected.next()) nodes->push_back(connected.column_text(0));
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  for (StoredSession& session : stored) {
    const auto holder = holders.find(session.code);
    sessions->push_back({std::move(session), holder == holders.end() ? "" : holder->second});
  }
  return Status();
}

Status SqlStore::set_node_name(const std::string& name) {
  settle();
  if (db_->kind() != Database::Kind::kPostgres) return Status();
  try {
    Statement set(db_.get(), "SELECT set_config('application_name', ?1, false)");
    set.bind(1, std::string_view("livectl " + name));
    set.next();
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqlStore::owner_of(const std::string& participant_code, std::optional<std::string>* node) {
  settle();
  node->reset();
  if (db_->kind() != Database::Kind::kPostgres) {
    return Status::Error("owner_of is for PostgreSQL databases");
  }
  try {
    // The advisory lock of claim() on the 64-bit key k shows in pg_locks
    // as classid = k >> 32, objid = k & 0xffffffff, objsubid = 1.
    Statement query(db_.get(),
                    "WITH s AS (SELECT hashtextextended('livectl session ' || session, 0) AS k "
                    "FROM participants WHERE code = ?1) "
                    "SELECT (SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.classid = ((s.k >> 32) & 4294967295)::oid "
                    "AND l.objid = (s.k & 4294967295)::oid LIMIT 1) FROM s");
    query.bind(1, std::string_view(participant_code));
    if (query.next()) {
      std::string name = query.column_text(0);
      *node = name.starts_with("livectl ") ? name.substr(8) : std::string();
    }
  } catch (const DatabaseError& e) {
    return db_->error(e);
  }
  return Status();
}

Status SqlStore::add_session(const Session& session, const std::string& origin,
                             const Json& config) {
  settle();
  if (failure_) return *failure_;
  if (db_->mode() == Database::Mode::kRead)
    return Status::Error(path() + " was opened for reading");
  if (session.last_seq() != 0) {
    return Status::Error("session " + session.code() +
                         " has events already; add it before the first");
  }
  if (Status status = claim_or_refuse(session.code()); !status.ok()) return status;
  std::optional<StoredSession> existing;
  if (Status status = find_session(session.code(), &existing); !status.ok()) return status;
  if (existing) return Status::Error(path() + " already holds a session " + session.code());
  if (Status status = begin_batch(); !status.ok()) return status;

  Database* db = db_.get();
  try {
    Slot& slot = attach_slot(session);  // creates the games' tables on first use
    // Dirty at once, so that a failed batch names it among the lost sessions.
    slot.dirty = true;
    dirty_.push_back(&slot);
    Statement insert(
        db,
        "INSERT INTO sessions (code, game, participants, seed, origin, config, config_name, "
        "params, real_world_currency_per_point, participation_fee, created, last_seq, now_ms, "
        "rng) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?10, ?11, ?12, ?13, ?7, 0, ?8, ?9)");
    insert.bind(1, std::string_view(session.code()));
    insert.bind(2, std::string_view(store::games_column(session.games())));
    insert.bind(3, static_cast<int64_t>(session.participant_count()));
    insert.bind(4, static_cast<int64_t>(session.seed()));
    insert.bind(5, std::string_view(origin));
    // Replay rebuilds the session from its configuration: it must know
    // whether participants arrive by events.
    Json stored_config = config.is_object() ? config : Json::object();
    if (session.arrivals()) stored_config["arrivals"] = true;
    insert.bind(6, std::string_view(stored_config.dump()));
    insert.bind(7, std::string_view(utc_now()));
    insert.bind(8, session.now_ms());
    insert.bind(9, std::string_view(store::rng_text(session.rng().state())));
    insert.bind(10, std::string_view(session.config_name()));
    insert.bind(11, std::string_view(session.params().dump()));
    insert.bind_value(12, Json(session.real_world_currency_per_point()));
    insert.bind_value(13, Json(session.participation_fee()));
    if (const int rc = insert.run(); rc != kSqlDone) db->raise(rc);

    Statement participant(db,
                          "INSERT INTO participants (session, id_in_session, code, label, "
                          "round_number, page_index, page, entered_ms, present) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (uint32_t id = 1; id <= session.participant_count(); ++id) {
      const Participant& p = session.participant(id);
      participant.bind(1, std::string_view(session.code()));
      participant.bind(2, static_cast<int64_t>(p.id_in_session));
      participant.bind(3, std::string_view(p.code));
      participant.bind(4, std::string_view(p.label));
      participant.bind(5, static_cast<int64_t>(session.flow_round(p.page)));
      participant.bind(6, static_cast<int64_t>(p.page));
      participant.bind(7, std::string_view(session.page_spec(p.page).name));
      if (p.arrived) {
        participant.bind(8, p.page_entered_ms);
      } else {
        participant.bind_null(8);
      }
      participant.bind(9, static_cast<int64_t>(p.present ? 1 : 0));
      if (const int rc = participant.run(); rc != kSqlDone) db->raise(rc);
      for (size_t app = 0; app < session.games().size(); ++app) {
        const std::vector<uint32_t>& fields = slot.participant_fields[app];
        if (fields.empty()) continue;
        Statement& add = slot.statements[app]->insert_participant;
        add.bind(1, std::string_view(session.code()));
        add.bind(2, static_cast<int64_t>(p.id_in_session));
        for (size_t i = 0; i < fields.size(); ++i) {
          add.bind_value(static_cast<int>(i + 3), p.fields[fields[i]]);
        }
        if (const int rc = add.run(); rc != kSqlDone) db->raise(rc);
      }
    }
    for (const Player& player : session.players()) {
      store::GameStatements& s = *slot.statements[player.app()];
      s.insert_player.bind(1, std::string_view(session.code()));
      s.insert_player.bind(2, static_cast<int64_t>(player.round_number()));
      s.insert_player.bind(3, static_cast<int64_t>(player.id_in_session()));
      if (player.has_group()) {
        s.insert_player.bind(4, static_cast<int64_t>(player.id_in_group()));
        s.insert_player.bind(5, static_cast<int64_t>(player.group().id_in_subsession()));
      } else {
        s.insert_player.bind_null(4);
        s.insert_player.bind_null(5);
      }
      for (size_t i = 0; i < player.fields().size(); ++i) {
        s.insert_player.bind_value(static_cast<int>(i + 6), player.fields()[i]);
      }
      if (const int rc = s.insert_player.run(); rc != kSqlDone) db->raise(rc);
    }
    for (const Group& group : session.groups()) {
      store::GameStatements& s = *slot.statements[group.app()];
      s.insert_group.bind(1, std::string_view(session.code()));
      s.insert_group.bind(2, static_cast<int64_t>(group.round_number()));
      s.insert_group.bind(3, static_cast<int64_t>(group.id_in_subsession()));
      for (size_t i = 0; i < group.fields().size(); ++i) {
        s.insert_group.bind_value(static_cast<int>(i + 4), group.fields()[i]);
      }
      if (const int rc = s.insert_group.run(); rc != kSqlDone) db->raise(rc);
    }
    // Timers the game started while the session was created.
    for (const ScheduledTimer& timer : session.timers()) {
      note_timer(slot, session, timer.app, timer.timer, timer.owner);
    }
  } catch (const DatabaseError& e) {
    Status status = fail(e.code());
    if (std::find(lost_.begin(), lost_.end(), session.code()) == lost_.end()) {
      lost_.push_back(session.code());
    }
    return status;
  } catch (const std::invalid_argument& e) {
    slots_.erase(session.code());
    return Status::Error(e.what());
  }
  return Status();
}

Status SqlStore::attach(const Session& session) {
  settle();
  if (failure_) return *failure_;
  std::optional<StoredSession> stored;
  if (Status status = find_session(session.code(), &stored); !status.ok()) return status;
  if (!stored) return Status::Error(path() + " has no session " + session.code());
  if (const std::string games = store::games_column(session.games()); stored->game != games) {
    return Status::Error("session " + session.code() + " in " + path() + " is a " + stored->game +
                         " session, not " + games);
  }
  if (stored->last_seq != session.last_seq()) {
    return Status::Error("session " + session.code() + " has " + std::to_string(stored->last_seq) +
                         " events in " + path() + " but " + std::to_string(session.last_seq()) +
                         " in memory");
  }
  if (db_->mode() == Database::Mode::kRead) return Status();  // nothing will be written
  if (Status status = claim_or_refuse(session.code()); !status.ok()) return status;
  try {
    Slot& slot = attach_slot(session);
    Statement query(db_.get(),
                    "SELECT id_in_session, page_event FROM participants WHERE session = ?1");
    query.bind(1, std::string_view(session.code()));
    while (query.next()) {
      const int64_t id = query.column_int(0);
      if (id >= 1 && id <= static_cast<int64_t>(slot.page_events.size())) {
        slot.page_events[static_cast<size_t>(id - 1)] = query.column_int(1);
      }
    }
  } catch (const DatabaseError& e) {
    return fail(e.code());
  } catch (const std::invalid_argument& e) {
    return Status::Error(e.what());
  }
  return Status();
}

}  // namespace livectl
