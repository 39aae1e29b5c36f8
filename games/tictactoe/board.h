#pragma once
// The rules of the board, shared by the game, its bot and its invariants.
// A board is 9 characters, squares 0..8 row by row, each 'X', 'O' or ' '.
// Player 1 plays X and moves first; player 2 plays O.
#include <algorithm>
#include <array>
#include <string_view>

namespace livectl::tictactoe {

inline constexpr int kSquares = 9;
inline constexpr char kEmpty = ' ';
inline constexpr char kX = 'X';
inline constexpr char kO = 'O';
inline constexpr std::string_view kEmptyBoard = "         ";

// The three rows, three columns and two diagonals.
inline constexpr std::array<std::array<int, 3>, 8> kLines = {{
    {0, 1, 2},
    {3, 4, 5},
    {6, 7, 8},
    {0, 3, 6},
    {1, 4, 7},
    {2, 5, 8},
    {0, 4, 8},
    {2, 4, 6},
}};

// REQUIRES: id_in_group is 1 or 2.
inline char mark_of(int id_in_group) {
  return id_in_group == 1 ? kX : kO;
}

inline int count(std::string_view board, char mark) {
  return static_cast<int>(std::count(board.begin(), board.end(), mark));
}

// 9 characters, each 'X', 'O' or ' '. The functions below REQUIRE this.
inline bool well_formed(std::string_view board) {
  return board.size() == kSquares &&
         count(board, kX) + count(board, kO) + count(board, kEmpty) == kSquares;
}

inline bool has_line(std::string_view board, char mark) {
  return std::any_of(kLines.begin(), kLines.end(), [&](const std::array<int, 3>& line) {
    return board[line[0]] == mark && board[line[1]] == mark && board[line[2]] == mark;
  });
}

inline bool is_full(std::string_view board) {
  return count(board, kEmpty) == 0;
}

// The id_in_group of the player with three in a row; 0 when nobody has one.
// X is checked first; a board with lines of both marks cannot arise in play.
inline int winner_of(std::string_view board) {
  if (has_line(board, kX)) return 1;
  if (has_line(board, kO)) return 2;
  return 0;
}

inline bool is_over(std::string_view board) {
  return winner_of(board) != 0 || is_full(board);
}

// The id_in_group of the player to move; 0 once the game is over. X moves
// whenever the marks are even, so the count decides and no turn is stored.
inline int whose_turn(std::string_view board) {
  if (is_over(board)) return 0;
  return count(board, kX) == count(board, kO) ? 1 : 2;
}

}  // namespace livectl::tictactoe
