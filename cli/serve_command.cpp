#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "engine/registry.h"
#include "engine/study_config.h"
#include "server/admin.h"
#include "server/codes.h"
#include "server/room.h"
#include "server/server.h"
#include "store/export.h"
#include "store/sql_store.h"

namespace livectl::cli {

namespace {

using server::kMaxServedParticipants;

// Played by two people in two browsers, it shows everything live pages do.
// A study without it starts with its first configuration or game.
constexpr const char* kDefaultGame = "tictactoe";

struct ServeArgs {
  std::string game;
  std::string config;
  std::vector<std::string> sets;
  std::optional<int> participants;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string db = "livectl.db";
  std::optional<std::string> admin_password;  // none: one is generated and printed
  server::ServerLimits limits;
  int stall_timeout_seconds = 30;  // ServerLimits::stall_timeout_ms says why
  bool dev = false;                // templates read from the games' folders at each request
  std::string room;                // --room: its name; empty for none
  std::string labels;              // --labels: the room's participant label file
  std::string node;                // --node: this process's address for a proxy; "" = HOST:PORT
  std::string public_url;          // --public-url: what the links start with; "" = http://HOST:PORT
};

// The server's storage seam over the store: a commit per event-loop turn,
// one at a time. Once the server runs, a commit is made on the loop while
// commits are quick, and on the store's writer thread while the loop goes on
// after one was slow (SqlStore::start_writer).
class StoreDurability final : public server::Durability {
 public:
  explicit StoreDurability(SqlStore& db) : db_(db) {}
  Store& store() override { return db_; }
  Status commit(std::vector<std::string>* lost) override {
    Status status = db_.flush();
    if (!status.ok()) *lost = db_.take_lost_sessions();
    return status;
  }
  Status start_commit(bool* started, std::vector<std::string>* lost) override {
    Status status = db_.flush_async(started);
    if (!status.ok()) *lost = db_.take_lost_sessions();
    say_where_commits_run();
    return status;
  }
  bool commit_finished() override { return db_.flush_finished(); }
  Status finish_commit(std::vector<std::string>* lost) override {
    Status status = db_.finish_flush();
    if (!status.ok()) *lost = db_.take_lost_sessions();
    say_where_commits_run();
    return status;
  }
  Status reload(const std::string& code, const std::vector<const Game*>& games,
                std::unique_ptr<Session>* out) override {
    return db_.load_session(code, games, out);
  }
  Status page_deliveries(const Session& session, size_t limit,
                         std::vector<std::vector<PageDelivery>>* out) override {
    return db_.page_deliveries(session, limit, out);
  }

 private:
  // A commit that moves off the loop tells of a slow disk or database.
  void say_where_commits_run() {
    if (db_.commits_here() == commits_here_) return;
    commits_here_ = db_.commits_here();
    if (commits_here_) {
      std::fprintf(stderr, "livectl: commits are quick again: they run on the event loop\n");
    } else {
      std::fprintf(stderr,
                   "livectl: a commit took longer than %lld ms (a slow disk or database): "
                   "commits run beside the event loop until they are quick again\n",
                   static_cast<long long>(SqlStore::kSlowCommit.count()));
    }
  }

