// Target (f): the one door, Session::apply, over every seed game
// (games/examples.h). The bytes choose the game, the session's size, whether
// participants arrive (SessionConfig::arrivals, as served) or are present
// from the start (as simulated), then a sequence of events in any order:
// live messages with any JSON (json_from_bytes.h), submits of any page,
// arrivals, timeouts, the clock moving on, and store failures.
//
// After each event: no exception escaped apply(); a rejected event left the
// digest as it was and its error can be sent to the browser (serializes as
// JSON); an accepted event's payloads are JSON text and reach only the
// sender's group; every invariant of the game (Game::make_invariants) holds.
#include <memory>
#include <string>
#include <vector>

#include "engine/invariant.h"
#include "engine/session.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/json_from_bytes.h"
#include "engine/registry.h"
#include "games/examples.h"

using livectl::Event;
using livectl::EventKind;
using livectl::EventResult;
using livectl::Json;
using livectl::fuzz::FuzzInput;

namespace {

// Enough events to play a tic-tac-toe game out in several groups; longer
// inputs only repeat what shorter ones reach.
constexpr int kMaxEvents = 300;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  livectl_register_examples();  // as a livectl binary's main does
  FuzzInput in(data, size);
  const auto& games = livectl::all_games();
  const livectl::Game& game = *games[in.below(static_cast<uint32_t>(games.size()))];
  const uint8_t shape = in.byte();
  livectl::SessionConfig config;
  config.participants = game.players_per_group() * (1 + shape % 3);
  config.arrivals = (shape & 0x80) != 0;
  config.seed = shape;
  livectl::MemoryStore store(/*keep_log=*/false);
  livectl::Session session(game, store, config);
  std::vector<std::unique_ptr<livectl::Invariant>> invariants = game.make_invariants();
  const auto participants = static_cast<uint32_t>(config.participants);

  int64_t now_ms = 0;
  for (int n = 0; n < kMaxEvents && !in.empty(); ++n) {
    const uint8_t op = in.byte();
    Event event;
    // 0 and N+1 are not participants; the rest are.
    event.participant = in.below(participants + 2);
    switch (op % 8) {
      case 0:
      case 1:
      case 2:
        event.kind = EventKind::kLive;
        event.data = livectl::fuzz::json_from(in);
        break;
      case 3:
        event.kind = EventKind::kSubmit;
        break;
      case 4:
        event.kind = EventKind::kArrive;
        break;
      case 5:
        event.kind = EventKind::kTimeout;
        break;
      case 6:
        now_ms += int64_t{in.byte()} * 1000;  // up to 4 minutes: past every page timeout
        continue;
      default:
        store.fail_next(1);  // the next event cannot be recorded
        continue;
    }
    // Mostly "the page I am on", sometimes a stale or impossible page.
    if (op & 0x08) event.page = static_cast<int32_t>(in.byte()) - 1;
    now_ms += (op >> 4);
    event.time_ms = now_ms;

    const std::string before = session.digest();
    const EventResult* result = nullptr;
    try {
      result = &session.apply(event);
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, "apply threw: %s", e.what());
    } catch (...) {
      FUZZ_CHECK(false, "apply threw something that is not a std::exception");
    }
    if (result->error) {
      FUZZ_CHECK(session.digest() == before, "the rejected event changed the state: %s",
                 result->error->c_str());
      FUZZ_CHECK(result->deliveries.empty() && result->page_changes.empty(),
                 "a rejected event has deliveries or page changes: %s", result->error->c_str());
      try {
        (void)Json(*result->error).dump();
      } catch (const std::exception& e) {
        FUZZ_CHECK(false, "the error cannot be sent: %s", e.what());
      }
    } else {
      FUZZ_CHECK(result->payloads.size() == result->payload_values.size(),
                 "%zu payloads, %zu values", result->payloads.size(),
                 result->payload_values.size());
      for (const std::string& payload : result->payloads) {
        FUZZ_CHECK(Json::accept(payload), "a payload is not JSON: %s", payload.c_str());
      }
      const livectl::Player& sender = session.player(event.participant);
      for (const livectl::Delivery& d : result->deliveries) {
        FUZZ_CHECK(d.payload < result->payloads.size(), "delivery of payload %u", d.payload);
        const livectl::Player* to = session.find_player(d.participant);
        FUZZ_CHECK(to && &to->group() == &sender.group(),
                   "participant %u's event reached participant %u of another group",
                   event.participant, d.participant);
      }
    }
    for (const auto& invariant : invariants) {
      if (auto violation = invariant->check(session, event, *result)) {
        FUZZ_CHECK(false, "invariant \"%.*s\" broken: %s",
                   static_cast<int>(invariant->name().size()), invariant->name().data(),
                   violation->c_str());
      }
    }
  }
  return 0;
}
