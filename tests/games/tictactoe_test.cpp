// tictactoe: the rules of play, the replies, the bot and the invariants.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bots/simulation.h"
#include "engine/bot.h"
#include "engine/invariant.h"
#include "support.h"

namespace livectl::testing {
namespace {

constexpr const char* kEmpty = "         ";
constexpr const char* kNotYourTurn = "not your turn";
constexpr const char* kBadSquare = "square must be an integer from 0 to 8";
constexpr const char* kNotAMessage = "a message must be {} or {\"square\": s}";
constexpr const char* kOver = "the game is over";

// The state every reply carries. `turn`, `winner`: an id_in_group or 0 for null.
Json state(const std::string& board, int turn, int winner = 0, bool draw = false) {
  return Json{{"board", board},
              {"whose_turn", turn ? Json(turn) : Json(nullptr)},
              {"winner", winner ? Json(winner) : Json(nullptr)},
              {"draw", draw}};
}

// The reply to an accepted move by `mover` on `square`.
Json moved(const std::string& board, int turn, int square, int mover, int winner = 0,
           bool draw = false) {
  Json reply = state(board, turn, winner, draw);
  reply["square"] = square;
  reply["id_in_group"] = mover;
  return reply;
}

// The reply to an illegal move.
Json refused(const std::string& board, int turn, const std::string& error, int winner = 0,
             bool draw = false) {
  Json reply = state(board, turn, winner, draw);
  reply["error"] = error;
  return reply;
}

Json square(Json s) {
  return Json{{"square", std::move(s)}};
}

// What each participant received, keyed by id_in_session as in a scenario's
// "expect"; {} when nobody received anything.
Json received(const EventResult& result) {
  Json by_participant = Json::object();
  for (const Delivery& d : result.deliveries) {
    const std::string id = std::to_string(d.participant);
    REQUIRE_FALSE(by_participant.contains(id));
    by_participant[id] = result.payload_values[d.payload];
  }
  return by_participant;
}

// Both members of a group of two receiving the same payload.
Json both(const Json& payload, int first = 1) {
  return Json{{std::to_string(first), payload}, {std::to_string(first + 1), payload}};
}

// Sends moves that must all be accepted; participants alternate, starting
// with `first` (player 1 of its group).
void play(TestSession& t, const std::vector<int>& squares, uint32_t first = 1) {
  for (size_t i = 0; i < squares.size(); ++i) {
    const EventResult& result = t.send(first + i % 2, square(squares[i]));
    REQUIRE_FALSE(result.error);
    REQUIRE_FALSE(result.payload_values.at(0).contains("error"));
  }
}

// Sends `data` from `id_in_session`, which the game must refuse with `reply`
// to the sender alone, changing nothing and without an engine error.
void check_refused(TestSession& t, uint32_t id_in_session, const Json& data, const Json& reply) {
  INFO("participant " << id_in_session << " sends " << data.dump());
  const std::string before = t.session.digest();
  const EventResult& result = t.send(id_in_session, data);
  CHECK_FALSE(result.error);
  CHECK(received(result) == Json{{std::to_string(id_in_session), reply}});
  CHECK(t.session.digest() == before);
}

const RecordType& move_records() {
  static const RecordType type = [] {
    const auto& types = game_named("tictactoe").record_types();
    for (uint32_t i = 0; i < types.size(); ++i) {
      if (types[i].name == "move") return RecordType{i};
    }
    throw std::logic_error("tictactoe has no move records");
  }();
  return type;
}

// The move records of the session as {square, mark, id_in_session} rows.
Json move_rows(const TestSession& t) {
  Json rows = Json::array();
  for (const Record& record : t.session.records(move_records())) {
    rows.push_back({record.values[0], record.values[1], record.participant + 1});
  }
  return rows;
}

// ---- the rules ----

TEST_CASE("a new game has an empty board, X to move, no winner and no draw") {
  TestSession t("tictactoe");
  CHECK(t.session.game().players_per_group() == 2);
  CHECK(t.group_field("board") == kEmpty);
  CHECK(t.group_field("winner") == nullptr);
  CHECK(t.group_field("draw") == false);
  CHECK(t.page(1) == "live");
  CHECK(t.page(2) == "live");
  CHECK(received(t.send(2, Json::object())) == both(state(kEmpty, 1)));
}

TEST_CASE("a wait page for the partner, then the live page, then the results page") {
  const auto& pages = game_named("tictactoe").pages();
  REQUIRE(pages.size() == 3);
  CHECK(pages[0].name == "waiting");
  CHECK(pages[0].kind == PageKind::kWait);
  CHECK(pages[0].timeout_ms == 0);  // nobody plays tic-tac-toe alone
  CHECK(pages[1].name == "live");
  CHECK(pages[1].kind == PageKind::kLive);
  CHECK(pages[1].template_file == "live.html");
  CHECK(pages[2].name == "results");
  CHECK(pages[2].kind == PageKind::kPlain);
  CHECK(pages[2].template_file == "results.html");
}

TEST_CASE("{} sends the state to the whole group and changes nothing") {
  TestSession t("tictactoe");
  const std::string before = t.session.digest();
  CHECK(received(t.send(1, Json::object())) == both(state(kEmpty, 1)));
  CHECK(received(t.send(2, Json::object())) == both(state(kEmpty, 1)));
  CHECK(t.session.digest() == before);
  play(t, {4});
  CHECK(received(t.send(2, Json::object())) == both(state("    X    ", 2)));
}

TEST_CASE("a move marks the square and tells the whole group who moved where") {
  TestSession t("tictactoe");
  const EventResult& result = t.send(1, square(4));
  CHECK_FALSE(result.error);
  CHECK(result.payloads.size() == 1);
  CHECK(received(result) == both(moved("    X    ", 2, 4, 1)));
  CHECK(t.group_field("board") == "    X    ");
  CHECK(t.group_field("winner") == nullptr);
  CHECK(t.group_field("draw") == false);
}

TEST_CASE("player 1 plays X and player 2 plays O, taking turns") {
  TestSession t("tictactoe");
  CHECK(received(t.send(1, square(0))) == both(moved("X        ", 2, 0, 1)));
  CHECK(received(t.send(2, square(8))) == both(moved("X       O", 1, 8, 2)));
  CHECK(received(t.send(1, square(3))) == both(moved("X  X    O", 2, 3, 1)));
  CHECK(received(t.send(2, square(5))) == both(moved("X  X O  O", 1, 5, 2)));
  CHECK(t.group_field("board") == "X  X O  O");
}

TEST_CASE("a move out of turn changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  check_refused(t, 2, square(4), refused(kEmpty, 1, kNotYourTurn));
  play(t, {4});
  check_refused(t, 1, square(0), refused("    X    ", 2, kNotYourTurn));
  check_refused(t, 1, square(4), refused("    X    ", 2, kNotYourTurn));
  play(t, {0}, 2);
  check_refused(t, 2, square(8), refused("O   X    ", 1, kNotYourTurn));
  CHECK(t.group_field("board") == "O   X    ");
}

TEST_CASE("a move on a taken square changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  play(t, {4});
  check_refused(t, 2, square(4), refused("    X    ", 2, "square 4 is taken"));
  play(t, {0}, 2);
  check_refused(t, 1, square(0), refused("O   X    ", 1, "square 0 is taken"));
  check_refused(t, 1, square(4), refused("O   X    ", 1, "square 4 is taken"));
  CHECK(received(t.send(1, square(8))) == both(moved("O   X   X", 2, 8, 1)));
}

TEST_CASE("a square outside 0 to 8 changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  for (const Json& s : {Json(-1), Json(9), Json(100), Json(-9223372036854775807LL - 1),
                        Json(18446744073709551615ULL)}) {
    check_refused(t, 1, square(s), refused(kEmpty, 1, kBadSquare));
  }
  // The shape of a move is checked before whose turn it is.
  check_refused(t, 2, square(9), refused(kEmpty, 1, kBadSquare));
  CHECK(received(t.send(1, square(8))) == both(moved("        X", 2, 8, 1)));
  CHECK(received(t.send(2, square(0))) == both(moved("O       X", 1, 0, 2)));
}

