#include "games/registry.h"

#include <string>

namespace livectl {

// Each game's folder defines one of these.
const Game& auction_game();
const Game& tictactoe_game();
const Game& bargaining_game();
const Game& ten_messages_game();

const std::vector<const Game*>& all_games() {
  static const std::vector<const Game*> games = {
      &auction_game(),
      &tictactoe_game(),
      &bargaining_game(),
      &ten_messages_game(),
  };
  return games;
}

const Game* find_game(std::string_view name) {
  for (const Game* game : all_games()) {
    if (game->name() == name) return game;
  }
  return nullptr;
}

std::string game_names() {
  std::string names;
  for (const Game* game : all_games()) {
    if (!names.empty()) names += ", ";
    names += game->name();
  }
  return names;
}

}  // namespace livectl
