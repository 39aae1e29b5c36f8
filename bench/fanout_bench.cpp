// Fan-out: one broadcast live_method by group size. The time per event
// grows with the group; the "deliveries" rate says what a receipt costs.
#include <vector>

#include "bench/broadcast_game.h"
#include "bench/event_loop.h"
#include "bench/support.h"

namespace livectl::bench {
namespace {

// Events per pass, whatever the group size: a fresh session per pass is then
// rare even for pairs.
constexpr int kMessagesPerSession = 4096;

// One group of `state.range(0)`; its members write in turn.
void broadcast(benchmark::State& state) {
  const int group_size = static_cast<int>(state.range(0));
  const BroadcastGame game(group_size);
  Json message(Json::value_t::object);
  message.emplace("text", "see you at the market at noon");
  std::vector<Event> events;
  for (int i = 0; i < kMessagesPerSession; ++i) {
    events.push_back(live_event(i % group_size + 1, (i + 1) * 10, message));
  }
  apply_events(state, game, group_size, events, {.deliveries = static_cast<size_t>(group_size)});
}

BENCHMARK(broadcast)
    ->Name("fanout/broadcast")
    ->ArgName("group_size")
    ->Arg(2)
    ->Arg(3)
    ->Arg(10)
    ->Arg(100);

}  // namespace
}  // namespace livectl::bench