TEST_CASE("a square that is not an integer changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  for (const Json& s : {Json("4"), Json(4.5), Json(4.0), Json(nullptr), Json(true),
                        Json::array({4}), Json::object()}) {
    check_refused(t, 1, square(s), refused(kEmpty, 1, kBadSquare));
  }
  CHECK(t.group_field("board") == kEmpty);
}

TEST_CASE("data that is not an object changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  for (const Json& data :
       {Json(4), Json("4"), Json(nullptr), Json(true), Json::array(), Json::array({4})}) {
    check_refused(t, 1, data, refused(kEmpty, 1, kNotAMessage));
  }
  play(t, {4});
  check_refused(t, 2, "{\"square\": 0}", refused("    X    ", 2, kNotAMessage));
}

TEST_CASE("an unknown key changes nothing and only the sender hears why, even next to a square") {
  TestSession t("tictactoe");
  check_refused(
      t, 1, Json{{"move", 4}},
      refused(kEmpty, 1, "unknown key \"move\"; a message must be {} or {\"square\": s}"));
  check_refused(
      t, 1, Json{{"square", 4}, {"mark", "X"}},
      refused(kEmpty, 1, "unknown key \"mark\"; a message must be {} or {\"square\": s}"));
  CHECK(t.group_field("board") == kEmpty);
}

