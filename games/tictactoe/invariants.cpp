// The tictactoe invariants, checked by simulate after every event. Each looks
// at the sender's group only: an event changes no other group (that is
// checked separately for every game).
#include <string>
#include <vector>

#include "games/tictactoe/tictactoe.h"

namespace livectl::tictactoe {

namespace {

// Events naming no participant were rejected and touch no group.
std::string group_name(const Group& group) {
  return "group " + std::to_string(group.id_in_subsession());
}

std::string quoted(char mark) {
  return std::string("'") + mark + "'";
}

const std::string& board_of(const TicTacToe& game, const Group& group) {
  static const std::string kNotAString;
  const Json& board = group[game.board].json();
  return board.is_string() ? board.get_ref<const std::string&>() : kNotAString;
}

// Each group's board as the previous event left it, so that a check can see
// what an event changed. Every group starts empty.
class BoardsBefore {
 public:
  // The board of `group` before this event; REQUIRES a call to update()
  // with the board after it before the next event.
  const std::string& before(const Session& session, const Group& group) {
    if (boards_.empty()) boards_.assign(session.groups().size(), std::string(kEmptyBoard));
    return boards_[group.id_in_subsession() - 1];
  }
  void update(const Group& group, const std::string& after) {
    boards_[group.id_in_subsession() - 1] = after;
  }

 private:
  std::vector<std::string> boards_;
};

// The square an event marked, -1 when none, -2 when it changed more than a
// single empty square. REQUIRES: both boards well formed.
int marked_square(const std::string& before, const std::string& after) {
  int marked = -1;
  for (int square = 0; square < kSquares; ++square) {
    if (before[square] == after[square]) continue;
    if (before[square] != kEmpty || marked != -1) return -2;
    marked = square;
  }
  return marked;
}

class BoardOnlyGainsMarks final : public Invariant {
 public:
  explicit BoardOnlyGainsMarks(const TicTacToe& game) : game_(game) {}
  std::string_view name() const override {
    return "the board only gains marks, at most one per event";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const std::string& after = board_of(game_, group);
    if (!well_formed(after)) {
      return group_name(group) + " has board " + group[game_.board].json().dump() +
             ", which is not 9 squares of 'X', 'O' and ' '";
    }
    const std::string before = boards_.before(session, group);
    boards_.update(group, after);
    int gained = 0;
    for (int square = 0; square < kSquares; ++square) {
      if (before[square] == after[square]) continue;
      if (before[square] != kEmpty) {
        return "square " + std::to_string(square) + " of " + group_name(group) + " went from " +
               quoted(before[square]) + " to " + quoted(after[square]);
      }
      ++gained;
    }
    if (gained > 1) {
      return group_name(group) + " gained " + std::to_string(gained) + " marks in one event";
    }
    return {};
  }

 private:
  const TicTacToe& game_;
  BoardsBefore boards_;
};

class MarksAlternate final : public Invariant {
 public:
  explicit MarksAlternate(const TicTacToe& game) : game_(game) {}
  std::string_view name() const override {
    return "X and O alternate, X first, each placed by its own player on their turn";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const std::string& after = board_of(game_, group);
    if (!well_formed(after)) return {};  // reported by BoardOnlyGainsMarks
    const std::string before = boards_.before(session, group);
    boards_.update(group, after);
    const int xs = count(after, kX);
    const int os = count(after, kO);
    if (xs != os && xs != os + 1) {
      return group_name(group) + " has " + std::to_string(xs) + " X and " + std::to_string(os) +
             " O";
    }
    const int square = marked_square(before, after);
    if (square < 0) return {};
    const int id = sender->id_in_group();
    if (after[square] != mark_of(id)) {
      return "player " + std::to_string(id) + " of " + group_name(group) + " placed " +
             quoted(after[square]) + " on square " + std::to_string(square);
    }
    // With the counts right and the mark the mover's own, a move out of
    // turn can only be one made after the end.
    if (is_over(before)) {
      return "player " + std::to_string(id) + " of " + group_name(group) +
             " moved after the game was over";
    }
    return {};
  }

