#pragma once
// Each subcommand registers itself on the CLI11 app and, when chosen, leaves
// the function that runs it in `run`. Commands return the process exit code:
// 0 success, 1 a check failed, 2 bad usage or a bad input file.
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/session.h"

namespace livectl::cli {

using Runner = std::function<int()>;

// Bad usage found after parsing (an unknown game, an impossible size). main
// prints "livectl: <message>" and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void add_games_command(CLI::App& app, Runner& run);
void add_configs_command(CLI::App& app, Runner& run);
void add_new_command(CLI::App& app, Runner& run);
void add_simulate_command(CLI::App& app, Runner& run);
void add_test_command(CLI::App& app, Runner& run);
void add_replay_command(CLI::App& app, Runner& run);
void add_export_command(CLI::App& app, Runner& run);
void add_serve_command(CLI::App& app, Runner& run);
void add_bench_command(CLI::App& app, Runner& run);

// The --db option of a command that reads what simulate or serve stored
// (replay, export): required, or LIVECTL_DATABASE_URL.
void add_stored_db_option(CLI::App* command, std::string* db);

// --config NAME (default: `game`) and each --set name=value, as the session
// configuration a command creates its session with; --participants (0 =
// the configuration's) overrides its size; `chosen` gets the games it
// plays. Throws UsageError naming what does not fit.
SessionConfig choose_config(const std::string& config, const std::string& game,
                            const std::vector<std::string>& sets, int participants,
                            std::vector<const Game*>* chosen);

}  // namespace livectl::cli
