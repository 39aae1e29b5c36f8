#pragma once
// The built-in games, by name.
#include <string_view>
#include <vector>

#include "engine/game.h"

namespace livectl {

// Every registered game, in the order `livectl games` lists them.
const std::vector<const Game*>& all_games();
// The game called `name`, or nullptr.
const Game* find_game(std::string_view name);
// "auction, tictactoe, ..." for error messages.
std::string game_names();

}  // namespace livectl
