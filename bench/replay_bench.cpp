// Replay speed: `livectl replay` of a stored session, from opening its log to
// the final comparison with the stored state. The session is played once by
// the game's bots into a temporary database and replayed on every iteration.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bench/support.h"
#include "bots/simulation.h"
#include "engine/registry.h"
#include "store/replay.h"
#include "store/sql_store.h"

namespace livectl::bench {
namespace {

// A stored session and the folder holding its database.
struct StoredLog {
  TempDir dir;
  std::string path = dir.file("livectl.db");
  std::string code;
  uint64_t events = 0;
  std::string error;  // why it could not be made; empty when it was
};

// Plays `game` with its bots, `participants` strong, for at most `messages`
// messages, committing every 1000 events as `livectl simulate --db` does.
std::unique_ptr<StoredLog> play(const Game& game, int participants, int64_t messages) {
  auto log = std::make_unique<StoredLog>();
  std::unique_ptr<SqlStore> store;
  if (Status status = SqlStore::open(log->path, &store); !status.ok()) {
    log->error = status.message();
    return log;
  }
  SessionConfig config;
  config.participants = participants;
  config.seed = 1;
  Session session(game, *store, config);
  if (Status status = store->add_session(session, "simulate", Json::object()); !status.ok()) {
    log->error = status.message();
    return log;
  }
  SimulationOptions options;
  options.max_messages = messages;
  options.store = store.get();
  options.commit_every = 1000;
  const SimulationReport report = simulate(session, options);
  if (!report.failure.empty()) log->error = report.failure;
  if (!report.checks_passed()) log->error = "an invariant of " + game.name() + " failed";
  log->code = session.code();
  log->events = session.last_seq();
  return log;
}

// Made on first use and kept until the process exits, so that the
// benchmark's repeated runs replay the same log without playing it again.
const StoredLog& stored_log(const Game& game, int participants, int64_t messages) {
  static std::map<std::string, std::unique_ptr<StoredLog>> logs;
  std::unique_ptr<StoredLog>& log = logs[game.name()];
  if (!log) log = play(game, participants, messages);
  return *log;
}

void replay(benchmark::State& state, const char* game_name, int participants, int64_t messages) {
  const Game* game = find_game(game_name);
  if (!game) return fail(state, std::string("livectl has no game ") + game_name);
  const StoredLog& log = stored_log(*game, participants, messages);
  if (!log.error.empty()) return fail(state, log.error);

  // Opened as `livectl replay` opens it.
  SqlStore::Options options;
  options.mode = SqlStore::Mode::kRead;
  std::unique_ptr<SqlStore> store;
  if (Status status = SqlStore::open(log.path, options, &store); !status.ok()) {
    return fail(state, status.message());
  }
  std::optional<StoredSession> session;
  if (Status status = store->find_session(log.code, &session); !status.ok() || !session) {
    return fail(state, "the stored session " + log.code + " cannot be found: " + status.message());
  }
  int64_t events = 0;
  for (auto _ : state) {
    ReplayResult result;
    if (Status status = replay_session(*store, *session, find_game, &result); !status.ok()) {
      fail(state, status.message());
      break;
    }
    if (!result.matches) {
      fail(state, "replay diverged at event " + std::to_string(result.divergent_seq) + ": " +
                      result.divergence);
      break;
    }
    if (result.events != log.events) {
      fail(state, "replay went through " + std::to_string(result.events) + " events, not " +
                      std::to_string(log.events));
      break;
    }
    events += static_cast<int64_t>(result.events);
  }
  state.SetItemsProcessed(events);
  state.counters["events"] = static_cast<double>(log.events);
}

// Auction bots never stop bidding: the log is as long as the message budget.
BENCHMARK_CAPTURE(replay, auction, "auction", 12, 10000)
    ->Name("replay/auction")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Every tictactoe game ends; 300 players finish well within the budget.
BENCHMARK_CAPTURE(replay, tictactoe, "tictactoe", 300, 100000)
    ->Name("replay/tictactoe")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace livectl::bench
