#pragma once
// Files compiled into the server library (server/embed_files.cmake): live.js,
// the wait page and admin.js. Served the same from any working directory.
// (Games' page templates are compiled into their own libraries and read
// through engine/registry.h's game_file.)
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace livectl::server {

// The bytes of `name`, a path relative to the project root such as
// "server/live.js"; nullopt when it was not
// embedded. The bytes live as long as the program.
std::optional<std::string_view> embedded_file(std::string_view name);
// Every embedded file: name and bytes.
std::span<const std::pair<std::string_view, std::string_view>> embedded_file_list();

}  // namespace livectl::server
