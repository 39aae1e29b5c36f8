#include "store/schema.h"

#include <cinttypes>
#include <cstdio>
#include <set>
#include <span>
#include <stdexcept>

#include "store/database.h"

namespace livectl::store {

namespace {

// Keep in step with docs/storage.md. $INT, $REAL, $BOOL, $KEYED and
// $EVENT_KEY are put in by the database (Database::column_type and friends).
// In SQLite, tables keyed by (session, ...) are WITHOUT ROWID: their rows are
// small and the key is the only index, so each insert touches one B-tree
// instead of two; the event log has no key at all: rows are appended in
// commit order (rowid), which is SQLite's cheapest insert, and it is read
// whole (replay, export), never row by row.
constexpr const char* kFixedSchema = R"sql(
CREATE TABLE sessions (
  code         TEXT PRIMARY KEY NOT NULL,
  game         TEXT NOT NULL,
  participants $INT NOT NULL,
  seed         $INT NOT NULL,  -- the 64 bits of the seed; seeds >= 2^63 read as negative
  origin       TEXT NOT NULL,     -- 'simulate', 'serve', 'test'
  config       TEXT NOT NULL,     -- JSON: what the origin needs to continue the session
  config_name  TEXT NOT NULL,     -- the session configuration it was created from; '' = the game's own
  params       TEXT NOT NULL,     -- JSON object: every parameter's value, defaults filled in
  real_world_currency_per_point $REAL NOT NULL,
  participation_fee             $REAL NOT NULL,
  created      TEXT NOT NULL,     -- UTC, ISO 8601
  last_seq     $INT NOT NULL,  -- the last committed event
  now_ms       $INT NOT NULL,  -- the session clock after it
  rng          TEXT NOT NULL      -- the generator's state after it: 4 words, hex
);
CREATE TABLE participants (
  session       TEXT NOT NULL,
  id_in_session $INT NOT NULL,
  code          TEXT NOT NULL,
  label         TEXT NOT NULL,
  round_number  $INT NOT NULL,  -- the round the participant is in
  page_index    $INT NOT NULL,  -- 0 = the first page of round 1; pages of later rounds follow
  page          TEXT NOT NULL,     -- the current page's name
  entered_ms    $INT,           -- session time of arrival on that page; NULL = not arrived yet
  present       $BOOL NOT NULL DEFAULT TRUE,  -- has an open page, as the server last said
  page_delivered $INT NOT NULL DEFAULT 0,  -- payloads received before that page
  page_event    $INT NOT NULL DEFAULT 0,   -- the event that moved them there; 0 = none
  PRIMARY KEY (session, id_in_session)
)$KEYED;
CREATE INDEX participants_by_code ON participants (code);
CREATE TABLE events (
  session      TEXT NOT NULL,
  seq          $INT NOT NULL,  -- 1, 2, ... within the session, no gaps
  participant  $INT NOT NULL,  -- the sender's id_in_session
  kind         TEXT NOT NULL,     -- 'live', 'submit', 'arrive', 'timeout' or 'timer' (docs/storage.md)
  page         TEXT,              -- the sender's page when the event arrived
  page_claimed $INT,           -- the page index the client said it was on; NULL = none
  time_ms      $INT NOT NULL,  -- the session clock: recorded time, virtual in simulations
  data         TEXT,              -- JSON: the liveSend payload; NULL for a submit
  error        TEXT,              -- why the event was rejected; NULL = accepted
  deliveries   TEXT,              -- JSON [[[id_in_session, ...], payload], ...]; NULL when rejected
  page_changes TEXT,              -- JSON [id_in_session, ...] whose page moved; NULL = none
  group_hash   $INT            -- state hash of the sender's group after the event
  $EVENT_KEY
);
CREATE TABLE timers (
  session       TEXT NOT NULL,
  game          TEXT NOT NULL,     -- the game that declares the timer
  timer         TEXT NOT NULL,     -- its name
  round_number  $INT NOT NULL,  -- a group timer's round (of its game); 0 for a player timer
  group_id      $INT NOT NULL,  -- a group timer's group (id_in_subsession); 0 for a player timer
  id_in_session $INT NOT NULL,  -- a player timer's participant; 0 for a group timer
  page_index    $INT NOT NULL,  -- the page it belongs to, as participants.page_index
  due_ms        $INT NOT NULL,  -- the session time it fires next
  every_ms      $INT NOT NULL,  -- 0: it fires once; else its interval
  PRIMARY KEY (session, game, timer, round_number, group_id, id_in_session)
)$KEYED;
CREATE TABLE game_tables (
  name   TEXT PRIMARY KEY NOT NULL,  -- e.g. auction_player
  game   TEXT NOT NULL,
  kind   TEXT NOT NULL,              -- 'group', 'player', 'participant' or 'record'
  record TEXT                        -- the record type, for kind 'record'
);
CREATE TABLE game_columns (
  table_name TEXT NOT NULL,
  position   $INT NOT NULL,  -- 0 = the first of the game's own columns
  name       TEXT NOT NULL,
  type       TEXT NOT NULL,     -- 'integer', 'number', 'string' or 'boolean'
  PRIMARY KEY (table_name, name)
)$KEYED;
)sql";

void replace_all(std::string* text, std::string_view from, const std::string& to) {
  for (size_t at = 0; (at = text->find(from, at)) != std::string::npos; at += to.size()) {
    text->replace(at, from.size(), to);
  }
}

// The declared type of a field's column (Database::column_type).
std::string column_declaration(const Database& db, const std::string& name, FieldType type) {
  return quote_identifier(name) + " " + db.column_type(field_type_name(type));
}

std::string sql_literal(const Json& value) {
  if (value.is_null()) return "NULL";
  if (value.is_boolean()) return value.get<bool>() ? "TRUE" : "FALSE";
  if (value.is_number()) return value.dump();
  std::string text = "'";
  for (char c : value.get_ref<const std::string&>()) {
    if (c == '\'') text += '\'';
    text += c;
  }
  return text + "'";
}

struct Column {
  std::string name;
  FieldType type;
  Json initial;
};

void check_names(const std::string& what, const std::vector<Column>& columns,
                 std::span<const char* const> reserved) {
  for (const Column& column : columns) {
    for (const char* key : reserved) {
      if (column.name == key) {
        throw std::invalid_argument(what + " declares '" + column.name +
                                    "', a name the storage layout uses for its own column");
      }
    }
  }
}

std::set<std::string> existing_columns(Database* db, const std::string& table) {
  std::set<std::string> names;
  Statement info(db, db->columns_query());
  info.bind(1, std::string_view(table));
  while (info.next()) names.insert(info.column_text(0));
  return names;
}

// Creates `table` with `keys` then `columns`, or adds the columns it lacks.
void ensure_table(Database* db, const Game& game, const std::string& table, const char* kind,
                  const std::string* record, const std::string& keys,
                  const std::string& primary_key, const std::vector<Column>& columns) {
  const std::set<std::string> existing = existing_columns(db, table);
  if (existing.empty()) {
    std::string sql = "CREATE TABLE " + quote_identifier(table) + " (\n  " + keys;
    for (const Column& column : columns) {
      sql += ",\n  " + column_declaration(*db, column.name, column.type);
    }
    sql += ",\n  PRIMARY KEY (" + primary_key + ")\n)" + db->keyed_table_options();
    db->exec(sql);
  } else {
    for (const Column& column : columns) {
      if (existing.count(column.name)) continue;
      db->exec("ALTER TABLE " + quote_identifier(table) + " ADD COLUMN " +
               column_declaration(*db, column.name, column.type) + " DEFAULT " +
               sql_literal(column.initial));
    }
  }
  Statement describe(db,
                     "INSERT INTO game_tables (name, game, kind, record) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (name) DO UPDATE SET game = excluded.game, "
                     "kind = excluded.kind, record = excluded.record");
  describe.bind(1, std::string_view(table));
  describe.bind(2, std::string_view(game.name()));
  describe.bind(3, std::string_view(kind));
  if (record) describe.bind(4, std::string_view(*record));
  if (const int rc = describe.run(); rc != kSqlDone) db->raise(rc);
  Statement column_row(db,
                       "INSERT INTO game_columns (table_name, position, name, type) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (table_name, name) "
                       "DO UPDATE SET position = excluded.position, type = excluded.type");
  for (size_t i = 0; i < columns.size(); ++i) {
    column_row.bind(1, std::string_view(table));
    column_row.bind(2, static_cast<int64_t>(i));
    column_row.bind(3, std::string_view(columns[i].name));
    column_row.bind(4, std::string_view(field_type_name(columns[i].type)));
    if (const int rc = column_row.run(); rc != kSqlDone) db->raise(rc);
  }
}

std::vector<Column> field_columns(const std::vector<FieldSpec>& fields) {
  std::vector<Column> columns;
  for (const FieldSpec& field : fields) columns.push_back({field.name, field.type, field.initial});
  return columns;
}

}  // namespace

