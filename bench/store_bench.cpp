// The durable path: auction bids through Session::apply into a SqlStore on
// a real file, committed after every event or in groups. A commit is one
// fsync of the write-ahead log (synchronous = FULL), so these figures are
// the disk's as much as livectl's; they are timed on the wall clock.
#include <memory>

#include "bench/support.h"
#include "engine/registry.h"
#include "engine/session.h"
#include "store/sql_store.h"

namespace livectl::bench {
namespace {

constexpr int kBidders = 3;

// Every bid is above the last: each event adds a log row and a bid row and
// changes the group's fields, which the commit writes.
void commit(benchmark::State& state) {
  const int64_t commit_every = state.range(0);
  const Game* auction = find_game("auction");
  if (!auction) return fail(state, "livectl has no game auction");
  TempDir dir;
  std::unique_ptr<SqlStore> store;
  if (Status status = SqlStore::open(dir.file("livectl.db"), &store); !status.ok()) {
    return fail(state, status.message());
  }
  SessionConfig config;
  config.participants = kBidders;
  Session session(*auction, *store, config);
  if (Status status = store->add_session(session, "bench", Json::object()); !status.ok()) {
    return fail(state, status.message());
  }
  if (Status status = store->flush(); !status.ok()) return fail(state, status.message());

  Event event;
  event.kind = EventKind::kLive;
  int64_t applied = 0;
  int64_t unflushed = 0;
  int64_t commits = 0;
  for (auto _ : state) {
    ++applied;
    event.participant = static_cast<uint32_t>((applied - 1) % kBidders + 1);
    event.time_ms = applied * 1000;
    event.data = applied;
    const EventResult& result = session.apply(event);
    if (result.error || result.deliveries.size() != kBidders) {
      fail(state, "bid " + std::to_string(applied) +
                      " was not broadcast: " + result.error.value_or("no error"));
      break;
    }
    // The last iteration commits too, so that every timed event is durable.
    if (++unflushed == commit_every || applied == state.max_iterations) {
      if (Status status = store->flush(); !status.ok()) {
        fail(state, status.message());
        break;
      }
      unflushed = 0;
      ++commits;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["commits"] =
      benchmark::Counter(static_cast<double>(commits), benchmark::Counter::kIsRate);
}

BENCHMARK(commit)
    ->Name("store/commit")
    ->ArgName("every")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime();

}  // namespace
}  // namespace livectl::bench
