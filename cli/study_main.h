#pragma once
// The main of every livectl binary: livectl itself and each study built with
// livectl_add_study, whose generated main calls this.
#include <functional>
#include <string_view>

namespace livectl {

// Registers the binary's games with `register_games` (engine/registry.h),
// then runs the command line: games, simulate, test, serve, replay, export
// and bench over them. `program` names the binary in help and errors.
// Returns the exit code: 0 success, 1 a check failed, 2 bad usage or a bad
// input file (also when registering the games fails).
int study_main(int argc, char** argv, std::string_view program,
               const std::function<void()>& register_games);

}  // namespace livectl