std::string fixed_schema(const Database& db) {
  std::string sql = kFixedSchema;
  replace_all(&sql, "$INT", db.column_type("int64"));
  replace_all(&sql, "$REAL", db.column_type("real"));
  replace_all(&sql, "$BOOL", db.column_type("boolean"));
  replace_all(&sql, "$KEYED", db.keyed_table_options());
  replace_all(&sql, "\n  $EVENT_KEY",
              *db.event_key() ? std::string("\n  , ") + db.event_key() : std::string());
  return sql;
}

std::string group_table(const Game& game) {
  return game.name() + "_group";
}
std::string player_table(const Game& game) {
  return game.name() + "_player";
}
std::string participant_table(const Game& game) {
  return game.name() + "_participant";
}
std::string record_table(const Game& game, const RecordSpec& record) {
  return game.name() + "_" + record.name;
}

std::string games_column(std::span<const Game* const> games) {
  std::string names;
  for (const Game* game : games) names += (names.empty() ? "" : ",") + game->name();
  return names;
}

void ensure_game_tables(Database* db, const Game& game) {
  const std::vector<Column> group_columns = field_columns(game.group_fields());
  const std::vector<Column> player_columns = field_columns(game.player_fields());
  check_names("game '" + game.name() + "' has a group field that", group_columns, kGroupKeyColumns);
  check_names("game '" + game.name() + "' has a player field that", player_columns,
              kPlayerKeyColumns);
  const std::vector<Column> participant_columns = field_columns(game.participant_fields());
  check_names("game '" + game.name() + "' has a participant field that", participant_columns,
              kParticipantKeyColumns);
  ensure_table(db, game, group_table(game), "group", nullptr,
               "session TEXT NOT NULL,\n  round_number INTEGER NOT NULL,\n"
               "  id_in_subsession INTEGER NOT NULL",
               "session, round_number, id_in_subsession", group_columns);
  ensure_table(db, game, player_table(game), "player", nullptr,
               "session TEXT NOT NULL,\n  round_number INTEGER NOT NULL,\n"
               "  id_in_session INTEGER NOT NULL,\n"
               "  id_in_group INTEGER,  -- NULL: no group yet (grouping by arrival time)\n"
               "  id_in_subsession INTEGER",
               "session, round_number, id_in_session", player_columns);
  ensure_table(db, game, participant_table(game), "participant", nullptr,
               "session TEXT NOT NULL,\n  id_in_session INTEGER NOT NULL", "session, id_in_session",
               participant_columns);
  for (const RecordSpec& record : game.record_types()) {
    // The player CSV of an export is <game>_players.csv; a record type with
    // one of these names would land on a game table or that file.
    if (record.name == "group" || record.name == "player" || record.name == "players" ||
        record.name == "participant") {
      throw std::invalid_argument("game '" + game.name() + "' has a record type named '" +
                                  record.name + "', a name the storage layout uses");
    }
    std::vector<Column> columns;
    for (const ColumnSpec& column : record.columns)
      columns.push_back({column.name, column.type, {}});
    check_names("record type '" + record.name + "' of game '" + game.name() + "'", columns,
                kRecordKeyColumns);
    ensure_table(db, game, record_table(game, record), "record", &record.name,
                 "session TEXT NOT NULL,\n"
                 "  id INTEGER NOT NULL,  -- 1, 2, ... in the order the rows were added\n"
                 "  seq INTEGER NOT NULL,  -- the event that added the row\n"
                 "  round_number INTEGER NOT NULL,\n"
                 "  id_in_subsession INTEGER NOT NULL,\n  id_in_session INTEGER NOT NULL",
                 "session, id", columns);
  }
}

