#pragma once
// Runs a session with one bot per participant and a seeded scheduler that
// decides which bot acts next: same seed, same order, same transcript.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/session.h"

namespace livectl {

struct SimulationOptions {
  // Stop after this many liveSend messages (submits are not counted).
  int64_t max_messages = 0;
  // When set, one JSON line per event: what was sent and who received what.
  std::ostream* transcript = nullptr;
  // Called now and then with the number of messages sent so far.
  std::function<void(int64_t messages)> progress;

  // Durable runs. When set, simulate() calls store->flush() after every
  // `commit_every` recorded events and at the end, and holds each transcript
  // line back until the flush that made its event durable, as a server holds
  // back deliveries. Bots still receive at once: they live and die with this
  // process, so nothing outside it learns of an event before it is durable.
  // A failed flush stops the simulation (report.failure).
  Store* store = nullptr;
  int64_t commit_every = 1000;
  // Resuming a stored session: its events up to `resume_after` are durable
  // already and are re-run only to rebuild the bots (the caller's store must
  // not record them again); their transcript lines are written at once.
  // After that event the session's digest must equal `resume_digest`, or the
  // simulation stops (report.failure).
  uint64_t resume_after = 0;
  std::string resume_digest;
};

struct CheckResult {
  std::string name;
  uint64_t violations = 0;
  std::string first_violation;  // with the event's sequence number
};

struct SimulationReport {
  int64_t messages = 0;    // liveSend events, accepted or rejected
  int64_t submits = 0;     // page submits
  int64_t deliveries = 0;  // liveRecv payloads received by bots
  int64_t errors = 0;      // events rejected with an error to the sender
  int64_t bots_done = 0;
  int64_t bots_waiting = 0;  // bots left waiting for input nobody will send
  std::vector<CheckResult> checks;
  double elapsed_seconds = 0;
  // Why the simulation stopped before its end (a failed commit, a resumed
  // session that is not this simulation's); empty when it ran to its end.
  std::string failure;

  bool checks_passed() const;
};

// Plays `session` with the game's bots until every bot is done or waiting,
// or `options.max_messages` have been sent. The scheduler is seeded with the
// session's seed. Every invariant of the game, and that messages never leave
// the sender's group, is checked after every event.
SimulationReport simulate(Session& session, const SimulationOptions& options);

}  // namespace livectl
