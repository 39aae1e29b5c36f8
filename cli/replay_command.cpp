#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "engine/registry.h"
#include "store/replay.h"
#include "store/sql_store.h"

namespace livectl::cli {

namespace {

struct ReplayArgs {
  std::string db;
  std::string session;
};

int run_replay(const ReplayArgs& args) {
  std::unique_ptr<SqlStore> store;
  SqlStore::Options options;
  options.mode = SqlStore::Mode::kRead;
  if (Status status = SqlStore::open(args.db, options, &store); !status.ok()) {
    throw UsageError(status.message());
  }
  std::vector<StoredSession> sessions;
  if (args.session.empty()) {
    if (Status status = store->list_sessions(&sessions); !status.ok()) {
      throw UsageError(status.message());
    }
    if (sessions.empty()) {
      std::printf("%s holds no sessions\n", store->path().c_str());
      return 0;
    }
  } else {
    std::optional<StoredSession> one;
    if (Status status = store->find_session(args.session, &one); !status.ok()) {
      throw UsageError(status.message());
    }
    if (!one) throw UsageError(store->path() + " has no session " + args.session);
    sessions.push_back(std::move(*one));
  }

  int mismatches = 0;
  for (const StoredSession& session : sessions) {
    ReplayResult result;
    if (Status status = replay_session(*store, session, find_game, &result); !status.ok()) {
      throw UsageError(status.message());
    }
    const auto events = static_cast<unsigned long long>(result.events);
    if (result.matches) {
      std::printf("OK %s %s %llu events digest %s\n", session.code.c_str(), session.game.c_str(),
                  events, result.digest.c_str());
    } else if (result.divergent_seq > 0) {
      ++mismatches;
      std::printf("MISMATCH %s %s first divergence at event %llu: %s\n", session.code.c_str(),
                  session.game.c_str(), static_cast<unsigned long long>(result.divergent_seq),
                  result.divergence.c_str());
    } else {
      ++mismatches;
      std::printf("MISMATCH %s %s %llu events: %s\n", session.code.c_str(), session.game.c_str(),
                  events, result.divergence.c_str());
    }
    std::fflush(stdout);
  }
  return mismatches > 0 ? 1 : 0;
}

}  // namespace

void add_replay_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ReplayArgs>();
  auto* command = app.add_subcommand(
      "replay",
      "Rebuild each stored session from its event log alone, through the same door as live\n"
      "events and with the recorded times, and compare every event's outcome and the final state\n"
      "with what is stored. Prints OK or MISMATCH (with the first event where they diverge) per\n"
      "session; exit 1 on any mismatch, 2 when the database cannot be read.");
  add_stored_db_option(command, &args->db);
  command->add_option("--session", args->session, "replay only the session with this code");
  command->callback([&run, args] { run = [args] { return run_replay(*args); }; });
}

}  // namespace livectl::cli
