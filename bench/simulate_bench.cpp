// Whole simulations in memory, as `livectl simulate` runs them: the games'
// own bots choose every input, and every invariant is checked after every
// event. The figure is the one `simulate --json` reports as messages per
// second, without its start-up and output.
#include "bench/support.h"
#include "bots/simulation.h"
#include "engine/registry.h"

namespace livectl::bench {
namespace {

void simulation(benchmark::State& state, const char* game_name, int participants,
                int64_t messages) {
  const Game* game = find_game(game_name);
  if (!game) return fail(state, std::string("livectl has no game ") + game_name);
  SimulationOptions options;
  options.max_messages = messages;
  int64_t events = 0;
  int64_t deliveries = 0;
  for (auto _ : state) {
    MemoryStore store(/*keep_log=*/false);
    SessionConfig config;
    config.participants = participants;
    config.seed = 1;
    Session session(*game, store, config);
    const SimulationReport report = simulate(session, options);
    if (!report.failure.empty() || !report.checks_passed()) {
      fail(state,
           report.failure.empty() ? "an invariant of " + game->name() + " failed" : report.failure);
      break;
    }
    events += report.messages + report.submits;
    deliveries += report.deliveries;
  }
  state.SetItemsProcessed(events);
  state.counters["deliveries"] =
      benchmark::Counter(static_cast<double>(deliveries), benchmark::Counter::kIsRate);
}

// The open-ended auction runs to its message budget; the other games end.
BENCHMARK_CAPTURE(simulation, auction, "auction", 30, 3000)
    ->Name("simulate/auction")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulation, tictactoe, "tictactoe", 300, 100000)
    ->Name("simulate/tictactoe")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(simulation, bargaining, "bargaining", 100, 100000)
    ->Name("simulate/bargaining")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace livectl::bench
