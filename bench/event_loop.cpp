#include "bench/event_loop.h"

#include <optional>
#include <string>
#include <utility>

#include "bench/support.h"

namespace livectl::bench {

namespace {

std::string describe(const Event& event, const EventResult& result, Expect expect) {
  std::string what = "event " + std::to_string(result.seq) + " from participant " +
                     std::to_string(event.participant) + " (" + event.data.dump() + ") ";
  if (result.error) return what + "was rejected: " + *result.error;
  if (expect.error) return what + "was accepted, but it should have been rejected";
  return what + "reached " + std::to_string(result.deliveries.size()) + " participants, not " +
         std::to_string(expect.deliveries);
}

}  // namespace

void apply_events(benchmark::State& state, const Game& game, int participants,
                  const std::vector<Event>& events, Expect expect) {
  MemoryStore store(/*keep_log=*/false);
  SessionConfig config;
  config.participants = participants;
  std::optional<Session> session;
  session.emplace(game, store, config);
  size_t next = 0;
  int64_t deliveries = 0;
  for (auto _ : state) {
    if (next == events.size()) {
      state.PauseTiming();
      session.emplace(game, store, config);
      next = 0;
      state.ResumeTiming();
    }
    const Event& event = events[next++];
    const EventResult& result = session->apply(event);
    if (result.error.has_value() != expect.error ||
        (!expect.error && result.deliveries.size() != expect.deliveries)) {
      fail(state, describe(event, result, expect));
      break;
    }
    deliveries += static_cast<int64_t>(result.deliveries.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["deliveries"] =
      benchmark::Counter(static_cast<double>(deliveries), benchmark::Counter::kIsRate);
}

Event live_event(uint32_t id_in_session, int64_t time_ms, Json data) {
  Event event;
  event.kind = EventKind::kLive;
  event.participant = id_in_session;
  event.time_ms = time_ms;
  event.data = std::move(data);
  return event;
}

}  // namespace livectl::bench
