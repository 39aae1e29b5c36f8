// Target (e): sessions restored from damaged stored rows
// (store/session_restore.cpp, SqlStore::load_session; and store/replay.h,
// which re-runs the stored event log).
//
// Once per process, real sessions of every seed game are played by bots and
// stored in a real livectl database (plus one served-style session whose
// participants arrive), and the file is kept as a template. Each input then
// starts from a fresh copy of that file, damages chosen cells and rows of
// any table through a raw SQLite connection (any value of any storage
// class: NULL, integers, reals, text that is not UTF-8, blobs), and
// restores one chosen session, or replays it.
//
// Checks: nothing throws out of the store; a session either fails to load
// with a Status or is a valid session: every participant on a page the game
// has, every field holding a value its type accepts, a digest, and events
// applied to it afterwards behave (no exception, a rejection changes
// nothing).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bots/simulation.h"
#include "engine/registry.h"
#include "engine/session.h"
#include "fuzz/fuzz_input.h"
#include "games/examples.h"
#include "store/replay.h"
#include "store/sql_store.h"

using livectl::Json;
using livectl::fuzz::FuzzInput;
namespace fs = std::filesystem;

namespace {

struct Table {
  std::string name;
  std::vector<std::string> columns;
  std::string key;  // "rowid" or "\"a\",\"b\"": the columns that tell one row
  int rows = 0;
};

struct StoredCode {
  std::string code;
  const livectl::Game* game;
};

std::string sql_name(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void must(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "restore fuzzer set-up failed: %s\n", what.c_str());
    std::abort();
  }
}

// The template database, its tables and its sessions; built once.
struct Template {
  fs::path dir;
  std::string path;   // where each input's copy is written
  std::string bytes;  // the template file
  std::vector<Table> tables;
  std::vector<StoredCode> sessions;

  Template() {
    const fs::path shm = "/dev/shm";
    std::error_code ignored;
    dir = (fs::is_directory(shm, ignored) && access("/dev/shm", W_OK) == 0
               ? shm
               : fs::temp_directory_path()) /
          ("livectl-fuzz-restore-" + std::to_string(getpid()));
    // A crashed run cannot remove its folder: remove those of processes
    // that are gone, so that repeated crashes do not fill /dev/shm.
    for (const auto& entry : fs::directory_iterator(dir.parent_path(), ignored)) {
      const std::string name = entry.path().filename().string();
      const std::string prefix = "livectl-fuzz-restore-";
      if (name.starts_with(prefix) && !fs::exists("/proc/" + name.substr(prefix.size()), ignored)) {
        fs::remove_all(entry.path(), ignored);
      }
    }
    fs::create_directories(dir);
    path = (dir / "copy.db").string();
    const std::string made = (dir / "template.db").string();
    build(made);
    std::ifstream in(made, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    describe(made);
  }
  ~Template() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  void build(const std::string& file) {
    std::unique_ptr<livectl::SqlStore> store;
    must(livectl::SqlStore::open(file, &store).ok(), "open " + file);
    uint64_t seed = 1;
    for (const livectl::Game* game : livectl::all_games()) {
      livectl::SessionConfig config;
      config.participants = game->players_per_group() * 2;
      config.seed = seed++;
      livectl::Session session(*game, *store, config);
      must(store->add_session(session, "simulate", Json::object()).ok(), "add_session");
      livectl::SimulationOptions options;
      options.max_messages = 30;
      options.store = store.get();
      options.commit_every = 10;
      must(livectl::simulate(session, options).failure.empty(), "simulate " + game->name());
      sessions.push_back({session.code(), game});
    }
    // A served session: half its participants arrived, the rest not yet.
    const livectl::Game& auction = *livectl::find_game("auction");
    livectl::SessionConfig config;
    config.participants = auction.players_per_group() * 2;
    config.seed = seed;
    config.arrivals = true;
    livectl::Session served(auction, *store, config);
    must(store->add_session(served, "serve", Json{{"arrivals", true}}).ok(), "add served");
    for (uint32_t p = 1; p <= static_cast<uint32_t>(config.participants / 2); ++p) {
      livectl::Event arrive;
      arrive.kind = livectl::EventKind::kArrive;
      arrive.participant = p;
      arrive.time_ms = 1000 * p;
      served.apply(arrive);
    }
    must(store->flush().ok(), "flush");
    sessions.push_back({served.code(), &auction});
  }

  void describe(const std::string& file) {
    sqlite3* db = nullptr;
    must(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK, "reopen");
    std::vector<std::string> names;
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                       "'sqlite_%' ORDER BY name",
                       -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
    }
    sqlite3_finalize(q);
    for (const std::string& name : names) {
      Table table{name, {}, {}, 0};
      std::vector<std::pair<int, std::string>> key;
      sqlite3_prepare_v2(db, ("PRAGMA table_info(" + sql_name(name) + ")").c_str(), -1, &q,
                         nullptr);
      while (sqlite3_step(q) == SQLITE_ROW) {
        const std::string column = reinterpret_cast<const char*>(sqlite3_column_text(q, 1));
        table.columns.push_back(column);
        if (const int pk = sqlite3_column_int(q, 5); pk > 0) key.emplace_back(pk, column);
      }
      sqlite3_finalize(q);
      std::sort(key.begin(), key.end());
      for (size_t i = 0; i < key.size(); ++i) table.key += (i ? "," : "") + sql_name(key[i].second);
      if (key.empty()) table.key = "rowid";
      sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + sql_name(name)).c_str(), -1, &q, nullptr);
      sqlite3_step(q);
      table.rows = sqlite3_column_int(q, 0);
      sqlite3_finalize(q);
      tables.push_back(std::move(table));
    }
    sqlite3_close(db);
    must(!tables.empty() && !sessions.empty(), "an empty template");
  }
};