TEST_CASE("an illegal move is an ordinary reply that is recorded, not an engine rejection") {
  TestSession t("tictactoe");
  const EventResult& result = t.send(2, square(4));
  CHECK_FALSE(result.error);
  CHECK(result.seq == 1);
  CHECK(t.session.last_seq() == 1);
  CHECK(result.page_changes.empty());
}

// The eight lines, written out here rather than taken from the game.
constexpr std::array<std::array<int, 3>, 8> kLines = {{
    {0, 1, 2},
    {3, 4, 5},
    {6, 7, 8},
    {0, 3, 6},
    {1, 4, 7},
    {2, 5, 8},
    {0, 4, 8},
    {2, 4, 6},
}};

bool on(const std::array<int, 3>& line, int s) {
  return s == line[0] || s == line[1] || s == line[2];
}

// The first `count` (2 or 3) squares off `line`, in order, that hold no
// line among themselves.
std::vector<int> squares_off(const std::array<int, 3>& line, size_t count) {
  std::vector<int> free;
  for (int s = 0; s < 9; ++s) {
    if (!on(line, s)) free.push_back(s);
  }
  if (count == 2) return {free[0], free[1]};
  for (size_t a = 0; a < free.size(); ++a) {
    for (size_t b = a + 1; b < free.size(); ++b) {
      for (size_t c = b + 1; c < free.size(); ++c) {
        const std::array<int, 3> three = {free[a], free[b], free[c]};
        if (std::find(kLines.begin(), kLines.end(), three) == kLines.end()) {
          return {free[a], free[b], free[c]};
        }
      }
    }
  }
  FAIL("no three squares off the line without a line");
  return {};
}

std::string board_with(const std::vector<int>& xs, const std::vector<int>& os) {
  std::string board = kEmpty;
  for (int s : xs) board[s] = 'X';
  for (int s : os) board[s] = 'O';
  return board;
}

TEST_CASE("three X in any row, column or diagonal win for player 1") {
  for (const auto& line : kLines) {
    INFO("line " << line[0] << line[1] << line[2]);
    TestSession t("tictactoe");
    const std::vector<int> os = squares_off(line, 2);
    play(t, {line[0], os[0], line[1], os[1]});
    const std::string board = board_with({line[0], line[1], line[2]}, os);
    CHECK(received(t.send(1, square(line[2]))) == both(moved(board, 0, line[2], 1, 1)));
    CHECK(t.group_field("board") == board);
    CHECK(t.group_field("winner") == 1);
    CHECK(t.group_field("draw") == false);
  }
}

TEST_CASE("three O in any row, column or diagonal win for player 2") {
  for (const auto& line : kLines) {
    INFO("line " << line[0] << line[1] << line[2]);
    TestSession t("tictactoe");
    const std::vector<int> xs = squares_off(line, 3);
    play(t, {xs[0], line[0], xs[1], line[1], xs[2]});
    const std::string board = board_with(xs, {line[0], line[1], line[2]});
    CHECK(received(t.send(2, square(line[2]))) == both(moved(board, 0, line[2], 2, 2)));
    CHECK(t.group_field("winner") == 2);
    CHECK(t.group_field("draw") == false);
  }
}

TEST_CASE("a full board without three in a row is a draw") {
  TestSession t("tictactoe");
  play(t, {0, 1, 2, 4, 3, 5, 7, 6});
  CHECK(t.group_field("draw") == false);
  CHECK(received(t.send(1, square(8))) == both(moved("XOXXOOOXX", 0, 8, 1, 0, true)));
  CHECK(t.group_field("winner") == nullptr);
  CHECK(t.group_field("draw") == true);
  CHECK(received(t.send(2, Json::object())) == both(state("XOXXOOOXX", 0, 0, true)));
}

