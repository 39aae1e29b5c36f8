#pragma once
// The games a binary serves, registered by name when it starts. A study's
// binary (cmake/LivectlStudy.cmake, livectl_add_study) registers its own
// games first, then livectl's examples unless it opts out: every call is
// written out in its generated main, so the linker cannot drop a game.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/game.h"

namespace livectl {

// A file compiled into the binary from a game's folder, such as its page
// templates: `name` is relative to the folder ("live.html").
struct EmbeddedFile {
  std::string_view name;
  std::string_view bytes;
};

// Adds `game`, built from the folder `source_dir` (an absolute path, or
// empty when unknown), with the files compiled in from that folder. The
// game, the files and their bytes must live as long as the program.
// Registering the same game again does nothing; another game with a name
// already taken throws std::invalid_argument.
void register_game(const Game& game, std::string_view source_dir,
                   std::span<const EmbeddedFile> files);

// Every registered game, in the order they were registered.
const std::vector<const Game*>& all_games();
// The game called `name`, or nullptr.
const Game* find_game(std::string_view name);
// "auction, tictactoe, ..." for error messages.
std::string game_names();

// The compiled-in bytes of "games/<game name>/<file>", or nullopt.
std::optional<std::string_view> game_file(std::string_view path);
// The folder the game was built from (serve --dev reads its templates
// there); empty when unknown.
std::string_view game_source_dir(const Game& game);

}  // namespace livectl

// Defines the function through which a study's generated main registers a
// game: `LIVECTL_GAME(public_goods, PublicGoods)` at namespace scope, outside
// any namespace, in the game's folder games/public_goods/. The first argument
// must be the folder's name; the class must be default-constructible. One
// instance serves every session.
#define LIVECTL_GAME(folder, GameClass)            \
  const ::livectl::Game& livectl_game_##folder() { \
    static const GameClass game;                   \
    return game;                                   \
  }
