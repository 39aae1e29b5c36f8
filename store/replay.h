#pragma once
// Proves that a stored session is reproducible from its event log alone: a
// fresh in-memory session with the recorded configuration (seed, session and
// participant codes, labels) is fed every logged event through the one door,
// with the recorded times, and each outcome is compared with the log; at the
// end the replayed state is compared with the stored one.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/game.h"
#include "engine/status.h"
#include "store/sql_store.h"

namespace livectl {

struct ReplayResult {
  uint64_t events = 0;  // events replayed
  bool matches = false;
  std::string digest;  // of the replayed state (empty if replay could not start)
  // When !matches: the event where replay first diverged from the log, or 0
  // when every event matched but the stored state differs from the replayed
  // one; and what differs, in one sentence.
  uint64_t divergent_seq = 0;
  std::string divergence;
};

// Finds a built-in game by name; nullptr when there is none.
using GameLookup = std::function<const Game*(std::string_view name)>;

// Replays the stored session with the code of `session` in `store` (opened
// for reading is enough), reading its log and state from one snapshot. Returns an error only when
// the database cannot be read; a divergence, an unknown game or a log that cannot be applied is a
// result with matches == false.
Status replay_session(SqlStore& store, const StoredSession& session, const GameLookup& games,
                      ReplayResult* out);

}  // namespace livectl