TEST_CASE("three in a row on the last free square is a win, not a draw") {
  TestSession t("tictactoe");
  play(t, {0, 1, 2, 4, 3, 5, 7, 8});
  CHECK(received(t.send(1, square(6))) == both(moved("XOXXOOXXO", 0, 6, 1, 1)));
  CHECK(t.group_field("winner") == 1);
  CHECK(t.group_field("draw") == false);
}

TEST_CASE("after the game is over a move changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  play(t, {0, 3, 1, 4, 2});
  const std::string over = "XXXOO    ";
  check_refused(t, 2, square(5), refused(over, 0, kOver, 1));
  check_refused(t, 1, square(8), refused(over, 0, kOver, 1));
  check_refused(t, 2, square(0), refused(over, 0, kOver, 1));
  // A malformed message is refused as malformed, whatever the state.
  check_refused(t, 2, square(9), refused(over, 0, kBadSquare, 1));
  check_refused(t, 1, "late", refused(over, 0, kNotAMessage, 1));
  CHECK(received(t.send(1, Json::object())) == both(state(over, 0, 1)));
  CHECK(t.group_field("winner") == 1);
}

TEST_CASE("after a draw a move changes nothing and only the sender hears why") {
  TestSession t("tictactoe");
  play(t, {0, 1, 2, 4, 3, 5, 7, 6, 8});
  check_refused(t, 2, square(0), refused("XOXXOOOXX", 0, kOver, 0, true));
}

TEST_CASE("each accepted move adds one move record with its square and mark") {
  TestSession t("tictactoe");
  play(t, {4, 0});
  REQUIRE_FALSE(t.send(2, square(1)).error);  // out of turn
  REQUIRE_FALSE(t.send(1, square(4)).error);  // taken
  REQUIRE_FALSE(t.send(1, "x").error);        // malformed
  play(t, {8});
  CHECK(move_rows(t) == Json::array({{4, "X", 1}, {0, "O", 2}, {8, "X", 1}}));
}

TEST_CASE("moves in one group neither change nor reach another group") {
  TestSession t("tictactoe", 6);
  CHECK(received(t.send(3, square(4))) == both(moved("    X    ", 2, 4, 1), 3));
  CHECK(received(t.send(6, square(4))) == Json{{"6", refused(kEmpty, 1, kNotYourTurn)}});
  CHECK(received(t.send(5, square(0))) == both(moved("X        ", 2, 0, 1), 5));
  CHECK(received(t.send(4, square(0))) == both(moved("O   X    ", 1, 0, 2), 3));
  CHECK(received(t.send(1, Json::object())) == both(state(kEmpty, 1)));
  CHECK(t.group_field("board", 1) == kEmpty);
  CHECK(t.group_field("board", 3) == "O   X    ");
  CHECK(t.group_field("board", 5) == "X        ");
  CHECK(move_rows(t) == Json::array({{4, "X", 3}, {0, "X", 5}, {0, "O", 4}}));
}

TEST_CASE("a player who has moved on to the results page no longer receives the state") {
  TestSession t("tictactoe");
  play(t, {0, 3, 1, 4, 2});
  const EventResult& submitted = t.submit(1, t.page_index("live"));
  CHECK_FALSE(submitted.error);
  CHECK(submitted.page_changes == std::vector<uint32_t>{1});
  CHECK(t.page(1) == "results");
  CHECK(received(t.send(2, Json::object())) == Json{{"2", state("XXXOO    ", 0, 1)}});
  const EventResult& late = t.send(1, Json::object());
  REQUIRE(late.error);
  CHECK(*late.error == "participant 1 is not on a live page (on 'results')");
}

// ---- the bot ----

const PageSpec& page_named(const std::string& name) {
  const Game& game = game_named("tictactoe");
  return game.pages()[game.find_page(name)];
}

bool is_legal_move(const Json& data, const std::string& board) {
  if (!data.is_object() || data.size() != 1 || !data.contains("square")) return false;
  const Json& s = data["square"];
  return s.is_number_integer() && s.get<int64_t>() >= 0 && s.get<int64_t>() < 9 &&
         board[s.get<size_t>()] == ' ';
}

TEST_CASE("the bot first asks for the state, as a page does on load") {
  auto bot = game_named("tictactoe").make_bot(1, 2);
  Rng rng(1);
  const BotAction first = bot->act(page_named("live"), rng);
  CHECK(first.kind == BotAction::Kind::kSend);
  CHECK(first.data == Json::object());
  // It knows nothing until a state arrives.
  CHECK(bot->act(page_named("live"), rng).kind == BotAction::Kind::kWait);
}