 private:
  const TicTacToe& game_;
  BoardsBefore boards_;
};

// Three in a row of `mark`, found by walking the rows, columns and diagonals
// instead of through board.h's table of lines, so that a line missing from
// that table shows up here.
bool three_in_a_row(const std::string& board, char mark) {
  auto at = [&](int row, int column) { return board[row * 3 + column] == mark; };
  bool diagonal = true;
  bool antidiagonal = true;
  for (int i = 0; i < 3; ++i) {
    bool row = true;
    bool column = true;
    for (int j = 0; j < 3; ++j) {
      row = row && at(i, j);
      column = column && at(j, i);
    }
    if (row || column) return true;
    diagonal = diagonal && at(i, i);
    antidiagonal = antidiagonal && at(i, 2 - i);
  }
  return diagonal || antidiagonal;
}

class WinnerMatchesTheBoard final : public Invariant {
 public:
  explicit WinnerMatchesTheBoard(const TicTacToe& game) : game_(game) {}
  std::string_view name() const override {
    return "winner is the player with three in a row, and draw means a full board without one";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const std::string& marks = board_of(game_, group);
    if (!well_formed(marks)) return {};  // reported by BoardOnlyGainsMarks
    const bool x_wins = three_in_a_row(marks, kX);
    const bool o_wins = three_in_a_row(marks, kO);
    if (x_wins && o_wins) {
      return group_name(group) + " has three in a row of both X and O on \"" + marks + "\"";
    }
    const int expected = x_wins ? 1 : o_wins ? 2 : 0;
    const Json winner = expected ? Json(expected) : Json(nullptr);
    if (group[game_.winner].json() != winner) {
      return group_name(group) + " has winner " + group[game_.winner].json().dump() +
             " but the board \"" + marks + "\" gives " + winner.dump();
    }
    if (group[game_.draw].json() != (!expected && count(marks, kEmpty) == 0)) {
      return group_name(group) + " has draw " + group[game_.draw].json().dump() + " with board \"" +
             marks + "\"";
    }
    return {};
  }

 private:
  const TicTacToe& game_;
};

class NothingChangesAfterTheEnd final : public Invariant {
 public:
  explicit NothingChangesAfterTheEnd(const TicTacToe& game) : game_(game) {}
  std::string_view name() const override {
    return "nothing in a group changes after its game is over";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    if (ends_.empty()) ends_.resize(session.groups().size());
    End& end = ends_[group.id_in_subsession() - 1];
    const End now{group[game_.board].json(), group[game_.winner].json(), group[game_.draw].json(),
                  group.records(game_.moves).size(), true};
    if (!end.over) {
      const bool over = !now.winner.is_null() || now.draw == true ||
                        (now.board.is_string() && well_formed(now.board.get<std::string>()) &&
                         is_over(now.board.get<std::string>()));
      if (over) end = now;
      return {};
    }
    if (now.board != end.board || now.winner != end.winner || now.draw != end.draw ||
        now.moves != end.moves) {
      const End was = end;
      end = now;
      return group_name(group) + " changed after its game was over: board " + was.board.dump() +
             " winner " + was.winner.dump() + " draw " + was.draw.dump() + " with " +
             std::to_string(was.moves) + " moves became board " + now.board.dump() + " winner " +
             now.winner.dump() + " draw " + now.draw.dump() + " with " + std::to_string(now.moves) +
             " moves";
    }
    return {};
  }

 private:
  // What the group looked like when its game ended.
  struct End {
    Json board;
    Json winner;
    Json draw;
    size_t moves = 0;
    bool over = false;
  };
  const TicTacToe& game_;
  std::vector<End> ends_;
};

class EveryMarkHasOneMoveRecord final : public Invariant {
 public:
  explicit EveryMarkHasOneMoveRecord(const TicTacToe& game) : game_(game) {}
  std::string_view name() const override {
    return "every mark on the board has one move record, by the player of that mark";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const std::string& marks = board_of(game_, group);
    if (!well_formed(marks)) return {};  // reported by BoardOnlyGainsMarks
    const std::vector<const Record*> records = group.records(game_.moves);
    const int placed = kSquares - count(marks, kEmpty);
    if (static_cast<int>(records.size()) != placed) {
      return group_name(group) + " has " + std::to_string(placed) + " marks but " +
             std::to_string(records.size()) + " move records";
    }
    std::string recorded(kEmptyBoard);
    for (const Record* record : records) {
      const Json& square = record->values[0];
      const Json& mark = record->values[1];
      const int id = session.player(record->participant + 1).id_in_group();
      const bool fits = square.is_number_integer() && square.get<int64_t>() >= 0 &&
                        square.get<int64_t>() < kSquares && mark == std::string(1, mark_of(id)) &&
                        recorded[square.get<size_t>()] == kEmpty &&
                        marks[square.get<size_t>()] == mark_of(id);
      if (!fits) {
        return group_name(group) + " has a move record of square " + square.dump() + " mark " +
               mark.dump() + " by player " + std::to_string(id) +
               " that does not fit the board \"" + marks + "\"";
      }
      recorded[square.get<size_t>()] = mark_of(id);
    }
    return {};
  }

