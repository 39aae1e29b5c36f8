#pragma once
// Drives Session::apply, the one door, with one event per benchmark
// iteration, into a MemoryStore that only counts: the engine's own cost,
// without storage or transport.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "engine/session.h"

namespace livectl::bench {

// What every event of a benchmark must produce. An event that does otherwise
// (rejected where a broadcast was meant, say) fails the benchmark.
struct Expect {
  bool error = false;     // rejected, with an error to the sender
  size_t deliveries = 0;  // receipts, when not rejected
};

// Applies `events` in order, one per iteration, and starts over on a fresh
// session of `participants` (built while the timer is paused) once they are
// used up, so that state which only grows (accepted bids, moves) stays
// bounded and every pass starts from the same state. Sets items_per_second
// (events) and the rate counter "deliveries".
// REQUIRES: `events` is not empty and each has a time_ms the session accepts.
void apply_events(benchmark::State& state, const Game& game, int participants,
                  const std::vector<Event>& events, Expect expect);

// A liveSend of `data` from participant `id_in_session` at `time_ms`.
Event live_event(uint32_t id_in_session, int64_t time_ms, Json data);

}  // namespace livectl::bench
