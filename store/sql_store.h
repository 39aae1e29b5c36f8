#pragma once
// A database as the engine's Store: sessions, participants, groups,
// players, extra records and the event log, in one SQLite file or in a
// PostgreSQL database, with the same tables and the same semantics
// (docs/storage.md).
//
// Batches: the first record() after a flush() opens a write transaction;
// every record() adds one event (with the records it added) to it; flush()
// writes the latest group, player, page and progress values of the sessions
// the batch touched and commits. Deliveries of an event may be released once
// a flush() after its record() returned ok. Calling flush() every N events,
// or whenever the input queue runs dry, is group commit.
//
// Failure: when record() or flush() fails (a full disk, another process
// holding the lock), the whole open batch is rolled back in the database;
// the store then refuses to record until the caller has taken the list of
// sessions that batch touched (take_lost_sessions()). Those Session objects
// are ahead of the database and must be rebuilt with load_session(); the
// deliveries of their unflushed events must be dropped, never released.
//
// Commits off the caller's thread (serve): after start_writer(),
// flush_async() may hand the batch to a thread of the store's own, which
// executes and commits it while record() goes on into the next batch. The
// writes of a batch are captured at record() and flush_async() (values
// copied; the thread never sees a Session); finish_flush() gives the
// outcome. A failed batch loses its sessions and those of every event
// recorded after it. Every other call that uses the database first waits
// for the running batch and executes the open batch's captured writes, so
// it behaves as without a writer.
//
// Where a batch commits: handing a batch over costs a wake-up and two
// context switches each way, more than a quick commit (docs/performance.md,
// "What the server pays per message"). So flush_async() commits on the
// caller's thread while commits are quick, and on the writer for a while
// after one was slow (a disk that stalls, a database far away), so that
// the caller's event loop goes on meanwhile.
//
// Single-threaded, like the sessions it records: only the writer's own
// thread runs beside the caller's, and only on what flush_async() gave it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/session.h"
#include "engine/store.h"

namespace livectl {

namespace store {
class BatchWriter;
class CapturedWrites;
class Database;
class Statement;
struct GameStatements;
}  // namespace store

// A session as the sessions table describes it.
struct StoredSession {
  std::string code;
  // The game it plays; a session of several games: their names in order,
  // joined by ',' (store::games_column).
  std::string game;
  std::vector<std::string> game_names() const;  // `game` split at ','
  int participants = 0;
  uint64_t seed = 0;
  std::string origin;  // "simulate", "serve", "test"
  Json config;         // what the origin needs to continue it
  std::string created;
  uint64_t last_seq = 0;
  // The session configuration it was created from (SessionConfig).
  std::string config_name;
  Json params = Json::object();
  double real_world_currency_per_point = 1;
  double participation_fee = 0;

  // Whether participants arrive by events (SessionConfig::arrivals): the
  // config's "arrivals" when it is a boolean, else false. Never throws, even
  // on a damaged config that is not an object.
  bool arrivals() const {
    const auto found = config.find("arrivals");
    return found != config.end() && *found == true;
  }
  // The configuration to rebuild the session with: participants, seed,
  // code, arrivals, parameters and money settings.
  SessionConfig session_config() const;
};

class SqlStore final : public Store {
 public:
  enum class Mode {
    kWrite,  // create if missing; one writing process per database
    kRead,   // replay, export: the database must exist; records nothing
  };
  struct Options {
    Mode mode = Mode::kWrite;
    // Caps an SQLite file at this many pages (0 = no cap); past it every
    // write fails as on a full disk. For tests.
    int64_t max_page_count = 0;
  };

  // Opens or creates the database `path`: an SQLite file, or a PostgreSQL
  // database named by a "postgresql://" URI (its tables go in the
  // connection's current schema). Errors, one sentence each, PATH being the
  // file or the URI without its password:
  //   "PATH is not a livectl database"
  //   "PATH was written by a newer livectl (schema N; this livectl reads schema M)"
  //   "PATH is locked by another process"
  //   "the disk holding PATH is full"
  //   "PATH does not exist" (an SQLite file, kRead)
  //   "cannot connect to PATH: REASON" (PostgreSQL)
  // None of them changes the database.
  static Status open(const std::string& path, Options options, std::unique_ptr<SqlStore>* out);
  // True for a PostgreSQL URI ("postgresql://...", "postgres://..."),
  // false for anything open() would take as an SQLite file.
  static bool is_postgres(std::string_view target);
  static Status open(const std::string& path, std::unique_ptr<SqlStore>* out) {
    return open(path, Options{}, out);
  }
  // Rolls back an unflushed batch: its deliveries were never released.
  ~SqlStore() override;

  const std::string& path() const;

