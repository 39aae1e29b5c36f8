#pragma once
// The main of every livectl binary: livectl itself and each study built with
// livectl_add_study, whose generated main calls this.
#include <functional>
#include <string_view>

namespace livectl {

// Registers the binary's games with `register_games` (engine/registry.h)
// and the session configurations in `configs`, the text of the study's
// configs.json (engine/study_config.h; empty = none, `configs_origin` names
// the file in errors), then runs the command line: games, configs,
// simulate, test, serve, replay, export and bench over them. `program`
// names the binary in help and errors. Returns the exit code: 0 success, 1
// a check failed, 2 bad usage or a bad input file (also when registering
// the games or reading the configurations fails).
int study_main(int argc, char** argv, std::string_view program,
               const std::function<void()>& register_games, std::string_view configs = {},
               std::string_view configs_origin = "configs.json");

}  // namespace livectl
