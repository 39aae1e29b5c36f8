#pragma once
// tictactoe: two players take turns marking a 3x3 board; three in a row wins.
//
// liveSend({}) asks for the state; liveSend({"square": s}) marks square s.
// Every reply is the state {"board", "whose_turn", "winner", "draw"}:
// after an accepted move it goes to the whole group with "square" and
// "id_in_group" (the mover) added; after an illegal move it goes only to the
// sender, with "error" added, and nothing changes. Illegal moves are ordinary
// replies, not engine rejections, so the page can redraw from them.
#include <memory>
#include <string>
#include <vector>

#include "engine/bot.h"
#include "engine/invariant.h"
#include "engine/registry.h"
#include "engine/session.h"
#include "games/tictactoe/board.h"

namespace livectl::tictactoe {

class TicTacToe final : public Game {
 public:
  TicTacToe();

  Outbox live_method(Player& player, const Json& data) const override;
  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;  // bot.cpp
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;       // invariants.cpp

  // {"board", "whose_turn", "winner", "draw"} for `group` as it is now;
  // whose_turn and winner are ids in the group or null.
  Json state(const Group& group) const;

  // 9 characters, 'X', 'O' or ' ' (see board.h).
  LIVECTL_GROUP_FIELD(std::string, board, std::string(kEmptyBoard));
  // The id_in_group with three in a row; null while nobody has.
  LIVECTL_GROUP_FIELD(int64_t, winner);
  // True once the board is full and nobody has three in a row.
  LIVECTL_GROUP_FIELD(bool, draw, false);
  // One row per accepted move, in the order played.
  const RecordType moves =
      record_type("move", {{"square", FieldType::kInteger}, {"mark", FieldType::kString}});
};

}  // namespace livectl::tictactoe