  // ---- Store ----
  // REQUIRES: `session` was added, attached or loaded. The seq, clock and
  // generator state after the event, and the group/player/page values it
  // changed, are taken from `session` now; `session` need not live until
  // flush().
  Status record(const Session& session, const Event& event, const EventResult& result,
                std::span<const Change> changes) override;
  Status flush() override;

  // ---- Commits off the caller's thread ----
  // A commit that took longer than this sends the next ones to the writer.
  static constexpr std::chrono::milliseconds kSlowCommit{10};
  // Starts the writer thread. `done` is called on it each time a batch it
  // was given ends (quick and thread-safe: serve wakes its event loop).
  // Batches commit on the caller's thread until one takes longer than
  // `slow_commit`; the following ones go to the writer until none of its
  // commits has been slow for a hold of 1 s, which doubles each time a
  // commit on the caller's thread is slow again (up to 64 s). Zero: every
  // batch goes to the writer.
  void start_writer(std::function<void()> done,
                    std::chrono::steady_clock::duration slow_commit = kSlowCommit);
  // Whether the next batch commits on this thread (see start_writer).
  bool commits_here() const { return commits_here_; }
  // Commits everything recorded since the last flush, on this thread or
  // (see start_writer) by handing it to the writer and returning at once:
  // `*started` is true when it was handed over, false when it committed
  // here (the status is its outcome, as flush()'s) or there was nothing
  // to commit. Without a writer: flush(), `*started` false. Errors: an
  // earlier failure not yet taken (take_lost_sessions()), a failed commit
  // here.
  // REQUIRES: no batch running (flush_finished() and finish_flush() after
  // the last start).
  Status flush_async(bool* started);
  // Whether the batch flush_async() started has ended (true when none
  // runs); never blocks.
  bool flush_finished();
  // Waits for the batch flush_async() started: ok when it is durable (its
  // deliveries may be released). On failure it was rolled back, and so
  // was everything recorded after it: take_lost_sessions() names the
  // sessions of both. Ok when none was started.
  Status finish_flush();

  // ---- Sessions ----
  // Writes a new session (configuration, participants, initial group and
  // player rows, creating the game's tables on first use) into the open
  // batch, and attaches it. REQUIRES: no event applied yet (last_seq() == 0).
  // `origin` names who runs it ("simulate", "serve", "test"); `config` is
  // kept as JSON for it. Fails when the code is taken.
  Status add_session(const Session& session, const std::string& origin, const Json& config);
  // Binds a Session the caller built itself to the stored session with the
  // same code, so that its next events continue that session's log.
  // REQUIRES: its state equals the stored one (compare digest() with a
  // load_session()), and last_seq() equals the stored last_seq.
  Status attach(const Session& session);
  // Makes this store the one that writes session `code` (claimed: true),
  // or finds that another process does (false). SQLite: a file has one
  // writer, so always true. PostgreSQL: several processes may write one
  // database, each session from one of them at a time: an advisory lock
  // held for the connection's life, which the server drops by itself when
  // the process dies (docs/storage.md, "PostgreSQL"). add_session, attach
  // and load_session claim the session themselves and fail with "session
  // CODE in PATH is run by another process" when they cannot.
  Status claim(const std::string& code, bool* claimed);
  // claim(), with that error when another process still has the session
  // after a second.
  Status claim_or_refuse(const std::string& code);
  // Gives up session `code`, which this store claimed and has committed
  // everything of (no unflushed event of it): another process may claim it
  // now, and this store writes it no more (it is detached). PostgreSQL
  // only: on SQLite the file's one writer cannot hand a session on.
  Status release(const std::string& code);
  // Where each stored session runs, for several processes on one
  // PostgreSQL database: every session with its node (owner_of's name, ""
  // while nobody holds it), oldest first, and the node names of the
  // processes connected now (set_node_name), sorted. On SQLite: this
  // store's own sessions, each with node "", and no nodes.
  struct Placement {
    StoredSession session;
    std::string node;
  };
  Status placements(std::vector<Placement>* sessions, std::vector<std::string>* nodes);
  // Names this process to the others sharing a PostgreSQL database: what
  // owner_of() tells them (serve: the address its port is reached at).
  // Nothing on SQLite.
  Status set_node_name(const std::string& name);
  // Who runs the session of the participant with `participant_code`: the
  // node name of the process holding its claim (set_node_name), "" when
  // the participant is known but nobody holds the claim now (its process
  // died and nobody has taken it over yet); nullopt when no stored session
  // has that participant. PostgreSQL only; on SQLite this store's own
  // sessions are the file's.
  Status owner_of(const std::string& participant_code, std::optional<std::string>* node);
  // The stored session `code`, or nullopt when there is none.
  Status find_session(const std::string& code, std::optional<StoredSession>* out);
  // Every stored session, oldest first.
  Status list_sessions(std::vector<StoredSession>* out);
  // Rebuilds session `code` as of the last commit, through Session's
  // restore_* API, for `games` (which must be the games it was created
  // with, in order). The new Session records into `records_to` (this store
  // when null, in which case it is attached). REQUIRES: no unflushed batch.
  // The payloads each participant of `session` (attached, flushed) received
  // on the page they are on, oldest first, the last `limit` at most:
  // (*out)[id_in_session - 1]. Reads the event log from the earliest event
  // that brought a participant to their page.
  Status page_deliveries(const Session& session, size_t limit,
                         std::vector<std::vector<PageDelivery>>* out);
  Status load_session(const std::string& code, std::vector<const Game*> games,
                      std::unique_ptr<Session>* out, Store* records_to = nullptr);
  Status load_session(const std::string& code, const Game& game, std::unique_ptr<Session>* out,
                      Store* records_to = nullptr) {
    return load_session(code, std::vector<const Game*>{&game}, out, records_to);
  }

