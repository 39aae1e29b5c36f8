#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "bots/simulation.h"
#include "cli/commands.h"
#include "engine/bot.h"
#include "engine/registry.h"
#include "store/sql_store.h"

namespace livectl::cli {

namespace {

struct SimulateArgs {
  std::string game;
  std::string config;
  std::vector<std::string> sets;
  std::optional<int> participants;
  uint64_t seed = 1;
  std::optional<int64_t> messages;
  std::string transcript;
  bool json = false;
  std::string db;
  std::optional<int64_t> commit_every;
};

// Events per commit with --db. A commit costs one fsync, 0.2-3.5 ms on the
// development machine's virtual disk, against about 4 ms to apply and write
// 1000 auction events; 10000 per commit measured no faster there
// (docs/storage.md, "Speed") and holds ten times as many lines back.
constexpr int64_t kDefaultCommitEvery = 1000;

// Passes to the database only the events after `resume_after`: a resumed
// simulation re-runs the stored events in memory to rebuild its bots, and
// those are in the database already. Attaches the session to the database
// when the first new event arrives, which is when the two agree on last_seq.
class ResumingStore final : public Store {
 public:
  explicit ResumingStore(SqlStore& db) : db_(db) {}
  void resume_after(uint64_t seq) {
    resume_after_ = seq;
    attached_ = false;
  }
  Status record(const Session& session, const Event& event, const EventResult& result,
                std::span<const Change> changes) override {
    if (result.seq <= resume_after_) return Status();
    if (!attached_) {
      if (Status status = db_.attach(session); !status.ok()) return status;
      attached_ = true;
    }
    return db_.record(session, event, result, changes);
  }
  Status flush() override { return db_.flush(); }

