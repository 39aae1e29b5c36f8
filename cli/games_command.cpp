#include <cstdio>

#include "cli/commands.h"
#include "engine/registry.h"

namespace livectl::cli {

void add_games_command(CLI::App& app, Runner& run) {
  auto* command = app.add_subcommand("games", "List the built-in games.");
  command->callback([&run] {
    run = [] {
      for (const Game* game : all_games()) {
        std::printf("%-14s %s (groups of %d)\n", game->name().c_str(), game->description().c_str(),
                    game->players_per_group());
      }
      return 0;
    };
  });
}

}  // namespace livectl::cli
