#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "bots/scenario.h"
#include "cli/commands.h"

namespace livectl::cli {

namespace {

namespace fs = std::filesystem;

// Scenario files under `paths`: files as given, folders searched for *.json
// recursively, each folder's files in name order.
std::vector<std::string> collect(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
          found.push_back(entry.path().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, error)) {
      files.push_back(path);
    } else {
      throw UsageError("no such scenario file or folder: " + path);
    }
  }
  return files;
}

int run_test(const std::vector<std::string>& paths) {
  const std::vector<std::string> files = collect(paths);
  int passed = 0;
  int failed = 0;
  bool bad_file = false;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::printf("ERROR %s: cannot be read\n", file.c_str());
      bad_file = true;
      ++failed;
      continue;
    }
    try {
      const Scenario scenario = parse_scenario(text.str(), file);
      const ScenarioOutcome outcome = run_scenario(scenario);
      if (outcome.passed) {
        ++passed;
        std::printf("PASS  %s  (%s, digest %s)\n", scenario.name.c_str(), file.c_str(),
                    outcome.digest.c_str());
      } else {
        ++failed;
        std::printf("FAIL  %s  (%s, digest %s)\n      %s\n", scenario.name.c_str(), file.c_str(),
                    outcome.digest.c_str(), outcome.failure.c_str());
      }
    } catch (const ScenarioError& e) {
      ++failed;
      bad_file = true;
      std::printf("ERROR %s\n", e.what());
    }
    std::fflush(stdout);
  }
  if (files.empty()) {
    std::fprintf(stderr, "livectl: no scenario files found\n");
    return 2;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  if (bad_file) return 2;
  return failed > 0 ? 1 : 0;
}

}  // namespace

void add_test_command(CLI::App& app, Runner& run) {
  auto paths = std::make_shared<std::vector<std::string>>();
  auto* command = app.add_subcommand(
      "test",
      "Run scenario files (docs/scenarios.md) and check what each step delivers and the final\n"
      "fields. Exit 1 when a scenario fails, 2 when a file is not a valid scenario.");
  command->add_option("PATH", *paths, "scenario files or folders (default: scenarios/)");
  command->callback([&run, paths] {
    run = [paths] {
      return run_test(paths->empty() ? std::vector<std::string>{"scenarios"} : *paths);
    };
  });
}

}  // namespace livectl::cli
