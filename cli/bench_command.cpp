// `livectl bench`: drives a running `livectl serve` over real WebSockets
// and reports throughput, round trips, errors and the server's memory
// (bench/load/, docs/performance.md).
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "bench/load/load_generator.h"
#include "bench/load/load_report.h"
#include "bench/load/process_stats.h"
#include "bench/load/served_database.h"
#include "cli/commands.h"

namespace livectl::cli {

namespace {

// Long enough to see a steady state and a stable p99, short enough to rerun.
constexpr double kDefaultDurationSeconds = 10;
// 10,000 participants connect in a few seconds on the development machine;
// an auction group also waits until all three have arrived.
constexpr double kDefaultConnectTimeoutSeconds = 30;
// Per participant in the open loop: the schedule runs on a 1 ms tick.
constexpr double kMaxRate = 1000;
// A bench is a measurement, not a soak test: a day is the outer bound.
constexpr double kMaxDurationSeconds = 24 * 3600;

struct BenchArgs {
  std::string db = "livectl.db";
  std::string session;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::optional<int> participants;
  std::optional<double> rate;
  bool idle = false;
  double duration = kDefaultDurationSeconds;
  double connect_timeout = kDefaultConnectTimeoutSeconds;
  int64_t reply_timeout_ms = 1000;
  std::optional<int> server_pid;
  uint64_t seed = 1;
  bool json = false;
  bool quiet = false;
};

// Fails fast, with a sentence, when nothing listens where the bench is
// pointed: otherwise every connection would fail until the connect timeout.
void check_server_listens(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    throw UsageError("--host " + host + " is not an IP address (give e.g. 127.0.0.1)");
  }
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  const bool listening = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  if (!listening) {
    throw std::runtime_error("nothing accepts connections on " + host + " port " +
                             std::to_string(port) + "; start 'livectl serve' first");
  }
}

int run_bench(const BenchArgs& args) {
  if (args.rate && args.idle) throw UsageError("--rate and --idle exclude each other");
  if (args.rate && !(*args.rate > 0)) throw UsageError("--rate must be above 0");

  std::unique_ptr<load::ServedDatabase> db;
  if (Status status = load::ServedDatabase::open(args.db, &db); !status.ok()) {
    throw UsageError(status.message());
  }
  std::vector<load::ServedParticipant> participants;
  if (Status status = db->participants(args.session, &participants); !status.ok()) {
    throw UsageError(status.message());
  }
  if (args.participants) {
    if (static_cast<size_t>(*args.participants) > participants.size()) {
      throw UsageError("--participants " + std::to_string(*args.participants) + ": " + args.db +
                       " holds only " + std::to_string(participants.size()) +
                       " served participants");
    }
    participants.resize(*args.participants);
  }

  load::RunDescription run;
  run.db = args.db;
  std::set<std::string> games;
  for (const load::ServedParticipant& participant : participants) {
    games.insert(participant.game);
    if (run.sessions.empty() || run.sessions.back() != participant.session) {
      run.sessions.push_back(participant.session);
    }
  }
  for (const std::string& game : games) run.game += (run.game.empty() ? "" : ", ") + game;

  load::LoadOptions& options = run.options;
  options.host = args.host;
  options.port = args.port;
  options.mode = args.idle   ? load::LoadMode::kIdle
                 : args.rate ? load::LoadMode::kOpenLoop
                             : load::LoadMode::kClosedLoop;
  options.rate = args.rate.value_or(0);
  options.duration_seconds = args.duration;
  options.connect_timeout_seconds = args.connect_timeout;
  options.reply_timeout_ms = args.reply_timeout_ms;
  options.seed = args.seed;
  if (args.server_pid) {
    if (!load::resident_kib(*args.server_pid)) {
      throw UsageError("--server-pid " + std::to_string(*args.server_pid) +
                       ": no process of this user has that id");
    }
    options.server_pid = args.server_pid;
  }
  check_server_listens(args.host, args.port);
  if (!options.server_pid) options.server_pid = load::find_listening_pid(args.port);
  if (!args.quiet) {
    options.on_progress = [](const load::Progress& progress) {
      std::fprintf(stderr, "livectl bench: %s\n", load::progress_line(progress).c_str());
    };
  }
  load::ServedDatabase* events_db = db.get();
  const std::vector<std::string> sessions = run.sessions;
  options.committed_events = [events_db, sessions]() -> std::optional<uint64_t> {
    uint64_t events = 0;
    if (!events_db->committed_events(sessions, &events).ok()) return std::nullopt;
    return events;
  };

  load::LoadReport report;
  if (Status status = load::run_load(participants, options, &report); !status.ok()) {
    throw UsageError(status.message());
  }
  if (args.json) {
    std::cout << load::report_json(run, report).dump(2) << "\n";
  } else {
    load::print_report_table(stdout, run, report);
  }
  return report.errors() == 0 && report.ready > 0 ? 0 : 1;
}

}  // namespace

