#pragma once
// Files compiled into the binary (server/embed_files.cmake): the games' page
// templates and live.js. Served the same from any working directory.
#include <optional>
#include <string_view>

namespace livectl::server {

// The bytes of `name`, a path relative to the project root such as
// "games/auction/live.html" or "server/live.js"; nullopt when it was not
// embedded. The bytes live as long as the program.
std::optional<std::string_view> embedded_file(std::string_view name);

}  // namespace livectl::server
