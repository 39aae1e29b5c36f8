#include "cli/study_main.h"

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "engine/registry.h"
#include "engine/study_config.h"

namespace livectl {

int study_main(int argc, char** argv, std::string_view program,
               const std::function<void()>& register_games, std::string_view configs,
               std::string_view configs_origin) {
  const std::string name(program);
  try {
    register_games();
    if (!configs.empty()) {
      register_configs(parse_study_configs(configs, std::string(configs_origin)));
    }
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 2;
  }
  std::string description =
      name == "livectl"
          ? "livectl: oTree-style live pages in one fast binary.\n"
            "Write a game once, then simulate it with bots, test it with scenario files\n"
            "and host it for people in browsers."
          : name + ": a study built on livectl " + LIVECTL_VERSION + " (games: " + game_names() +
                ").\nSimulate its games with bots, test them with scenario files and host\n"
                "them for people in browsers.";
  CLI::App app{description, name};
  app.require_subcommand(1);
  app.set_version_flag("--version", name == "livectl"
                                        ? std::string("livectl ") + LIVECTL_VERSION
                                        : name + " (livectl " + LIVECTL_VERSION + ")");

  cli::Runner run;
  cli::add_games_command(app, run);
  cli::add_configs_command(app, run);
  cli::add_new_command(app, run);
  cli::add_simulate_command(app, run);
  cli::add_test_command(app, run);
  cli::add_replay_command(app, run);
  cli::add_export_command(app, run);
  cli::add_serve_command(app, run);
  cli::add_bench_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << name << ": " << e.what() << "\n(run '" << name << " --help' for usage)\n";
    return 2;
  }

  try {
    return run();
  } catch (const cli::UsageError& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace livectl