// A value of any storage class, often one that is almost right.
void bind_damage(sqlite3_stmt* statement, int index, FuzzInput& in) {
  switch (in.below(8)) {
    case 0:
      sqlite3_bind_null(statement, index);
      break;
    case 1:
      sqlite3_bind_int64(statement, index, static_cast<int8_t>(in.byte()));
      break;
    case 2:
      sqlite3_bind_int64(statement, index, static_cast<int64_t>(in.u64()));
      break;
    case 3:
      sqlite3_bind_double(statement, index, in.f64());
      break;
    case 4: {
      static constexpr const char* kTexts[] = {
          "",
          "1e400",
          "18446744073709551616",
          "-9223372036854775809",
          "NaN",
          "null",
          "{}",
          "[1,2]",
          "waiting",
          "live",
          "results",
          "0 0 0 0",
          "x",
          "{\"arrivals\":true}",
          "ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff"};
      const char* text = kTexts[in.below(sizeof kTexts / sizeof kTexts[0])];
      sqlite3_bind_text(statement, index, text, -1, SQLITE_TRANSIENT);
      break;
    }
    case 5:
    case 6: {
      const std::string_view text = in.string(64);  // any bytes, UTF-8 or not
      sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT);
      break;
    }
    default: {
      const std::string_view blob = in.string(32);
      sqlite3_bind_blob(statement, index, blob.data(), static_cast<int>(blob.size()),
                        SQLITE_TRANSIENT);
      break;
    }
  }
}

// Damages the copy at `path` as the input says. Changes the schema forbids
// (NOT NULL, a taken key) fail and are skipped, as they would be for a
// person editing the file with sqlite3.
void damage(const Template& t, FuzzInput& in) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(t.path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    std::abort();
  for (uint32_t n = 1 + in.below(6); n > 0 && !in.empty(); --n) {
    const uint8_t kind = in.byte();
    const Table& table = t.tables[in.below(static_cast<uint32_t>(t.tables.size()))];
    const std::string& column =
        table.columns[in.below(static_cast<uint32_t>(table.columns.size()))];
    const int row = static_cast<int>(in.below(static_cast<uint32_t>(table.rows + 1)));
    const std::string one_row = " WHERE (" + table.key + ") IN (SELECT " + table.key + " FROM " +
                                sql_name(table.name) + " LIMIT 1 OFFSET ?2)";
    std::string sql;
    switch (kind % 8) {
      case 0:
        sql = "UPDATE " + sql_name(table.name) + " SET " + sql_name(column) + " = ?1";
        break;
      case 1:
        sql = "DELETE FROM " + sql_name(table.name) + one_row;
        break;
      case 2:
        sql = "DELETE FROM " + sql_name(table.name);
        break;
      default:
        sql = "UPDATE " + sql_name(table.name) + " SET " + sql_name(column) + " = ?1" + one_row;
        break;
    }
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) std::abort();
    if (sqlite3_bind_parameter_count(statement) >= 1) bind_damage(statement, 1, in);
    if (sqlite3_bind_parameter_count(statement) >= 2) sqlite3_bind_int(statement, 2, row);
    sqlite3_step(statement);  // SQLITE_CONSTRAINT and the like: skipped
    sqlite3_finalize(statement);
  }
  if (sqlite3_close(db) != SQLITE_OK) std::abort();
}