void add_bench_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<BenchArgs>();
  auto* command = app.add_subcommand(
      "bench",
      "Load-test a running 'livectl serve' over real WebSockets: one connection per\n"
      "participant, each played by the game's bot, then messages/s, deliveries/s, round-trip\n"
      "percentiles, errors and the server's memory (docs/performance.md). Participant codes\n"
      "come from the server's --db, read-only. Closed loop by default: each participant sends,\n"
      "waits for its reply (or learns the game answers with nothing), and sends again. Start\n"
      "the server with --max-rate 0, or its rate limit answers a fast loop with errors.\n"
      "Exit 0: the run saw no errors; 1: errors, or nobody connected; 2: bad usage.");
  command
      ->add_option("--db", args->db,
                   "the database the server was started with: an SQLite file or a\n"
                   "postgresql:// URI (default: $LIVECTL_DATABASE_URL, else livectl.db)")
      ->envname("LIVECTL_DATABASE_URL");
  command->add_option("--session", args->session,
                      "the served session to load (default: every served session in --db)");
  command->add_option("--host", args->host, "the server's address (default 127.0.0.1)");
  command->add_option("--port", args->port, "the server's port (default 8000)")
      ->check(CLI::Range(1, 65535));
  command
      ->add_option("--participants,-n", args->participants,
                   "connect only the first N participants (default: all of them); take whole\n"
                   "groups, or the members left out keep the others on the wait page")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--rate", args->rate,
                   "open loop: each participant sends this many messages a second, whatever\n"
                   "the replies, up to 1000 (default: closed loop)")
      ->check(CLI::Range(0.0, kMaxRate));
  command->add_flag("--idle", args->idle,
                    "connect every participant and hold, sending nothing: for the server's\n"
                    "memory per connection");
  command
      ->add_option("--duration,-d", args->duration,
                   "seconds to measure, after everyone is connected (default 10)")
      ->check(CLI::Range(0.1, kMaxDurationSeconds));
  command
      ->add_option("--connect-timeout", args->connect_timeout,
                   "seconds to wait for every participant to be on a live page; measuring then\n"
                   "starts with those who are (default 30)")
      ->check(CLI::Range(0.1, 3600.0));
  command
      ->add_option("--reply-timeout", args->reply_timeout_ms,
                   "milliseconds after which a send with no reply counts as unanswered and the\n"
                   "closed loop sends again (default 1000)")
      ->check(CLI::Range(int64_t{1}, int64_t{600000}));
  command->add_option("--server-pid", args->server_pid,
                      "the server process whose VmRSS to report (default: the process of this\n"
                      "user listening on --port)");
  command->add_option("--seed,-s", args->seed, "seed for the bots' choices (default 1)");
  command->add_flag("--json", args->json, "print one JSON object instead of the table");
  command->add_flag("--quiet,-q", args->quiet, "no progress lines on stderr");
  command->callback([&run, args] { run = [args] { return run_bench(*args); }; });
}

}  // namespace livectl::cli
