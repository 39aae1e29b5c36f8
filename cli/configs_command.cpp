#include <cstdio>

#include "cli/commands.h"
#include "engine/registry.h"
#include "engine/study_config.h"

namespace livectl::cli {

void add_stored_db_option(CLI::App* command, std::string* db) {
  command
      ->add_option("--db", *db,
                   "the database written by simulate or serve: an SQLite file or a\n"
                   "postgresql:// URI (docs/storage.md); default: $LIVECTL_DATABASE_URL")
      ->envname("LIVECTL_DATABASE_URL")
      ->required();
}

SessionConfig choose_config(const std::string& config, const std::string& game,
                            const std::vector<std::string>& sets, int participants,
                            std::vector<const Game*>* chosen) {
  if (!config.empty() && !game.empty()) {
    throw UsageError("give a game or --config, not both (a configuration names its game)");
  }
  std::optional<StudyConfig> found;
  if (config.empty()) {
    const Game* named = find_game(game);
    if (!named) throw UsageError("unknown game '" + game + "' (known: " + game_names() + ")");
    found = game_config(*named);
  } else {
    found = find_config(config);
    if (!found) {
      throw UsageError("unknown configuration '" + config + "' (known: " + config_names() + ")");
    }
  }
  *chosen = config_games(*found);
  try {
    return session_config_for(*found, *chosen, sets, participants);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

void add_configs_command(CLI::App& app, Runner& run) {
  auto* command = app.add_subcommand(
      "configs",
      "List the session configurations: the study's (configs.json) and each game's own, with\n"
      "their game, participants and parameters.");
  command->callback([&run] {
    run = [] {
      auto show = [](const StudyConfig& config) {
        const std::vector<const Game*> games = config_games(config);
        const int participants = session_config_for(config, games, {}).participants;
        // "3 rounds", or each game's in an app sequence: "3 + 1 rounds".
        int rounds = 0;
        std::string round_counts;
        for (const Game* game : games) {
          rounds += game->num_rounds();
          round_counts += (round_counts.empty() ? "" : " + ") + std::to_string(game->num_rounds());
        }
        std::printf("%s: %s, %d participant%s, %s round%s", config.name.c_str(),
                    games_text(config).c_str(), participants, participants == 1 ? "" : "s",
                    round_counts.c_str(), rounds == 1 ? "" : "s");
        if (config.participation_fee > 0 || config.real_world_currency_per_point != 1) {
          std::printf(", %g per point + %g fee", config.real_world_currency_per_point,
                      config.participation_fee);
        }
        std::printf("\n");
        if (config.display_name != config.name) std::printf("  %s\n", config.display_name.c_str());
        for (const ParamSpec& spec : shared_params(games)) {
          const auto given = config.params.find(spec.name);
          const Json& value = given != config.params.end() ? *given : spec.default_value;
          std::printf("  %s = %s (%s%s)\n", spec.name.c_str(), value.dump().c_str(),
                      field_type_name(spec.type),
                      given != config.params.end() ? "" : ", the default");
        }
      };
      for (const StudyConfig& config : declared_configs()) show(config);
      for (const Game* game : all_games()) {
        bool shadowed = false;
        for (const StudyConfig& config : declared_configs())
          shadowed |= config.name == game->name();
        if (!shadowed) show(game_config(*game));
      }
      return 0;
    };
  });
}

}  // namespace livectl::cli