  SqlStore& db_;
  bool commits_here_ = true;  // as SqlStore::start_writer begins
};

// Every session `serve` stored in `db` before, added to `host`, but those
// another process runs (several `serve` processes may share a PostgreSQL
// database: SqlStore::claim), which `skipped` counts. Returns how many were
// added.
int resume_sessions(SqlStore& db, server::SessionHost& host, int* skipped = nullptr) {
  std::vector<StoredSession> stored;
  if (Status status = db.list_sessions(&stored); !status.ok()) throw UsageError(status.message());
  int resumed = 0;
  for (const StoredSession& entry : stored) {
    if (entry.origin != "serve") continue;
    // The games first: a session this binary cannot run is never claimed
    // (its lock would keep a process that can run it away).
    std::vector<const Game*> games;
    for (const std::string& name : entry.game_names()) {
      const Game* game = find_game(name);
      if (!game) {
        throw UsageError(db.path() + " holds session " + entry.code + " of game '" + name +
                         "', which this livectl does not have");
      }
      games.push_back(game);
    }
    bool claimed = false;
    if (Status status = db.claim(entry.code, &claimed); !status.ok()) {
      throw UsageError(status.message());
    }
    if (!claimed) {
      if (skipped) ++*skipped;
      continue;
    }
    std::unique_ptr<Session> session;
    if (Status status = db.load_session(entry.code, games, &session); !status.ok()) {
      throw UsageError(status.message());
    }
    if (Status status = host.add_session(std::move(session)); !status.ok()) {
      throw UsageError(status.message());
    }
    ++resumed;
  }
  return resumed;
}

// The node with the fewest participants in the sessions it runs (ties: the
// first name), among `nodes` and `own`.
std::string least_loaded(const std::vector<SqlStore::Placement>& sessions,
                         const std::vector<std::string>& nodes, const std::string& own) {
  std::map<std::string, int64_t> load;
  load[own] = 0;
  for (const std::string& node : nodes) load[node] = 0;
  for (const SqlStore::Placement& place : sessions) {
    if (!place.node.empty()) load[place.node] += place.session.participants;
  }
  std::string least = own;
  for (const auto& [node, participants] : load) {
    if (participants < load[least] || (participants == load[least] && node < least)) least = node;
  }
  return least;
}

// Takes over the sessions of processes that died (no process holds them),
// for several serve processes on one PostgreSQL database: each orphan goes
// to the least loaded process (least_loaded), which claims it at its next
// round; any process claims one that is still an orphan after three rounds
// (the least loaded one may be stuck). `rounds` counts, by session code,
// the rounds a session was seen an orphan. Prints each session taken over;
// a session of a game this binary lacks is reported once and left alone.
void take_over_orphans(SqlStore& db, server::SessionHost& host, const std::string& own,
                       std::map<std::string, int>* rounds) {
  std::vector<SqlStore::Placement> sessions;
  std::vector<std::string> nodes;
  if (Status status = db.placements(&sessions, &nodes); !status.ok()) {
    throw UsageError(status.message());
  }
  std::map<std::string, int> seen;
  for (const SqlStore::Placement& place : sessions) {
    const StoredSession& entry = place.session;
    if (!place.node.empty() || entry.origin != "serve" || host.has_session(entry.code)) continue;
    const int round = seen[entry.code] = (*rounds)[entry.code] + 1;
    if (least_loaded(sessions, nodes, own) != own && round < 3) continue;
    std::vector<const Game*> games;
    for (const std::string& name : entry.game_names()) {
      if (const Game* game = find_game(name)) games.push_back(game);
    }
    if (games.size() != entry.game_names().size()) {
      if (round == 1) {
        std::fprintf(stderr, "livectl: session %s plays '%s', which this livectl does not have\n",
                     entry.code.c_str(), entry.game.c_str());
      }
      continue;
    }
    bool claimed = false;
    if (Status status = db.claim(entry.code, &claimed); !status.ok()) {
      throw UsageError(status.message());
    }
    if (!claimed) continue;  // another process was quicker
    std::unique_ptr<Session> session;
    if (Status status = db.load_session(entry.code, games, &session); !status.ok()) {
      throw UsageError(status.message());
    }
    std::printf("took over session %s (%s, %zu participants, %llu events)\n",
                session->code().c_str(), session->games_text().c_str(),
                session->participant_count(), static_cast<unsigned long long>(session->last_seq()));
    std::fflush(stdout);
    if (Status status = host.add_session(std::move(session)); !status.ok()) {
      throw UsageError(status.message());
    }
    seen.erase(entry.code);
    // Counted at once, so that the next orphan may go to another process.
    for (SqlStore::Placement& mine : sessions) {
      if (mine.session.code == entry.code) mine.node = own;
    }
  }
  rounds->swap(seen);
}

// A new session of `game` with `base`'s participants, parameters and money
// settings (the configuration chosen), a random seed and codes from
// the OS's CSPRNG: stored and committed in `db`, then served by `host`. At
// start and from the admin pages alike. The host is settled first (nothing
// it applied is uncommitted), so that a failed commit loses only this
// session, which is not served yet. Errors: participants that do
// not fit the game (Session's message), page templates that do not compile,
// storage; after any of them nothing is served and nothing is stored. (The
// one error after storing, a participant code another session has, is a
// one-in-2^80 event.) With a `room`, the session is stored with the config
// {"room": NAME} (no schema change: the sessions table's origin JSON) and
// becomes the room's current session.
// With `place_from` (this process's node name, serve on PostgreSQL, not
// for a room): the session goes to the least loaded process: when that is
// another, it is stored, committed and given up (SqlStore::release), and
// that process takes it over within a second (take_over_orphans).
Status create_session(const std::vector<const Game*>& games, const SessionConfig& base,
                      SqlStore& db, server::SessionHost& host, server::Room* room,
                      std::string* code, const std::string& place_from = "") {
  SessionConfig config = base;
  config.seed = server::random_seed();
  config.code = server::random_code();
  config.arrivals = true;  // wait pages count who has opened their link
  for (int i = 0; i < config.participants; ++i) {
    config.participant_codes.push_back(server::random_code());
  }
  std::unique_ptr<Session> session;
  try {
    session = std::make_unique<Session>(games, db, config);
  } catch (const std::invalid_argument& e) {
    return Status::Error(e.what());
  }
  // The templates are checked before anything is written; the host is
  // given the session only once it is stored, so that it never serves one
  // the database does not hold.
  for (const Game* game : games) {
    if (Status status = host.load_pages(*game); !status.ok()) return status;
  }
  host.settle();
  Status stored =
      db.add_session(*session, "serve", room ? Json{{"room", room->name()}} : Json::object());
  if (stored.ok()) stored = db.flush();
  if (!stored.ok()) {
    db.take_lost_sessions();  // only this session, which nothing serves
    return stored;
  }
  *code = session->code();
  if (!place_from.empty() && !room) {
    std::vector<SqlStore::Placement> sessions;
    std::vector<std::string> nodes;
    if (Status status = db.placements(&sessions, &nodes); !status.ok()) return status;
    if (const std::string node = least_loaded(sessions, nodes, place_from); node != place_from) {
      if (Status status = db.release(*code); !status.ok()) return status;
      std::printf("session %s (%s, %zu participants) goes to %s, the least loaded process\n",
                  code->c_str(), session->games_text().c_str(), session->participant_count(),
                  node.c_str());
      std::fflush(stdout);
      return Status();
    }
  }
  if (Status status = host.add_session(std::move(session)); !status.ok()) return status;
  if (room) room->open(static_cast<uint32_t>(host.session_count() - 1));
  return Status();
}

// The host's index of the last-created session `db` stored in room `name`
// (its config's "room"); nullopt when there is none.
std::optional<uint32_t> stored_room_session(SqlStore& db, const server::SessionHost& host,
                                            const std::string& name) {
  std::vector<StoredSession> stored;
  if (Status status = db.list_sessions(&stored); !status.ok()) throw UsageError(status.message());
  for (auto entry = stored.rbegin(); entry != stored.rend(); ++entry) {
    const auto room = entry->config.is_object() ? entry->config.find("room") : entry->config.end();
    if (entry->origin != "serve" || room == entry->config.end() || *room != name) continue;
    for (uint32_t index = 0; index < host.session_count(); ++index) {
      if (host.session(index).code() == entry->code) return index;
    }
  }
  return std::nullopt;
}

// Deletes a folder and what it holds when it goes out of scope.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::error_code error;
    std::filesystem::path base = std::filesystem::temp_directory_path(error);
    if (error) base = "/tmp";
    std::string pattern = (base / "livectl-export-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::string& path() const { return path_; }  // empty when it could not be made

 private:
  std::string path_;
};

// `livectl export --session CODE --format F`, into memory, for the admin's
// download. A read-only connection of its own sees what is committed only,
// in one snapshot, while the server goes on writing.
Status export_session(const std::string& db_path, const std::string& code,
                      server::ExportFormat format, std::vector<server::ExportFile>* files) {
  std::unique_ptr<SqlStore> store;
  SqlStore::Options open_options;
  open_options.mode = SqlStore::Mode::kRead;
  if (Status status = SqlStore::open(db_path, open_options, &store); !status.ok()) return status;
  const TemporaryFolder folder;
  if (folder.path().empty()) {
    return Status::Error("cannot create a temporary folder for the export");
  }
  ExportOptions options;
  options.session = code;
  options.format = format == server::ExportFormat::kJson ? ExportOptions::Format::kJson
                                                         : ExportOptions::Format::kCsv;
  options.out_dir = folder.path();
  std::vector<ExportedFile> written;
  if (Status status = export_data(*store, options, &written); !status.ok()) return status;
  files->clear();
  for (const ExportedFile& file : written) {
    std::ifstream in(file.path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in) return Status::Error("cannot read back " + file.path);
    files->push_back(
        {std::filesystem::path(file.path).filename().string(), std::move(bytes).str()});
  }
  return Status();
}

// The address people type: a wildcard host is this machine's name.
std::string public_host(const std::string& host) {
  if (host != "0.0.0.0" && host != "::") {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
  }
  char name[256] = {};
  return gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
}

// Why `url` cannot be --public-url, or "" when it can: a scheme and a host
// (with a port or not), and nothing after it but one "/". A path could not
// work: the pages link to /p/..., /live.js and /admin from the root.
std::string public_url_problem(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return "must start with http:// or https://, as in https://study.example.org";
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string_view::npos) {
    return "must be a scheme and a host (and a port), without a path, as in "
           "https://study.example.org: the pages link to /p/... and /live.js from the root";
  }
  return "";
}

// The game and configuration of the session a new --db starts with.
struct NewSession {
  std::vector<const Game*> games;
  SessionConfig config;
};

// Checks what a new session needs, as the command line gives it.
// Throws UsageError, one sentence.
NewSession check_new_session(const ServeArgs& args) {
  NewSession wanted;
  std::string config = args.config;
  std::string game = args.game;
  if (config.empty() && game.empty()) {
    // livectl's own binary: tictactoe; a study: its first configuration,
    // else its first game.
    if (!declared_configs().empty()) {
      config = declared_configs().front().name;
    } else {
      game = find_game(kDefaultGame) ? kDefaultGame : all_games().front()->name();
    }
  }
  wanted.config =
      choose_config(config, game, args.sets, args.participants.value_or(0), &wanted.games);
  if (Status status = server::check_participants(wanted.games, wanted.config.participants);
      !status.ok()) {
    throw UsageError("--participants: " + status.message());
  }
  // Parameters are checked by creating the session, in memory.
  try {
    MemoryStore scratch(/*keep_log=*/false);
    Session check(wanted.games, scratch, wanted.config);
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  return wanted;
}

// The folder serve --dev reads `game`'s templates from: the one it was
// built from, when it is there (an installed livectl's examples were built
// on another machine); empty otherwise, for the compiled-in templates.
std::string dev_folder(const Game& game) {
  std::string folder(game_source_dir(game));
  std::error_code error;
  if (folder.empty() || !std::filesystem::is_directory(folder, error)) return {};
  return folder;
}

// serve --dev: where each game's templates are read from, and what is
// wrong with those of the games served now (their pages answer 500 until
// it is fixed; the server goes on).
void print_dev_templates(const server::SessionHost& host) {
  for (const Game* game : all_games()) {
    const std::string_view folder = game_source_dir(*game);
    if (folder.empty()) {
      std::printf("--dev: %s has no source folder; its compiled-in templates are served\n",
                  game->name().c_str());
    } else if (dev_folder(*game).empty()) {
      std::printf(
          "--dev: %s was built from %.*s/, which is not here; its compiled-in templates "
          "are served\n",
          game->name().c_str(), static_cast<int>(folder.size()), folder.data());
    } else {
      std::printf("--dev: the templates of %s are read from %.*s/ at every page request\n",
                  game->name().c_str(), static_cast<int>(folder.size()), folder.data());
    }
  }
  std::vector<const Game*> served;
  for (uint32_t s = 0; s < host.session_count(); ++s) {
    for (const Game* game : host.session(s).games()) {
      if (std::find(served.begin(), served.end(), game) != served.end()) continue;
      served.push_back(game);
      std::unique_ptr<server::GamePages> pages;
      if (Status status = server::GamePages::load(*game, host.dev_template_reader(), &pages);
          !status.ok()) {
        std::printf("--dev: %s; its pages answer 500 until it is fixed\n",
                    status.message().c_str());
      }
    }
  }
}

int run_serve(const ServeArgs& args) {
  // Everything the command line says is checked before --db is opened,
  // which creates it: a usage error leaves no file behind. (Whether a
  // --game given with an existing --db is used depends on what it holds:
  // that is checked after opening it, which creates nothing.)
  if (!args.labels.empty() && args.room.empty()) {
    throw UsageError("--labels needs --room NAME: the labels are a room's");
  }
  if (!args.room.empty() && !server::valid_room_name(args.room)) {
    throw UsageError("--room '" + args.room +
                     "': a room name is letters, digits, _ and - only (it is part of its URL)");
  }
  std::vector<std::string> labels;
  if (!args.labels.empty()) {
    if (Status status = server::read_room_labels(args.labels, &labels); !status.ok()) {
      throw UsageError(status.message());
    }
  }
  std::error_code ignored;
  // Before a new SQLite file is made: a bad --config leaves no file behind.
  if (SqlStore::is_postgres(args.db) || !std::filesystem::exists(args.db, ignored)) {
    check_new_session(args);
  }
  if (Status status = server::Server::check_address(args.host, args.port); !status.ok()) {
    throw UsageError(status.message());
  }
  std::unique_ptr<SqlStore> db;
  if (Status status = SqlStore::open(args.db, &db); !status.ok()) {
    throw UsageError(status.message());
  }
  StoreDurability durability(*db);
  server::SessionHost host(durability, args.limits, &server::Server::wake);
  if (args.dev) {
    host.set_dev_templates(
        server::folder_templates([](const Game& game) { return dev_folder(game); }, game_file));
  }
  std::unique_ptr<server::Room> room;
  if (!args.room.empty()) {
    room = std::make_unique<server::Room>(host, args.room, std::move(labels));
    host.set_room(room.get());
  }
  int elsewhere = 0;
  const int resumed = resume_sessions(*db, host, &elsewhere);
  if (room) {
    if (const std::optional<uint32_t> index = stored_room_session(*db, host, args.room)) {
      room->open(*index);
    }
  }
  // A room opens empty, as in oTree (the experimenter creates its session
  // on the admin page), unless the command line describes a session.
  const bool session_wanted = !args.game.empty() || !args.config.empty() ||
                              args.participants.has_value() || !args.sets.empty();
  // Nor does a process that joins others on a PostgreSQL database, unless
  // told what session to make: the sessions are theirs.
  if (resumed == 0 && (!room || session_wanted) && (elsewhere == 0 || session_wanted)) {
    const NewSession wanted = check_new_session(args);
    std::string code;
    if (Status status = create_session(wanted.games, wanted.config, *db, host, room.get(), &code);
        !status.ok()) {
      throw UsageError(status.message());
    }
  }

  // This process's name for the others on a PostgreSQL database (set once
  // the port is known); "" on SQLite.
  std::string node;
  server::AdminHooks hooks;
  hooks.create_session = [&](const std::vector<const Game*>& games, const SessionConfig& base,
                             const std::string& room_name, std::string* code) {
    return create_session(games, base, *db, host, room_name.empty() ? nullptr : room.get(), code,
                          node);
  };
  if (SqlStore::is_postgres(args.db)) {
    hooks.sessions_everywhere = [&](std::vector<server::SessionPlace>* out) {
      std::vector<SqlStore::Placement> sessions;
      std::vector<std::string> nodes;
      if (Status status = db->placements(&sessions, &nodes); !status.ok()) return status;
      out->clear();
      for (const SqlStore::Placement& place : sessions) {
        if (place.session.origin != "serve") continue;
        std::string games = place.session.game;
        for (size_t at = games.find(','); at != std::string::npos; at = games.find(',', at + 2)) {
          games.replace(at, 1, ", ");
        }
        out->push_back({place.session.code, games, place.session.participants,
                        place.session.last_seq, place.node});
      }
      return Status();
    };
  }
  hooks.export_session = [&](const std::string& code, server::ExportFormat format,
                             std::vector<server::ExportFile>* files) {
    return export_session(args.db, code, format, files);
  };
  const bool generated = !args.admin_password;
  // 80 bits from the OS's CSPRNG, like the participants' codes.
  const std::string password = generated ? server::random_code() : *args.admin_password;
  server::Admin admin(host, password, std::move(hooks));
  host.set_admin(&admin);
  admin.set_room(room.get());

  std::unique_ptr<server::Server> server;
  if (Status status = server::Server::start(host, args.host, args.port, &server); !status.ok()) {
    throw UsageError(status.message());
  }
  const std::string listening =
      "http://" + public_host(args.host) + ":" + std::to_string(server->port());
  // What every link printed or shown on the admin pages starts with.
  std::string base = args.public_url.empty() ? listening : args.public_url;
  if (base.ends_with('/')) base.pop_back();
  if (resumed > 0) {
    std::printf("resumed %d session%s from %s\n", resumed, resumed == 1 ? "" : "s",
                db->path().c_str());
  }
  if (elsewhere > 0) {
    std::printf("%d session%s in %s run%s in another process\n", elsewhere,
                elsewhere == 1 ? "" : "s", db->path().c_str(), elsewhere == 1 ? "s" : "");
  }
  for (uint32_t s = 0; s < host.session_count(); ++s) {
    const Session& session = host.session(s);
    std::printf("session %s: %s, %zu participants\n", session.code().c_str(),
                session.games_text().c_str(), session.participant_count());
    for (const Player& player : session.round_players(1)) {
      std::printf("  participant %u: %s/p/%s\n", player.participant().id_in_session, base.c_str(),
                  player.participant().code.c_str());
    }
  }
  if (room) {
    const std::string url = base + room->path();
    if (const std::optional<uint32_t> index = room->session()) {
      std::printf("room %s: %s (arrivals go to session %s)\n", room->name().c_str(), url.c_str(),
                  host.session(*index).code().c_str());
    } else {
      std::printf("room %s: %s (no session yet: create one on the admin page)\n",
                  room->name().c_str(), url.c_str());
    }
    for (const std::string& label : room->labels()) {
      std::printf("  %s: %s?participant_label=%s\n", label.c_str(), url.c_str(),
                  server::url_encoded(label).c_str());
    }
  }
  if (args.dev) print_dev_templates(host);
  admin.set_link_base(base);
  // A password that was given is never echoed (it would end up in logs).
  if (generated) {
    std::printf("admin: %s/admin (any user name, password %s)\n", base.c_str(), password.c_str());
  } else {
    std::printf(
        "admin: %s/admin (the password given with --admin-password or LIVECTL_ADMIN_PASSWORD)\n",
        base.c_str());
  }
  // From here on a slow commit moves the next ones to the store's writer
  // thread, which wakes the loop when a commit ends.
  db->start_writer([server = server.get()] { server->interrupt(); });
  std::printf("serving on %s (stored in %s; Ctrl-C stops)\n", listening.c_str(),
              db->path().c_str());
  std::fflush(stdout);

  if (SqlStore::is_postgres(args.db)) {
    // A proxy in front of several processes asks any of them where a
    // participant's session runs (GET /_livectl/route).
    node = args.node.empty() ? args.host + ":" + std::to_string(server->port()) : args.node;
    if (Status status = db->set_node_name(node); !status.ok()) throw UsageError(status.message());
    host.set_router(node, [&db](const std::string& code, std::optional<std::string>* owner) {
      return db->owner_of(code, owner);
    });
    std::printf("node %s\n", node.c_str());
  }
  if (SqlStore::is_postgres(args.db)) {
    // Several processes may serve one PostgreSQL database: a session whose
    // process died (its connection, and so its lock, gone) is taken over
    // by the least loaded survivor (take_over_orphans), from what was committed.
    server->set_housekeeping([&db, &host, &node, rounds = std::map<std::string, int>(),
                              last_error = std::string()]() mutable {
      try {
        take_over_orphans(*db, host, node, &rounds);
        last_error.clear();
      } catch (const UsageError& e) {
        if (e.what() != last_error) std::fprintf(stderr, "livectl: %s\n", e.what());
        last_error = e.what();
      }
    });
  }
  const Status status = server->run();
  server.reset();
  if (Status flushed = db->flush(); !flushed.ok()) throw std::runtime_error(flushed.message());
  if (!status.ok()) throw std::runtime_error(status.message());
  std::fprintf(stderr, "livectl: stopped after %llu events; everything is stored in %s\n",
               static_cast<unsigned long long>(host.events_applied()), db->path().c_str());
  if (const std::string lateness = host.timer_lateness_summary(); !lateness.empty()) {
    std::fprintf(stderr, "livectl: %s\n", lateness.c_str());
  }
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ServeArgs>();
  auto* command = app.add_subcommand(
      "serve",
      "Host sessions for people in browsers: print each participant's link, serve pages\n"
      "and live messages over HTTP and WebSockets on one port (docs/protocol.md).\n"
      "Resumes the sessions stored in --db; creates one when there are none (with --room,\n"
      "only when the command line describes it).");
  command->add_option("--game", args->game,
                      "the game of a new session (see 'livectl games'; default: tictactoe, or a\n"
                      "study's first configuration); a --db that holds\n"
                      "sessions resumes them instead");
  command->add_option("--config,-c", args->config,
                      "the session configuration of a new session instead (see 'livectl configs')");
  command->add_option("--set", args->sets,
                      "NAME=VALUE: set a parameter of a new session, read as its type; repeatable");
  command
      ->add_option("--participants", args->participants,
                   "participants in a new session, a multiple of the group size (any number\n"
                   "for a game that groups by arrival time)\n"
                   "(default: the configuration's, or one group)")
      ->check(CLI::Range(1, kMaxServedParticipants));
  command->add_option("--host", args->host,
                      "IP address to listen on; 0.0.0.0 serves a lab network\n"
                      "(default 127.0.0.1: this machine only, the safe choice)");
  command->add_option("--port", args->port, "port to listen on; 0 picks a free one (default 8000)");
  command
      ->add_option("--db", args->db,
                   "the database holding the sessions: an SQLite file or a postgresql:// URI\n"
                   "(docs/storage.md); a restart with the same database resumes them. Several\n"
                   "serve processes may share a PostgreSQL database: each runs its own sessions\n"
                   "and takes over those of a process that died\n"
                   "(default: $LIVECTL_DATABASE_URL, else livectl.db)")
      ->envname("LIVECTL_DATABASE_URL");
  command->add_option("--node", args->node,
                      "with a PostgreSQL --db: this process's address as a proxy in front of\n"
                      "several processes reaches it, which GET /_livectl/route answers with\n"
                      "(default: HOST:PORT)");
  command
      ->add_option("--public-url", args->public_url,
                   "URL: where participants reach this server, as in https://study.example.org\n"
                   "behind a proxy; the printed links and the admin pages' links start with it\n"
                   "(default: http://HOST:PORT of this process; also LIVECTL_PUBLIC_URL)")
      ->envname("LIVECTL_PUBLIC_URL")
      ->check(public_url_problem);
  command
      ->add_option("--admin-password", args->admin_password,
                   "password of the admin pages at /admin (any user name); also read from\n"
                   "LIVECTL_ADMIN_PASSWORD, which other users cannot see in the process list\n"
                   "(default: a random one, printed at start)")
      ->envname("LIVECTL_ADMIN_PASSWORD")
      ->check([](const std::string& password) {
        return password.empty() ? std::string("the admin password must not be empty")
                                : std::string();
      });
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
  command
      ->add_option("--stall-timeout", args->stall_timeout_seconds,
                   "seconds a page may take none of the frames waiting for it before it is\n"
                   "closed as not reading (default 30)")
      ->check(CLI::Range(1, 3600));
  command->add_option(
      "--room", args->room,
      "NAME: serve a room at /room/NAME, one URL that outlives sessions (oTree's ROOMS);\n"
      "it opens empty, and the session created in it on the admin page takes its\n"
      "arrivals, unless --game, --config, --participants or --set describe a first\n"
      "session (letters, digits, _ and -)");
  command->add_option(
      "--labels", args->labels,
      "FILE: the room's participant labels, one per line (oTree's participant_label_file):\n"
      "only they are admitted, each at /room/NAME?participant_label=LABEL, always to\n"
      "the same participant; without it any label is admitted");
  command->add_flag(
      "--dev", args->dev,
      "read each game's page templates from its source folder at every page request, so\n"
      "that an edit to a page's HTML or JavaScript shows on reload, without a rebuild; a\n"
      "template error is shown on the page (status 500) and the server goes on\n"
      "(default: the templates compiled in, checked at start)");
  command->callback([&run, args] {
    args->limits.stall_timeout_ms = int64_t{1000} * args->stall_timeout_seconds;
    args->limits.message_burst = 2 * args->limits.messages_per_second;
    run = [args] { return run_serve(*args); };
  });
}

}  // namespace livectl::cli