 private:
  const TicTacToe& game_;
};

// The reply of each liveSend is the group's state as the event left it. An
// accepted move goes to every member on the live page with "square" and
// "id_in_group"; an error goes to its sender only; a state request goes to
// everyone on the live page. Page submits send nothing.
class RepliesCarryTheState final : public Invariant {
 public:
  explicit RepliesCarryTheState(const TicTacToe& game) : game_(game) {}
  std::string_view name() const override {
    return "every reply is the group's current state; an error reaches only its sender, anything "
           "else the whole group on the live page";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const std::string& after = board_of(game_, group);
    if (!well_formed(after)) return {};  // reported by BoardOnlyGainsMarks
    const std::string before = boards_.before(session, group);
    boards_.update(group, after);
    const std::string which = "event " + std::to_string(result.seq);
    if (event.kind != EventKind::kLive || result.error) {
      if (!result.deliveries.empty())
        return which + " was no liveSend but sent " + result.payloads[0];
      return {};
    }
    if (result.payload_values.size() != 1) {
      return which + " sent " + std::to_string(result.payload_values.size()) +
             " different payloads instead of one";
    }
    const Json& reply = result.payload_values[0];
    Json expected = game_.state(group);
    const int square = marked_square(before, after);
    if (square >= 0) {
      expected["square"] = square;
      expected["id_in_group"] = sender->id_in_group();
    }
    if (reply.is_object() && reply.contains("error")) expected["error"] = reply["error"];
    if (reply != expected || (square >= 0 && reply.contains("error"))) {
      return which + " sent " + result.payloads[0] + " but the group's state is " + expected.dump();
    }

    std::vector<uint32_t> recipients;
    for (const Delivery& delivery : result.deliveries) recipients.push_back(delivery.participant);
    std::vector<uint32_t> expected_recipients;
    if (reply.contains("error")) {
      expected_recipients.push_back(event.participant);
    } else {
      for (int id = 1; id <= group.size(); ++id) {
        const Player& member = group.player(id);
        if (session.page_of(member).kind == PageKind::kLive) {
          expected_recipients.push_back(member.participant().id_in_session);
        }
      }
    }
    if (recipients != expected_recipients) {
      return which + " sent " + result.payloads[0] + " to participants " + list(recipients) +
             " instead of " + list(expected_recipients);
    }
    return {};
  }

 private:
  static std::string list(const std::vector<uint32_t>& ids) {
    std::string text = "[";
    for (size_t i = 0; i < ids.size(); ++i) text += (i ? ", " : "") + std::to_string(ids[i]);
    return text + "]";
  }

  const TicTacToe& game_;
  BoardsBefore boards_;
};

}  // namespace

std::vector<std::unique_ptr<Invariant>> TicTacToe::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> invariants;
  invariants.push_back(std::make_unique<BoardOnlyGainsMarks>(*this));
  invariants.push_back(std::make_unique<MarksAlternate>(*this));
  invariants.push_back(std::make_unique<WinnerMatchesTheBoard>(*this));
  invariants.push_back(std::make_unique<NothingChangesAfterTheEnd>(*this));
  invariants.push_back(std::make_unique<EveryMarkHasOneMoveRecord>(*this));
  invariants.push_back(std::make_unique<RepliesCarryTheState>(*this));
  return invariants;
}

}  // namespace livectl::tictactoe
