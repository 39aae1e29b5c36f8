#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "games/registry.h"
#include "server/codes.h"
#include "server/server.h"
#include "store/sqlite_store.h"

namespace livectl::cli {

namespace {

// A large lab or online study; every link is printed, one per line.
constexpr int kMaxServedParticipants = 10000;

// Played by two people in two browsers, it shows everything live pages do.
constexpr const char* kDefaultGame = "tictactoe";

struct ServeArgs {
  std::string game;
  std::optional<int> participants;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string db = "livectl.db";
  server::ServerLimits limits;
};

// The server's storage seam over SQLite: one commit per event-loop turn.
class SqliteDurability final : public server::Durability {
 public:
  explicit SqliteDurability(SqliteStore& db) : db_(db) {}
  Store& store() override { return db_; }
  Status commit(std::vector<std::string>* lost) override {
    Status status = db_.flush();
    if (!status.ok()) *lost = db_.take_lost_sessions();
    return status;
  }
  Status reload(const std::string& code, const Game& game, std::unique_ptr<Session>* out) override {
    return db_.load_session(code, game, out);
  }

 private:
  SqliteStore& db_;
};

// Every session `serve` stored in `db` before, added to `host`.
int resume_sessions(SqliteStore& db, server::SessionHost& host) {
  std::vector<StoredSession> stored;
  if (Status status = db.list_sessions(&stored); !status.ok()) throw UsageError(status.message());
  int resumed = 0;
  for (const StoredSession& entry : stored) {
    if (entry.origin != "serve") continue;
    const Game* game = find_game(entry.game);
    if (!game) {
      throw UsageError(db.path() + " holds session " + entry.code + " of game '" + entry.game +
                       "', which this livectl does not have");
    }
    std::unique_ptr<Session> session;
    if (Status status = db.load_session(entry.code, *game, &session); !status.ok()) {
      throw UsageError(status.message());
    }
    if (Status status = host.add_session(std::move(session)); !status.ok()) {
      throw UsageError(status.message());
    }
    ++resumed;
  }
  return resumed;
}

// A new session of `args.game` with codes from the OS's CSPRNG, stored in `db`.
void create_session(const ServeArgs& args, SqliteStore& db, server::SessionHost& host) {
  const std::string name = args.game.empty() ? kDefaultGame : args.game;
  const Game* game = find_game(name);
  if (!game) throw UsageError("unknown game '" + name + "'; the games are " + game_names());
  SessionConfig config;
  config.participants = args.participants.value_or(game->players_per_group());
  config.seed = server::random_seed();
  config.code = server::random_code();
  for (int i = 0; i < config.participants; ++i) {
    config.participant_codes.push_back(server::random_code());
  }
  std::unique_ptr<Session> session;
  try {
    session = std::make_unique<Session>(*game, db, config);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--participants: ") + e.what());
  }
  const Session& added = *session;
  // The templates are checked before anything is written.
  if (Status status = host.add_session(std::move(session)); !status.ok()) {
    throw UsageError(status.message());
  }
  if (Status status = db.add_session(added, "serve", Json::object()); !status.ok()) {
    throw UsageError(status.message());
  }
  if (Status status = db.flush(); !status.ok()) throw UsageError(status.message());
}

// The address people type: a wildcard host is this machine's name.
std::string public_host(const std::string& host) {
  if (host != "0.0.0.0" && host != "::") {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
  }
  char name[256] = {};
  return gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
}

int run_serve(const ServeArgs& args) {
  std::unique_ptr<SqliteStore> db;
  if (Status status = SqliteStore::open(args.db, &db); !status.ok()) {
    throw UsageError(status.message());
  }
  SqliteDurability durability(*db);
  server::SessionHost host(durability, args.limits, &server::Server::wake);
  const int resumed = resume_sessions(*db, host);
  if (resumed == 0) create_session(args, *db, host);

  std::unique_ptr<server::Server> server;
  if (Status status = server::Server::start(host, args.host, args.port, &server); !status.ok()) {
    throw UsageError(status.message());
  }
  const std::string base =
      "http://" + public_host(args.host) + ":" + std::to_string(server->port());
  if (resumed > 0) {
    std::printf("resumed %d session%s from %s\n", resumed, resumed == 1 ? "" : "s",
                args.db.c_str());
  }
  for (uint32_t s = 0; s < host.session_count(); ++s) {
    const Session& session = host.session(s);
    std::printf("session %s: %s, %zu participants\n", session.code().c_str(),
                session.game().name().c_str(), session.participant_count());
    for (const Player& player : session.players()) {
      std::printf("  participant %u: %s/p/%s\n", player.participant().id_in_session, base.c_str(),
                  player.participant().code.c_str());
    }
  }
  std::printf("serving on %s (stored in %s; Ctrl-C stops)\n", base.c_str(), args.db.c_str());
  std::fflush(stdout);

  const Status status = server->run();
  server.reset();
  if (Status flushed = db->flush(); !flushed.ok()) throw std::runtime_error(flushed.message());
  if (!status.ok()) throw std::runtime_error(status.message());
  std::fprintf(stderr, "livectl: stopped after %llu events; everything is stored in %s\n",
               static_cast<unsigned long long>(host.events_applied()), args.db.c_str());
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ServeArgs>();
  auto* command = app.add_subcommand(
      "serve",
      "Host sessions for people in browsers: print each participant's link, serve pages\n"
      "and live messages over HTTP and WebSockets on one port (docs/protocol.md).\n"
      "Resumes the sessions stored in --db; creates one when there are none.");
  command->add_option(
      "--game", args->game,
      "the game of a new session (see 'livectl games'; default tictactoe); a --db that holds\n"
      "sessions resumes them instead");
  command
      ->add_option("--participants", args->participants,
                   "participants in a new session, a multiple of the group size\n"
                   "(default: one group)")
      ->check(CLI::Range(1, kMaxServedParticipants));
  command->add_option("--host", args->host,
                      "IP address to listen on; 0.0.0.0 serves a lab network\n"
                      "(default 127.0.0.1: this machine only, the safe choice)");
  command->add_option("--port", args->port, "port to listen on; 0 picks a free one (default 8000)");
  command->add_option(
      "--db", args->db,
      "SQLite file holding the sessions (docs/storage.md); a restart with the same\n"
      "file resumes them (default livectl.db)");
  command
      ->add_option("--max-frame", args->limits.max_frame_bytes,
                   "largest WebSocket message in bytes; a larger one closes its connection\n"
                   "(default 65536: a liveSend is a small JSON value)")
      ->check(CLI::Range(size_t{64}, size_t{16} << 20));
  command
      ->add_option("--max-queue", args->limits.max_queue_bytes,
                   "bytes of unsent frames per connection before it is closed as too slow\n"
                   "(default 1048576)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30));
  command
      ->add_option("--max-rate", args->limits.messages_per_second,
                   "messages per second per connection, with bursts of twice as many; more are\n"
                   "dropped and the sender told (default 50; 0 = no limit)")
      ->check(CLI::Range(0.0, 1e6));
  command->callback([&run, args] {
    args->limits.message_burst = 2 * args->limits.messages_per_second;
    run = [args] { return run_serve(*args); };
  });
}

}  // namespace livectl::cli