  // After a failed record() or flush(): the codes of the sessions whose
  // unflushed events were rolled back (see the top of this file). Re-enables
  // recording; those sessions are detached.
  std::vector<std::string> take_lost_sessions();

  // Events recorded since the last flush.
  int64_t unflushed_events() const { return batch_events_; }

  // For replay and export, inside store/.
  store::Database& database() { return *db_; }

 private:
  struct Slot;
  explicit SqlStore(std::unique_ptr<store::Database> db);
  Slot* slot_for(const Session& session);
  Slot& attach_slot(const Session& session);
  store::GameStatements& statements_for(const Game& game);
  Status begin_batch();
  int write_dirty(Slot& slot);  // an SQLite result code
  // Marks the timer's row to be written (or deleted) at the next flush.
  void note_timer(Slot& slot, const Session& session, uint32_t app, uint32_t timer, uint32_t owner);
  Status fail(int code);
  // Drops the open batch after `failure` (the connection holds none of
  // it any more): its sessions are lost, recording refuses.
  Status lose_open_batch(Status failure);
  // Waits for the writer's batch and takes its outcome (outcome_).
  void join_writer();
  // The end of the batch numbered writing_batch_ (of writing_sessions_),
  // committed by the writer or here: on failure, it and the open batch
  // are lost.
  void end_batch(const Status& status);
  // Where the next batch commits, after one that took `took` here or on
  // the writer (start_writer).
  void place_commits(std::chrono::steady_clock::duration took, bool here);
  // join_writer(), then executes the open batch's captured writes here: the
  // connection is this thread's and as up to date as without a writer.
  void settle();
  void prepare_statements();

  std::unique_ptr<store::Database> db_;
  // Declared after db_ so that they are finalized before it closes.
  std::unique_ptr<store::Statement> begin_, commit_, rollback_, insert_event_, update_session_,
      update_page_, upsert_timer_, delete_timer_;
  std::unordered_map<const Game*, std::unique_ptr<store::GameStatements>> games_;
  std::unordered_map<std::string, std::unique_ptr<Slot>> slots_;  // by session code
  Slot* last_slot_ = nullptr;  // the last session recorded, for a lookup-free hot path
  std::vector<Slot*> dirty_;   // sessions with unflushed events
  bool in_batch_ = false;
  int64_t batch_events_ = 0;
  std::optional<Status> failure_;  // set from a failed write until take_lost_sessions()
  std::vector<std::string> lost_;
  std::unordered_set<std::string> claimed_;  // the sessions claim() took
  std::string scratch_;                      // reused for the deliveries JSON of each event

  // With a writer (start_writer): the open batch's writes, the batch the
  // writer has (its number and sessions), and its outcome once taken by
  // join_writer() and not yet given by finish_flush().
  std::unique_ptr<store::CapturedWrites> captured_, spare_;
  uint64_t batch_ = 1;  // the open batch's number (GameStatements::made_in_batch)
  uint64_t writing_batch_ = 0;
  std::vector<std::string> writing_sessions_;
  std::optional<Status> outcome_;
  // Where batches commit (start_writer): here while commits_here_, else on
  // the writer until here_again_ at the earliest.
  std::chrono::steady_clock::duration slow_commit_{};
  bool commits_here_ = true;
  // Doubled each time commits leave this thread: the first hold is 1 s.
  std::chrono::steady_clock::duration hold_ = std::chrono::milliseconds(500);
  std::chrono::steady_clock::time_point here_again_;
  // Last: stopped before the statements it may be executing are finalized.
  std::unique_ptr<store::BatchWriter> writer_;
};

}  // namespace livectl
