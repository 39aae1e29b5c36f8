#include "games/tictactoe/tictactoe.h"

#include <cstdint>
#include <optional>
#include <utility>

namespace livectl {
namespace tictactoe {

namespace {

constexpr const char* kNotAMessage = "a message must be {} or {\"square\": s}";
constexpr const char* kBadSquare = "square must be an integer from 0 to 8";

// What a liveSend asks for: the state (no square) or a move to `square`.
// `error` is set instead when the data is neither.
struct Request {
  std::optional<int> square;
  std::optional<std::string> error;
};

// The square a move names, or nothing when `value` is not an integer from
// 0 to 8. 4.0 is refused too: pages send whole numbers.
std::optional<int> square_from(const Json& value) {
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() < kSquares) return static_cast<int>(value.get<uint64_t>());
  } else if (value.is_number_integer()) {
    const int64_t square = value.get<int64_t>();
    if (square >= 0 && square < kSquares) return static_cast<int>(square);
  }
  return std::nullopt;
}

Request read_request(const Json& data) {
  if (!data.is_object()) return {std::nullopt, kNotAMessage};
  for (const auto& [key, value] : data.items()) {
    if (key != "square") return {std::nullopt, "unknown key \"" + key + "\"; " + kNotAMessage};
  }
  if (data.empty()) return {};
  const std::optional<int> square = square_from(data.front());
  if (!square) return {std::nullopt, kBadSquare};
  return {square, std::nullopt};
}

}  // namespace

TicTacToe::TicTacToe()
    : Game("tictactoe", "two players take turns marking a 3x3 board; three in a row wins", 2) {
  // Until the partner has opened their link.
  page("waiting", PageKind::kWait, "");
  page("live", PageKind::kLive, "live.html");
  page("results", PageKind::kPlain, "results.html");
}

Json TicTacToe::state(const Group& group) const {
  const int turn = whose_turn(group[board].json().get_ref<const std::string&>());
  return object({{"board", group[board]},
                 {"whose_turn", turn ? Json(turn) : Json(nullptr)},
                 {"winner", group[winner]},
                 {"draw", group[draw]}});
}

// Checks run in this order, and the first that fails is the reason given:
// the shape of the message, then whether the game is over, whose turn it
// is, and whether the square is free.
Outbox TicTacToe::live_method(Player& player, const Json& data) const {
  Group& group = player.group();
  auto refuse = [&](std::string reason) {
    Json reply = state(group);
    reply.emplace("error", std::move(reason));
    return send_to(player, std::move(reply));
  };

  const Request request = read_request(data);
  if (request.error) return refuse(*request.error);
  if (!request.square) return send_to_group(state(group));

  const int square = *request.square;
  const int id = player.id_in_group();
  std::string marks = group[board];
  if (is_over(marks)) return refuse("the game is over");
  if (whose_turn(marks) != id) return refuse("not your turn");
  if (marks[square] != kEmpty) return refuse("square " + std::to_string(square) + " is taken");

  const char mark = mark_of(id);
  marks[square] = mark;
  if (has_line(marks, mark)) {
    group[winner] = id;
  } else if (is_full(marks)) {
    group[draw] = true;
  }
  group[board] = marks;
  player.add_record(moves, {square, std::string(1, mark)});

  Json reply = state(group);
  reply.emplace("square", square);
  reply.emplace("id_in_group", id);
  return send_to_group(std::move(reply));
}

}  // namespace tictactoe
}  // namespace livectl

LIVECTL_GAME(tictactoe, livectl::tictactoe::TicTacToe)