TEST_CASE("on its turn the bot mostly moves to an empty square and sometimes makes illegal moves") {
  const std::string board = "X   O    ";
  // The illegal moves go to a game in the same position, to see why each is refused.
  TestSession t("tictactoe");
  play(t, {0, 4});
  std::set<std::string> reasons;
  int legal = 0;
  int illegal = 0;
  Rng rng(5);
  for (int i = 0; i < 1000; ++i) {
    auto bot = game_named("tictactoe").make_bot(1, 2);
    bot->act(page_named("live"), rng);
    bot->on_receive(state(board, 1));
    const BotAction action = bot->act(page_named("live"), rng);
    REQUIRE(action.kind == BotAction::Kind::kSend);
    if (is_legal_move(action.data, board)) {
      ++legal;
      continue;
    }
    ++illegal;
    const Json reply = received(t.send(1, action.data));
    REQUIRE(reply.size() == 1);
    reasons.insert(reply["1"].at("error").get<std::string>());
  }
  CHECK(illegal > 100);
  CHECK(illegal < 200);
  CHECK(legal + illegal == 1000);
  CHECK(reasons == std::set<std::string>{kBadSquare, kNotAMessage,
                                         "unknown key \"mark\"; a message must be {} or "
                                         "{\"square\": s}",
                                         "square 0 is taken", "square 4 is taken"});
  CHECK(t.group_field("board") == board);
}

TEST_CASE("the bot mostly waits while it is the other player's turn") {
  const std::string board = "    X    ";
  int waits = 0;
  int out_of_turn = 0;
  Rng rng(9);
  for (int i = 0; i < 1000; ++i) {
    auto bot = game_named("tictactoe").make_bot(1, 2);
    bot->act(page_named("live"), rng);
    bot->on_receive(moved(board, 2, 4, 1));
    const BotAction action = bot->act(page_named("live"), rng);
    if (action.kind == BotAction::Kind::kWait) {
      ++waits;
    } else {
      REQUIRE(action.kind == BotAction::Kind::kSend);
      CHECK(is_legal_move(action.data, board));  // legal but for the turn
      ++out_of_turn;
    }
  }
  CHECK(waits > 850);
  CHECK(out_of_turn > 50);
}

TEST_CASE("once the game is over the bot submits the live page and is done on the results page") {
  for (const Json& end : {refused("XXXOO    ", 0, kOver, 1), state("XOXXOOOXX", 0, 0, true)}) {
    auto bot = game_named("tictactoe").make_bot(2, 2);
    Rng rng(2);
    bot->act(page_named("live"), rng);
    bot->on_receive(end);
    int submits = 0;
    for (int i = 0; i < 100; ++i) {
      const BotAction action = bot->act(page_named("live"), rng);
      if (action.kind == BotAction::Kind::kSubmit) {
        ++submits;
      } else {
        CHECK(action.kind == BotAction::Kind::kSend);  // one more move, for the game to refuse
      }
    }
    CHECK(submits > 80);
    CHECK(bot->act(page_named("results"), rng).kind == BotAction::Kind::kDone);
  }
}

TEST_CASE("the bot ignores payloads that are not a state") {
  auto bot = game_named("tictactoe").make_bot(1, 2);
  Rng rng(4);
  bot->act(page_named("live"), rng);
  for (const Json& junk : {Json("hello"), Json{{"board", 5}}, Json{{"board", "XX"}},
                           Json{{"type", "game_finished"}}}) {
    bot->on_receive(junk);
    CHECK(bot->act(page_named("live"), rng).kind == BotAction::Kind::kWait);
  }
}

TEST_CASE("bots of 20 participants all finish their games and reach the results page") {
  TestSession t("tictactoe", 20, 7);
  const SimulationReport report = t.simulate_bots();
  CHECK(report.checks_passed());
  CHECK(report.checks.size() == 7);
  CHECK(report.bots_done == 20);
  CHECK(report.bots_waiting == 0);
  CHECK(report.errors == 0);
  CHECK(report.submits == 20);
  CHECK(report.messages < 1000);
  for (uint32_t id = 1; id <= 20; ++id) {
    CHECK(t.page(id) == "results");
    const bool over = t.group_field("winner", id) != nullptr || t.group_field("draw", id) == true;
    CHECK(over);
  }
}

