// Engine dispatch: one live event of a bundled game through Session::apply,
// with what a page really sends. Each game has its common path (a bid that
// is broadcast, a move) and the cheaper ones a server also sees a lot of.
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/event_loop.h"
#include "bench/support.h"
#include "engine/registry.h"

namespace livectl::bench {
namespace {

const Game& game(const char* name) {
  const Game* found = find_game(name);
  if (!found) throw std::invalid_argument(std::string("livectl has no game ") + name);
  return *found;
}

// ---- auction: one group of three bidders ----

constexpr int kBidders = 3;
// Bids per fresh session: the bid table grows by one row per accepted bid.
constexpr int kBidsPerSession = 4096;

// Participants bid in turn, each bid `bid_of(i)` for the i-th event.
template <typename BidOf>
std::vector<Event> bids(BidOf bid_of) {
  std::vector<Event> events;
  for (int i = 0; i < kBidsPerSession; ++i) {
    events.push_back(live_event(i % kBidders + 1, (i + 1) * 1000, bid_of(i)));
  }
  return events;
}

// Each bid is above the last: a group field update, a bid record and a
// broadcast to all three.
void auction_accepted_bid(benchmark::State& state) {
  const auto events = bids([](int i) { return Json(i + 1); });
  apply_events(state, game("auction"), kBidders, events, {.deliveries = kBidders});
}

// A bid no higher than the highest (0 when none was made) changes nothing
// and reaches nobody.
void auction_low_bid(benchmark::State& state) {
  const auto events = bids([](int) { return Json(0); });
  apply_events(state, game("auction"), kBidders, events, {.deliveries = 0});
}

// Not a number: the game rejects it and the sender gets an error.
void auction_rejected_bid(benchmark::State& state) {
  const auto events = bids([](int) { return Json("oops"); });
  apply_events(state, game("auction"), kBidders, events, {.error = true});
}

BENCHMARK(auction_accepted_bid)->Name("dispatch/auction/accepted_bid");
BENCHMARK(auction_low_bid)->Name("dispatch/auction/low_bid");
BENCHMARK(auction_rejected_bid)->Name("dispatch/auction/rejected_bid");

// ---- tictactoe: many pairs, as on a busy server ----

// Groups per fresh session; each plays one whole game per pass.
constexpr int kBoards = 500;
// A game that fills the board without a line, so every board takes all nine
// moves: X 0, O 1, X 2, O 4, X 3, O 5, X 7, O 6, X 8.
constexpr std::array<int, 9> kDrawnGame = {0, 1, 2, 4, 3, 5, 7, 6, 8};

Json square(int s) {
  Json data(Json::value_t::object);
  data.emplace("square", s);
  return data;
}

// Move k of every board, then move k + 1 of every board: the groups take
// turns the way concurrent games interleave on a server.
std::vector<Event> drawn_games() {
  std::vector<Event> events;
  int64_t time_ms = 0;
  for (size_t k = 0; k < kDrawnGame.size(); ++k) {
    for (uint32_t g = 0; g < kBoards; ++g) {
      const uint32_t mover = 2 * g + 1 + static_cast<uint32_t>(k % 2);  // X is id_in_group 1
      events.push_back(live_event(mover, time_ms += 10, square(kDrawnGame[k])));
    }
  }
  return events;
}

// A legal move, broadcast with the new state to both players; the ninth
// ends the game in a draw.
void tictactoe_move(benchmark::State& state) {
  apply_events(state, game("tictactoe"), 2 * kBoards, drawn_games(), {.deliveries = 2});
}

// These change nothing, so a pass may send them several times over: fewer
// fresh sessions, less time with the timer paused.
constexpr int kRounds = 9;

// liveSend({}) on page load: the whole state, to both players.
void tictactoe_state_request(benchmark::State& state) {
  std::vector<Event> events;
  int64_t time_ms = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (uint32_t p = 1; p <= 2 * kBoards; ++p) {
      events.push_back(live_event(p, time_ms += 10, Json::object()));
    }
  }
  apply_events(state, game("tictactoe"), 2 * kBoards, events, {.deliveries = 2});
}

// O moving first: refused by the game, with the state and the reason, to
// the sender only; nothing changes.
void tictactoe_illegal_move(benchmark::State& state) {
  std::vector<Event> events;
  int64_t time_ms = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (uint32_t g = 0; g < kBoards; ++g) {
      events.push_back(live_event(2 * g + 2, time_ms += 10, square(4)));
    }
  }
  apply_events(state, game("tictactoe"), 2 * kBoards, events, {.deliveries = 1});
}

BENCHMARK(tictactoe_move)->Name("dispatch/tictactoe/move");
BENCHMARK(tictactoe_state_request)->Name("dispatch/tictactoe/state_request");
BENCHMARK(tictactoe_illegal_move)->Name("dispatch/tictactoe/illegal_move");

}  // namespace
}  // namespace livectl::bench