 private:
  SqlStore& db_;
  uint64_t resume_after_ = 0;
  bool attached_ = true;
};

// The names of the games `session` plays, in order.
std::vector<std::string> game_names_of(const Session& session) {
  std::vector<std::string> names;
  for (const Game* game : session.games()) names.push_back(game->name());
  return names;
}

// Stores `session` in `db`, or resumes the stored session of the same seed:
// a rerun of the same command continues where a killed run stopped (or, if
// that run finished, re-runs it without writing). Fills in `options`.
void store_or_resume(SqlStore& db, ResumingStore& resuming, const Session& session,
                     int64_t messages, SimulationOptions* options) {
  const Json config = {{"messages", messages}};
  std::optional<StoredSession> stored;
  if (Status status = db.find_session(session.code(), &stored); !status.ok()) {
    throw UsageError(status.message());
  }
  if (!stored) {
    if (Status status = db.add_session(session, "simulate", config); !status.ok()) {
      throw UsageError(status.message());
    }
    if (Status status = db.flush(); !status.ok()) throw UsageError(status.message());
    return;
  }
  if (stored->origin != "simulate" || stored->game_names() != game_names_of(session) ||
      stored->participants != static_cast<int>(session.participant_count()) ||
      stored->config != config || stored->config_name != session.config_name() ||
      stored->params != session.params()) {
    throw UsageError(db.path() + " already holds session " + session.code() + " (" +
                     stored->origin + " " + stored->game + ", " +
                     std::to_string(stored->participants) + " participants, " +
                     stored->config.dump() +
                     "), which this simulation cannot continue; use another --db or --seed");
  }
  MemoryStore scratch(/*keep_log=*/false);
  std::unique_ptr<Session> copy;
  if (Status status = db.load_session(session.code(), session.games(), &copy, &scratch);
      !status.ok()) {
    throw UsageError(status.message());
  }
  resuming.resume_after(stored->last_seq);
  options->resume_after = stored->last_seq;
  options->resume_digest = copy->digest();
}

// Groups of one session simulated when --participants is not given.
constexpr int kDefaultGroups = 10;
// Messages per participant when --messages is not given: enough for every
// bundled game to reach its end, bounded for the open-ended auction.
constexpr int64_t kDefaultMessagesPerParticipant = 100;

Json fields_object(const std::vector<FieldSpec>& specs, const std::vector<Json>& values) {
  Json object = Json::object();
  for (size_t i = 0; i < specs.size(); ++i) object[specs[i].name] = values[i];
  return object;
}

Json outcome_json(const Session& session) {
  // In an app sequence each group and player says its game.
  const bool several = session.games().size() > 1;
  Json groups = Json::array();
  for (const Group& group : session.groups()) {
    const Game& game = group.game();
    Json g = fields_object(game.group_fields(), group.fields());
    if (several) g["game"] = game.name();
    g["id_in_subsession"] = group.id_in_subsession();
    if (game.num_rounds() > 1) g["round_number"] = group.round_number();
    groups.push_back(std::move(g));
  }
  Json players = Json::array();
  for (const Player& player : session.players()) {
    const Game& game = player.game();
    Json p = fields_object(game.player_fields(), player.fields());
    if (several) p["game"] = game.name();
    p["id_in_session"] = player.participant().id_in_session;
    p["id_in_group"] = player.id_in_group();
    if (game.num_rounds() > 1 || several) {
      p["round_number"] = player.round_number();
      // The page the participant is on, on their player of the round they are in.
      if (&session.player(player.id_in_session()) == &player)
        p["page"] = session.page_of(player).name;
    } else {
      p["page"] = session.page_of(player).name;
    }
    players.push_back(std::move(p));
  }
  return {{"groups", std::move(groups)}, {"players", std::move(players)}};
}

Json checks_json(const SimulationReport& report) {
  Json passed = Json::array();
  Json failed = Json::array();
  for (const CheckResult& check : report.checks) {
    if (check.violations == 0) {
      passed.push_back(check.name);
    } else {
      failed.push_back({{"name", check.name},
                        {"violations", check.violations},
                        {"first", check.first_violation}});
    }
  }
  return {{"passed", std::move(passed)}, {"failed", std::move(failed)}};
}

double per_second(int64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

void print_summary(const Session& session, const SimulationReport& report) {
  const bool several = session.games().size() > 1;
  for (size_t app = 0; app < session.games().size(); ++app) {
    const Game& game = *session.games()[app];
    size_t group_count = 0;
    for (const Group& group : session.groups()) group_count += group.app() == app;
    group_count /= static_cast<size_t>(game.num_rounds());
    std::printf("%s%s: %zu participants in %zu group%s of %d", app > 0 ? "then " : "",
                game.name().c_str(), session.participant_count(), group_count,
                group_count == 1 ? "" : "s", game.players_per_group());
    if (app == 0) std::printf(", seed %llu", static_cast<unsigned long long>(session.seed()));
    std::printf("\n");
    if (game.num_rounds() > 1) std::printf("  %d rounds\n", game.num_rounds());
  }
  if (!session.config_name().empty() || !session.params().empty()) {
    std::printf("  configuration %s: %s\n",
                session.config_name().empty() ? session.games_text().c_str()
                                              : session.config_name().c_str(),
                session.params().dump().c_str());
  }
  std::printf("  %lld messages, %lld page submits, %lld deliveries, %lld rejected with an error\n",
              static_cast<long long>(report.messages), static_cast<long long>(report.submits),
              static_cast<long long>(report.deliveries), static_cast<long long>(report.errors));
  std::printf("  %.3f s, %.0f messages/s\n", report.elapsed_seconds,
              per_second(report.messages, report.elapsed_seconds));
  std::printf(
      "  bots: %lld finished, %lld waiting, %lld still playing\n",
      static_cast<long long>(report.bots_done), static_cast<long long>(report.bots_waiting),
      static_cast<long long>(session.participant_count() - report.bots_done - report.bots_waiting));
  std::printf("checks (after every event):\n");
  for (const CheckResult& check : report.checks) {
    if (check.violations == 0) {
      std::printf("  ok    %s\n", check.name.c_str());
    } else {
      std::printf("  FAIL  %s: %llu violations, first at %s\n", check.name.c_str(),
                  static_cast<unsigned long long>(check.violations), check.first_violation.c_str());
    }
  }
  constexpr size_t kShownGroups = 5;
  const auto groups = session.groups();
  std::printf("outcome%s:\n",
              groups.size() > kShownGroups ? " (first 5 groups; --json has all)" : "");
  for (size_t g = 0; g < groups.size() && g < kShownGroups; ++g) {
    const Game& game = groups[g].game();
    std::printf("  %s%s", several ? game.name().c_str() : "", several ? " " : "");
    if (game.num_rounds() > 1) {
      std::printf("round %d group %d:", groups[g].round_number(), groups[g].id_in_subsession());
    } else {
      std::printf("group %d:", groups[g].id_in_subsession());
    }
    const auto& specs = game.group_fields();
    for (size_t i = 0; i < specs.size(); ++i) {
      std::printf(" %s=%s", specs[i].name.c_str(), groups[g].fields()[i].dump().c_str());
    }
    std::printf("\n");
  }
  std::printf("digest %s\n", session.digest().c_str());
}

int run_simulate(const SimulateArgs& args) {
  if (args.game.empty() && args.config.empty()) {
    throw UsageError("name a game or a --config (known games: " + game_names() + ")");
  }
  std::vector<const Game*> games;
  SessionConfig config = choose_config(args.config, args.game, args.sets, 0, &games);
  for (const Game* game : games) {
    if (!game->make_bot(1, game->players_per_group())) {
      throw UsageError(game->name() + " has no bot: simulate needs one (Game::make_bot); its " +
                       "scenarios run with `test`");
    }
  }
  // A study's configuration says how many; a game's own, ten groups.
  const int participants = args.participants.value_or(
      config.config_name.empty() ? kDefaultGroups * config.participants : config.participants);
  if (!participant_count_fits(games, participants)) {
    throw UsageError("--participants must be " + participant_count_rule(games) + ", not " +
                     std::to_string(participants));
  }
  const int64_t messages = args.messages.value_or(kDefaultMessagesPerParticipant * participants);
  if (messages < 0) throw UsageError("--messages must not be negative");

  std::ofstream transcript;
  if (!args.transcript.empty()) {
    transcript.open(args.transcript, std::ios::binary | std::ios::trunc);
    if (!transcript) throw UsageError("cannot write the transcript to '" + args.transcript + "'");
  }

  if (args.commit_every && args.db.empty()) throw UsageError("--commit-every needs --db");
  if (args.commit_every && *args.commit_every < 1) {
    throw UsageError("--commit-every must be at least 1");
  }
  std::unique_ptr<SqlStore> db;
  if (!args.db.empty()) {
    if (Status status = SqlStore::open(args.db, &db); !status.ok()) {
      throw UsageError(status.message());
    }
  }
  MemoryStore memory(/*keep_log=*/false);
  std::unique_ptr<ResumingStore> resuming;
  if (db) resuming = std::make_unique<ResumingStore>(*db);
  config.participants = participants;
  config.seed = args.seed;
  std::unique_ptr<Session> created;
  try {
    created =
        std::make_unique<Session>(games, db ? static_cast<Store&>(*resuming) : memory, config);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  Session& session = *created;

  SimulationOptions options;
  options.max_messages = messages;
  if (db) {
    store_or_resume(*db, *resuming, session, messages, &options);
    options.store = resuming.get();
    options.commit_every = args.commit_every.value_or(kDefaultCommitEvery);
  }
  if (transcript.is_open()) options.transcript = &transcript;
  // Progress only for people watching a terminal, and only once a run is long.
  const bool show_progress = isatty(STDERR_FILENO);
  const auto started = std::chrono::steady_clock::now();
  auto last_shown = started;
  if (show_progress) {
    options.progress = [&](int64_t sent) {
      const auto now = std::chrono::steady_clock::now();
      if (now - started < std::chrono::seconds(1) ||
          now - last_shown < std::chrono::milliseconds(250)) {
        return;
      }
      last_shown = now;
      std::fprintf(stderr, "\rsimulate: %lld / %lld messages", static_cast<long long>(sent),
                   static_cast<long long>(messages));
    };
  }

  const SimulationReport report = simulate(session, options);
  if (show_progress && std::chrono::steady_clock::now() - started >= std::chrono::seconds(1)) {
    std::fprintf(stderr, "\r\033[K");
  }
  if (transcript.is_open()) {
    transcript.close();
    if (!transcript)
      throw std::runtime_error("writing the transcript to '" + args.transcript + "' failed");
  }
  if (!report.failure.empty()) throw UsageError(report.failure);

  if (args.json) {
    Json out = {
        {"game", session.games_text()},
        {"config", session.config_name()},
        {"params", session.params()},
        {"seed", session.seed()},
        {"participants", session.participant_count()},
        {"groups", session.groups().size()},
        {"messages", report.messages},
        {"submits", report.submits},
        {"deliveries", report.deliveries},
        {"errors", report.errors},
        {"bots", {{"finished", report.bots_done}, {"waiting", report.bots_waiting}}},
        {"outcome", outcome_json(session)},
        {"checks", checks_json(report)},
        {"elapsed_seconds", report.elapsed_seconds},
        {"messages_per_second", per_second(report.messages, report.elapsed_seconds)},
        {"digest", session.digest()},
    };
    if (db) out["session"] = session.code();
    std::cout << out.dump(2) << "\n";
  } else {
    print_summary(session, report);
    if (db) {
      std::printf("stored in %s as session %s (%llu events)\n", db->path().c_str(),
                  session.code().c_str(), static_cast<unsigned long long>(session.last_seq()));
    }
  }
  return report.checks_passed() ? 0 : 1;
}

}  // namespace

void add_simulate_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<SimulateArgs>();
  auto* command = app.add_subcommand(
      "simulate",
      "Play a game in-process with one bot per participant, checking the game's invariants after\n"
      "every event. The same seed gives the same transcript and digest, byte for byte.");
  command->add_option("GAME", args->game, "the game to play (see 'livectl games'), or --config");
  command->add_option("--config,-c", args->config,
                      "play a session configuration instead (see 'livectl configs'): its game,\n"
                      "participants and parameters");
  command->add_option("--set", args->sets,
                      "NAME=VALUE: set a parameter of the game, read as its type (--set\n"
                      "endowment=50 --set treatment=punish); repeatable");
  command->add_option("--participants,-n", args->participants,
                      "participants in the session, a multiple of the group size (any number for "
                      "a game that groups by arrival time) "
                      "(default: the configuration's, or 10 groups of a game)");
  command->add_option("--seed,-s", args->seed, "seed for the session and the bots")->default_val(1);
  command->add_option("--messages,-m", args->messages,
                      "stop after this many liveSend messages (default: 100 per participant)");
  command->add_option("--transcript", args->transcript,
                      "write one JSON line per event to FILE: what was sent, who received what");
  command->add_flag("--json", args->json, "print one JSON object instead of the summary");
  command->add_option("--db", args->db,
                      "store the session in this database: an SQLite file or a postgresql://\n"
                      "URI (docs/storage.md); transcript lines\n"
                      "are written only once their event is committed. Rerunning the same command\n"
                      "continues the stored session. Default: memory only");
  command->add_option("--commit-every", args->commit_every,
                      "with --db: events per commit (group commit; default 1000, 1 = one commit\n"
                      "per event)");
  command->callback([&run, args] { run = [args] { return run_simulate(*args); }; });
}

}  // namespace livectl::cli