TEST_CASE("the same seed gives the same simulated session") {
  SimulationOptions options;
  options.max_messages = 100000;
  TestSession first("tictactoe", 20, 11);
  TestSession second("tictactoe", 20, 11);
  const SimulationReport a = simulate(first.session, options);
  const SimulationReport b = simulate(second.session, options);
  CHECK(a.messages == b.messages);
  CHECK(a.deliveries == b.deliveries);
  CHECK(first.session.digest() == second.session.digest());
}

// ---- the invariants ----

// A session whose events also go through the game's invariants; each call
// returns the violations, as "name: description".
class CheckedSession {
 public:
  explicit CheckedSession(int participants = 4)
      : t("tictactoe", participants), invariants_(game_named("tictactoe").make_invariants()) {}

  std::vector<std::string> send(uint32_t id_in_session, Json data) {
    const Event event{EventKind::kLive, id_in_session, 0, -1, data};
    return check(event, t.send(id_in_session, std::move(data)));
  }
  std::vector<std::string> submit(uint32_t id_in_session) {
    const Event event{EventKind::kSubmit, id_in_session, 0, -1, nullptr};
    return check(event, t.submit(id_in_session));
  }
  // Runs the checks on a result the test may have altered.
  std::vector<std::string> check(const Event& event, const EventResult& result) {
    std::vector<std::string> violations;
    for (const auto& invariant : invariants_) {
      if (auto problem = invariant->check(t.session, event, result)) {
        violations.push_back(std::string(invariant->name()) + ": " + *problem);
      }
    }
    return violations;
  }
  // Moves that must be accepted without violations; participants
  // alternate, starting with `first`.
  void play(const std::vector<int>& squares, uint32_t first = 1) {
    for (size_t i = 0; i < squares.size(); ++i) {
      REQUIRE(send(first + i % 2, square(squares[i])) == std::vector<std::string>{});
    }
  }
  // Sets a group field behind the game's back, with a JSON value the field
  // checks against its declared type (the handle's C++ type is not used).
  void set(uint32_t id_in_session, const std::string& name, Json value) {
    const auto index = static_cast<uint32_t>(t.session.game().find_group_field(name));
    t.session.player(id_in_session).group()[GroupFieldOf<std::string>{GroupField{index}}] = value;
  }

  TestSession t;

 private:
  std::vector<std::unique_ptr<Invariant>> invariants_;
};

using Violations = std::vector<std::string>;

constexpr const char* kGainsMarks = "the board only gains marks, at most one per event: ";
constexpr const char* kAlternate =
    "X and O alternate, X first, each placed by its own player on their turn: ";
constexpr const char* kWinner =
    "winner is the player with three in a row, and draw means a full board without one: ";
constexpr const char* kAfterTheEnd = "nothing in a group changes after its game is over: ";
constexpr const char* kRecords =
    "every mark on the board has one move record, by the player of that mark: ";
constexpr const char* kReplies =
    "every reply is the group's current state; an error reaches only its sender, anything else "
    "the whole group on the live page: ";

std::string violation(const char* invariant, const std::string& description) {
  return invariant + description;
}

TEST_CASE("the invariants have sentence names") {
  std::vector<std::string> names;
  for (const auto& invariant : game_named("tictactoe").make_invariants()) {
    names.emplace_back(invariant->name());
  }
  CHECK(names ==
        std::vector<std::string>{
            "the board only gains marks, at most one per event",
            "X and O alternate, X first, each placed by its own player on their turn",
            "winner is the player with three in a row, and draw means a full board without one",
            "nothing in a group changes after its game is over",
            "every mark on the board has one move record, by the player of that mark",
            "every reply is the group's current state; an error reaches only its sender, anything "
            "else the whole group on the live page"});
}

TEST_CASE("the invariants hold through a win, a draw, illegal moves and the results page") {
  CheckedSession c;
  CHECK(c.send(1, Json::object()) == Violations{});
  for (const auto& [who, data] :
       std::vector<std::pair<uint32_t, Json>>{{2, square(4)},  // out of turn
                                              {1, square(4)},
                                              {2, square(0)},
                                              {1, square(0)},  // taken
                                              {2, square(3)},  // out of turn
                                              {1, square(1)},
                                              {2, square(4)},  // taken
                                              {1, "x"},        // malformed
                                              {2, square(8)},
                                              {1, square(7)},  // X wins the middle column
                                              {2, square(5)},  // the game is over
                                              {2, Json::object()}}) {
    INFO(who << " sends " << data.dump());
    CHECK(c.send(who, data) == Violations{});
  }
  CHECK(c.t.group_field("board") == "OX  X  XO");
  CHECK(c.t.group_field("winner") == 1);
  c.play({0, 1, 2, 4, 3, 5, 7, 6, 8}, 3);
  CHECK(c.t.group_field("draw", 3) == true);
  CHECK(c.send(4, square(0)) == Violations{});
  CHECK(c.submit(1) == Violations{});
  CHECK(c.send(2, Json::object()) == Violations{});
  CHECK(c.send(1, Json::object()) == Violations{});  // refused by the engine
  CHECK(c.submit(2) == Violations{});
}

