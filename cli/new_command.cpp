// livectl new DIR [--game NAME]: a study of one's own, in its own folder,
// that builds against the installed livectl (cli/new_study/).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "cli/commands.h"
#include "cli/new_study.h"
#include "engine/registry.h"

namespace livectl::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "new_study/";

bool is_identifier(const std::string& name) {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

struct NewArgs {
  std::string dir;
  std::string game;
};

int run_new(const NewArgs& args) {
  const fs::path dir = fs::path(args.dir).lexically_normal();
  std::string study = dir.filename().string();
  if (study.empty()) study = dir.parent_path().filename().string();  // "pg/"
  if (!is_identifier(study)) {
    throw UsageError(
        "a study's folder name is its binary's and CMake target's name: lower-case "
        "letters, digits and _, starting with a letter (at most 64); got '" +
        study + "'");
  }
  const std::string game = args.game.empty() ? study : args.game;
  if (!is_identifier(game)) {
    throw UsageError(
        "--game: a game's name is its folder's and C++ name: lower-case letters, "
        "digits and _, starting with a letter (at most 64); got '" +
        game + "'");
  }
  if (find_game(game)) {
    throw UsageError("--game: '" + game + "' is already the name of one of livectl's example " +
                     "games (" + game_names() + "), which a study includes; choose another");
  }
  std::error_code error;
  if (fs::exists(dir, error)) {
    throw UsageError(dir.string() + " already exists; livectl new writes a new folder and " +
                     "changes nothing that is there");
  }
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, error)) {
    throw UsageError("cannot create " + dir.string() + ": " + parent.string() + " is not a folder");
  }
  // Written into a sibling folder first and renamed at the end, so that a
  // failure halfway leaves nothing behind.
  const fs::path staging = parent / ("." + study + ".livectl-new");
  fs::remove_all(staging, error);
  try {
    for (const auto& [name, bytes] : new_study_file_list()) {
      std::string relative(name.substr(kPrefix.size()));
      relative = replace_all(relative, "GAME", game);
      relative = replace_all(relative, "dot.gitignore", ".gitignore");
      const fs::path path = staging / relative;
      fs::create_directories(path.parent_path());
      std::string text = replace_all(std::string(bytes), "@STUDY@", study);
      text = replace_all(text, "@GAME@", game);
      std::ofstream out(path, std::ios::binary);
      out << text;
      if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
    }
    fs::rename(staging, dir);
  } catch (...) {
    fs::remove_all(staging, error);
    throw;
  }
  std::printf("Created the study %s in %s, with the game %s.\n", study.c_str(),
              dir.string().c_str(), game.c_str());
  std::printf("Build it and serve %s (Ctrl-C stops):\n", game.c_str());
  std::printf("  cd %s && cmake -S . -B build && cmake --build build -j2 && build/%s serve --dev\n",
              dir.string().c_str(), study.c_str());
  std::printf("Build it and run its tests:\n");
  std::printf(
      "  cd %s && cmake -S . -B build && cmake --build build -j2 && ctest --test-dir build\n",
      dir.string().c_str());
  return 0;
}

}  // namespace

void add_new_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<NewArgs>();
  auto* command = app.add_subcommand(
      "new",
      "Write a new study in the folder DIR: a game of your own (C++, pages, a bot, an\n"
      "invariant), three scenarios, a CMakeLists.txt that builds it against the\n"
      "installed livectl, and a README with the commands to build, serve and test it.");
  command->add_option("dir", args->dir, "The folder to create; its name is the study's")
      ->required();
  command->add_option("--game", args->game,
                      "The game's name and folder under games/ (default: the study's name)");
  command->callback([&run, args] { run = [args] { return run_new(*args); }; });
}

}  // namespace livectl::cli
