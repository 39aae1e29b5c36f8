#pragma once
// The files `livectl new` writes, compiled in from cli/new_study/
// (server/embed_files.cmake). Names are relative to cli/, such as
// "new_study/CMakeLists.txt"; GAME in a name or a file stands for the game's name.
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace livectl::cli {

std::optional<std::string_view> new_study_file(std::string_view name);
std::span<const std::pair<std::string_view, std::string_view>> new_study_file_list();

}  // namespace livectl::cli