TEST_CASE("a board that loses a mark is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, square(4)) == Violations{});
  c.set(1, "board", kEmpty);
  CHECK(c.send(1, Json::object()) ==
        Violations{violation(kGainsMarks, "square 4 of group 1 went from 'X' to ' '"),
                   violation(kRecords, "group 1 has 0 marks but 1 move records")});
}

TEST_CASE("two marks in one event are reported") {
  CheckedSession c;
  c.set(3, "board", "X   O    ");
  CHECK(c.send(3, Json::object()) ==
        Violations{violation(kGainsMarks, "group 2 gained 2 marks in one event"),
                   violation(kRecords, "group 2 has 2 marks but 0 move records")});
}

TEST_CASE("a board that is not 9 squares of X, O and space is reported") {
  CheckedSession c;
  c.set(1, "board", "XX");
  CHECK(c.send(2, Json::object()) ==
        Violations{violation(
            kGainsMarks, "group 1 has board \"XX\", which is not 9 squares of 'X', 'O' and ' '")});
}

TEST_CASE("more O than X is reported") {
  CheckedSession c;
  c.set(1, "board", "    O    ");
  const Violations violations = c.send(1, Json::object());
  REQUIRE(violations.size() == 3);
  CHECK(violations[0] == violation(kAlternate, "group 1 has 0 X and 1 O"));
  CHECK(violations[1] == violation(kRecords, "group 1 has 1 marks but 0 move records"));
  CHECK(violations[2].starts_with(kReplies));
}

TEST_CASE("a player who places the other player's mark is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, square(4)) == Violations{});
  c.set(1, "board", "O   X    ");
  const Violations violations = c.send(1, Json::object());
  REQUIRE(violations.size() == 3);
  CHECK(violations[0] == violation(kAlternate, "player 1 of group 1 placed 'O' on square 0"));
  CHECK(violations[1] == violation(kRecords, "group 1 has 2 marks but 1 move records"));
  CHECK(violations[2] ==
        violation(kReplies,
                  "event 2 sent "
                  "{\"board\":\"O   X    \",\"draw\":false,\"whose_turn\":1,\"winner\":null} but "
                  "the group's state is {\"board\":\"O   X    \",\"draw\":false,\"id_in_group\":1,"
                  "\"square\":0,\"whose_turn\":1,\"winner\":null}"));
}

TEST_CASE("a move after the game is over is reported") {
  CheckedSession c;
  c.play({0, 3, 1, 4, 2});
  c.set(1, "board", "XXXOOO   ");
  const Violations violations = c.send(2, Json::object());
  REQUIRE(violations.size() == 5);
  CHECK(violations[0] ==
        violation(kAlternate, "player 2 of group 1 moved after the game was over"));
  CHECK(violations[1] ==
        violation(kWinner, "group 1 has three in a row of both X and O on \"XXXOOO   \""));
  CHECK(
      violations[2] ==
      violation(kAfterTheEnd,
                "group 1 changed after its game was over: board \"XXXOO    \" winner 1 draw "
                "false with 5 moves became board \"XXXOOO   \" winner 1 draw false with 5 moves"));
  CHECK(violations[3] == violation(kRecords, "group 1 has 6 marks but 5 move records"));
  CHECK(violations[4].starts_with(kReplies));
}

TEST_CASE("a winner the board does not show is reported") {
  CheckedSession c;
  REQUIRE(c.send(1, square(4)) == Violations{});
  c.set(1, "winner", 1);
  const Violations violations = c.send(2, Json::object());
  REQUIRE(violations.size() == 1);
  CHECK(violations[0] ==
        violation(kWinner, "group 1 has winner 1 but the board \"    X    \" gives null"));
}

TEST_CASE("a missing winner is reported") {
  CheckedSession c;
  c.play({0, 3, 1, 4});
  c.set(1, "board", "XXXOO    ");
  const Violations violations = c.send(1, Json::object());
  REQUIRE(violations.size() == 3);
  CHECK(violations[0] ==
        violation(kWinner, "group 1 has winner null but the board \"XXXOO    \" gives 1"));
  CHECK(violations[1] == violation(kRecords, "group 1 has 5 marks but 4 move records"));
  CHECK(violations[2].starts_with(kReplies));
}