std::string rng_text(const Rng::State& state) {
  char text[4 * 17];
  std::snprintf(text, sizeof(text), "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64,
                state[0], state[1], state[2], state[3]);
  return text;
}

bool parse_rng(const std::string& text, Rng::State* state) {
  return std::sscanf(text.c_str(), "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64, &(*state)[0],
                     &(*state)[1], &(*state)[2], &(*state)[3]) == 4;
}

bool table_exists(Database* db, const std::string& table) {
  Statement query(db, db->table_query());
  query.bind(1, std::string_view(table));
  return query.next();
}

Json read_value(const Statement& row, int column, FieldType type) {
  const int storage = row.column_type(column);
  if (storage == kSqlNull) return nullptr;
  auto wrong = [&]() -> Json {
    throw std::invalid_argument(
        "column '" + row.column_name(column) + "' holds a value that is not " +
        (type == FieldType::kInteger ? "an " : "a ") + field_type_name(type));
  };
  // Integers beyond int64 are stored as decimal digits (Statement::bind_value).
  auto big_integer = [&]() -> Json {
    Json value = Json::parse(row.column_text(column), nullptr, /*allow_exceptions=*/false);
    return value.is_number_integer() ? value : wrong();
  };
  switch (type) {
    case FieldType::kInteger:
      if (storage == kSqlInteger) return row.column_int(column);
      return storage == kSqlBlob ? big_integer() : wrong();
    case FieldType::kNumber:
      if (storage == kSqlInteger) return row.column_int(column);
      if (storage == kSqlFloat) return row.column_double(column);
      return storage == kSqlBlob ? big_integer() : wrong();
    case FieldType::kString:
      return storage == kSqlText ? Json(row.column_text(column)) : wrong();
    case FieldType::kBoolean:
      return storage == kSqlInteger ? Json(row.column_int(column) != 0) : wrong();
  }
  return wrong();
}

}  // namespace livectl::store
