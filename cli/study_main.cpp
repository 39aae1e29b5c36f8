#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"livectl: oTree-style live pages in one fast binary.\n"
               "Write a game once, then simulate it with bots, test it with scenario files\n"
               "and host it for people in browsers."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("livectl ") + LIVECTL_VERSION);

  livectl::cli::Runner run;
  livectl::cli::add_games_command(app, run);
  livectl::cli::add_simulate_command(app, run);
  livectl::cli::add_test_command(app, run);
  livectl::cli::add_replay_command(app, run);
  livectl::cli::add_export_command(app, run);
  livectl::cli::add_serve_command(app, run);
  livectl::cli::add_bench_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "livectl: " << e.what() << "\n(run 'livectl --help' for usage)\n";
    return 2;
  }

  try {
    return run();
  } catch (const livectl::cli::UsageError& e) {
    std::cerr << "livectl: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "livectl: " << e.what() << "\n";
    return 1;
  }
}