TEST_CASE("a move record that does not fit the board is reported") {
  CheckedSession c;
  c.play({0, 3});
  c.set(1, "board", "O  X     ");
  const Violations violations = c.send(1, Json::object());
  REQUIRE(violations.size() == 2);
  CHECK(violations[0] == violation(kGainsMarks, "square 0 of group 1 went from 'X' to 'O'"));
  CHECK(violations[1] == violation(kRecords,
                                   "group 1 has a move record of square 0 mark \"X\" by player 1 "
                                   "that does not fit the board \"O  X     \""));
}

TEST_CASE("a draw on a board that is not full is reported") {
  CheckedSession c;
  c.set(3, "draw", true);
  CHECK(c.send(4, Json::object()) ==
        Violations{violation(kWinner, "group 2 has draw true with board \"         \"")});
}

TEST_CASE("a change after a draw is reported") {
  CheckedSession c;
  c.play({0, 1, 2, 4, 3, 5, 7, 6, 8});
  c.set(1, "draw", false);
  const Violations violations = c.send(1, Json::object());
  REQUIRE(violations.size() == 2);
  CHECK(violations[0] == violation(kWinner, "group 1 has draw false with board \"XOXXOOOXX\""));
  CHECK(violations[1] ==
        violation(kAfterTheEnd,
                  "group 1 changed after its game was over: board \"XOXXOOOXX\" winner null draw "
                  "true with 9 moves became board \"XOXXOOOXX\" winner null draw false with 9 "
                  "moves"));
}

TEST_CASE("an error sent to the whole group is reported") {
  CheckedSession c;
  const Event event{EventKind::kLive, 2, 0, -1, square(4)};
  EventResult loud = c.t.send(2, square(4));
  REQUIRE(loud.deliveries.size() == 1);
  loud.deliveries.insert(loud.deliveries.begin(), Delivery{1, 0});
  CHECK(c.check(event, loud) ==
        Violations{violation(kReplies,
                             "event 1 sent "
                             "{\"board\":\"         \",\"draw\":false,\"error\":\"not your "
                             "turn\",\"whose_turn\":1,\"winner\":null} to participants [1, 2] "
                             "instead of [2]")});
}

TEST_CASE("a move that does not reach the whole group is reported") {
  CheckedSession c;
  const Event event{EventKind::kLive, 1, 0, -1, square(4)};
  EventResult quiet = c.t.send(1, square(4));
  REQUIRE(quiet.deliveries.size() == 2);
  quiet.deliveries.pop_back();
  CHECK(c.check(event, quiet) ==
        Violations{violation(kReplies,
                             "event 1 sent {\"board\":\"    X    \",\"draw\":false,\"id_in_group\":"
                             "1,\"square\":4,\"whose_turn\":2,\"winner\":null} to participants [1] "
                             "instead of [1, 2]")});
}

TEST_CASE("a reply that is not the group's state is reported") {
  CheckedSession c;
  const Event event{EventKind::kLive, 1, 0, -1, Json::object()};
  EventResult stale = c.t.send(1, Json::object());
  stale.payload_values[0]["board"] = "X        ";
  stale.payloads[0] = stale.payload_values[0].dump();
  CHECK(c.check(event, stale) ==
        Violations{violation(kReplies,
                             "event 1 sent {\"board\":\"X        \",\"draw\":false,\"whose_turn\":"
                             "1,\"winner\":null} but the group's state is {\"board\":\"         "
                             "\",\"draw\":false,\"whose_turn\":1,\"winner\":null}")});
}

TEST_CASE("a delivery on a page submit is reported") {
  CheckedSession c;
  const Event event{EventKind::kSubmit, 1, 0, -1, nullptr};
  EventResult chatty = c.t.submit(1);
  chatty.payload_values.push_back(state(kEmpty, 1));
  chatty.payloads.push_back(chatty.payload_values.back().dump());
  chatty.deliveries.push_back({2, 0});
  CHECK(c.check(event, chatty) ==
        Violations{violation(kReplies,
                             "event 1 was no liveSend but sent {\"board\":\"         \",\"draw\":"
                             "false,\"whose_turn\":1,\"winner\":null}")});
}

}  // namespace
}  // namespace livectl::testing