void check_restored(livectl::Session& session) {
  const livectl::Game& game = session.game();
  for (const livectl::Player& player : session.players()) {
    FUZZ_CHECK(player.participant().page < game.pages().size(), "participant %u on page %u",
               player.participant().id_in_session, player.participant().page);
    for (size_t f = 0; f < player.fields().size(); ++f) {
      FUZZ_CHECK(livectl::field_accepts(game.player_fields()[f].type, player.fields()[f]),
                 "player field %s holds %s", game.player_fields()[f].name.c_str(),
                 player.fields()[f].dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    }
  }
  for (const livectl::Group& group : session.groups()) {
    for (size_t f = 0; f < group.fields().size(); ++f) {
      FUZZ_CHECK(livectl::field_accepts(game.group_fields()[f].type, group.fields()[f]),
                 "group field %s holds %s", game.group_fields()[f].name.c_str(),
                 group.fields()[f].dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    }
  }
  (void)session.digest();
  // The session goes on: each participant arrives, sends the state request
  // every page starts with, and submits.
  int64_t now_ms = session.now_ms();
  for (uint32_t p = 1; p <= session.participant_count(); ++p) {
    for (const livectl::EventKind kind :
         {livectl::EventKind::kArrive, livectl::EventKind::kLive, livectl::EventKind::kSubmit}) {
      livectl::Event event;
      event.kind = kind;
      event.participant = p;
      // A damaged clock may stand at the end of time; it stays there.
      if (now_ms < INT64_MAX) ++now_ms;
      event.time_ms = now_ms;
      event.data = Json::object();
      const std::string before = session.digest();
      const livectl::EventResult& result = session.apply(event);
      if (result.error) {
        FUZZ_CHECK(session.digest() == before, "a rejected event changed the restored state: %s",
                   result.error->c_str());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  livectl_register_examples();  // as a livectl binary's main does
  static Template t_;           // its folder is removed at exit
  Template* t = &t_;
  FuzzInput in(data, size);
  const StoredCode& chosen = t->sessions[in.below(static_cast<uint32_t>(t->sessions.size()))];
  const bool replay = in.flag();

  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ignored;
    fs::remove(t->path + suffix, ignored);
  }
  {
    std::ofstream out(t->path, std::ios::binary | std::ios::trunc);
    out.write(t->bytes.data(), static_cast<std::streamsize>(t->bytes.size()));
    if (!out) std::abort();
  }
  damage(*t, in);

  try {
    livectl::SqlStore::Options options;
    options.mode = livectl::SqlStore::Mode::kRead;
    std::unique_ptr<livectl::SqlStore> store;
    if (!livectl::SqlStore::open(t->path, options, &store).ok()) return 0;
    std::vector<livectl::StoredSession> listed;
    (void)store->list_sessions(&listed);
    if (replay) {
      std::optional<livectl::StoredSession> stored;
      if (!store->find_session(chosen.code, &stored).ok() || !stored) return 0;
      livectl::ReplayResult result;
      const livectl::Status status = livectl::replay_session(
          *store, *stored, [](std::string_view name) { return livectl::find_game(name); }, &result);
      if (status.ok() && result.matches) {
        FUZZ_CHECK(!result.digest.empty(), "a replay that matches has no digest");
      }
      return 0;
    }
    livectl::MemoryStore records(/*keep_log=*/false);
    std::unique_ptr<livectl::Session> session;
    const livectl::Status status =
        store->load_session(chosen.code, *chosen.game, &session, &records);
    if (!status.ok()) return 0;
    FUZZ_CHECK(session != nullptr, "load_session is ok without a session");
    check_restored(*session);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "restoring threw: %s", e.what());
  }
  return 0;
}
