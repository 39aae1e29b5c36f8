// The tictactoe bot: plays random legal moves, with a share of illegal ones
// that the game must refuse without changing anything.
#include <string>
#include <vector>

#include "games/tictactoe/tictactoe.h"

namespace livectl::tictactoe {

namespace {

// The share of turns spent on an illegal move instead of a legal one.
constexpr double kIllegalOnTurn = 0.15;
// The chance that a bot woken while it is not its turn moves anyway.
constexpr double kOutOfTurn = 0.10;
// The chance of one more move once the game is over, before submitting.
constexpr double kAfterTheEnd = 0.10;

Json move_to(Json square) {
  return Json{{"square", std::move(square)}};
}

// Asks for the state first, as a page does on load, and from then on knows
// only what it has received. It waits while it is the other player's turn:
// the other player's next legal move is broadcast and wakes it. Its own
// illegal moves are answered to it alone, so the bot whose turn it is always
// hears back and always has a move to make, and the game cannot stall.
class TicTacToeBot final : public Bot {
 public:
  explicit TicTacToeBot(int id_in_group) : me_(id_in_group) {}

  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.kind != PageKind::kLive) return BotAction::done();
    if (!asked_) {
      asked_ = true;
      return BotAction::send(Json::object());
    }
    if (board_.empty()) return BotAction::wait();
    if (over_) {
      if (rng.chance(kAfterTheEnd)) return BotAction::send(move_to(random_square(rng)));
      return BotAction::submit();
    }
    if (whose_turn_ != me_) {
      if (rng.chance(kOutOfTurn)) return BotAction::send(move_to(random_empty_square(rng)));
      return BotAction::wait();
    }
    if (rng.chance(kIllegalOnTurn)) return BotAction::send(illegal_move(rng));
    return BotAction::send(move_to(random_empty_square(rng)));
  }

  // Every reply of the game is a state; anything else is ignored.
  void on_receive(const Json& payload) override {
    if (!payload.is_object()) return;
    auto board = payload.find("board");
    if (board == payload.end() || !board->is_string()) return;
    const std::string& marks = board->get_ref<const std::string&>();
    if (!well_formed(marks)) return;
    board_ = marks;
    const Json turn = payload.value("whose_turn", Json());
    whose_turn_ = turn.is_number_integer() ? turn.get<int>() : 0;
    over_ = !payload.value("winner", Json()).is_null() || payload.value("draw", Json()) == true;
  }

 private:
  static int random_square(Rng& rng) { return static_cast<int>(rng.below(kSquares)); }

  // REQUIRES: the known board has an empty square (it does while the game
  // is not over).
  int random_empty_square(Rng& rng) const {
    std::vector<int> empty;
    for (int square = 0; square < kSquares; ++square) {
      if (board_[square] == kEmpty) empty.push_back(square);
    }
    return empty[rng.below(empty.size())];
  }

  Json illegal_move(Rng& rng) const {
    std::vector<int> taken;
    for (int square = 0; square < kSquares; ++square) {
      if (board_[square] != kEmpty) taken.push_back(square);
    }
    switch (rng.below(taken.empty() ? 7 : 8)) {
      case 0:
        return move_to(-1);
      case 1:
        return move_to(rng.between(kSquares, 100));
      case 2:
        return move_to(std::to_string(random_square(rng)));
      case 3:
        return move_to(random_square(rng) + 0.5);
      case 4:
        return random_square(rng);
      case 5:
        return Json{{"square", random_square(rng)}, {"mark", std::string(1, mark_of(me_))}};
      case 6:
        return nullptr;
      default:
        return move_to(taken[rng.below(taken.size())]);
    }
  }

  const int me_;
  bool asked_ = false;
  std::string board_;   // empty until the first state arrives
  int whose_turn_ = 0;  // 0 when nobody is to move
  bool over_ = false;
};

}  // namespace

std::unique_ptr<Bot> TicTacToe::make_bot(int id_in_group, int) const {
  return std::make_unique<TicTacToeBot>(id_in_group);
}

}  // namespace livectl::tictactoe
