#pragma once
// Where a session's events and state changes go when an event commits.
// The engine calls the store inside the event's transaction: if record()
// fails, the engine rolls the event back and the sender gets the error.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/event.h"
#include "engine/status.h"

namespace livectl {

class Session;

// One value the event changed. `value` points into the session and is valid
// only during the record() call.
struct Change {
  // kPage: the participant moved one page on. kArrival: the participant
  // arrived (Participant::arrived), without moving. kGroupFormed: a new
  // group of a round that groups by arrival time (PageSpec::by_arrival),
  // with its members (Group::members()) placed in it.
  enum class Scope : uint8_t {
    kGroupField,
    kPlayerField,
    kPage,
    kRecord,
    kArrival,
    kParticipantField,
    kGroupFormed,
    // A game timer was scheduled, fired, moved on or dropped:
    // Session::timers() has its state now (absent: not scheduled).
    kTimer,
    // The participant's presence (Participant::present) changed.
    kPresence
  };
  Scope scope;
  // The index in Session::groups() for kGroupField, kRecord and
  // kGroupFormed, in
  // Session::players() for kPlayerField, the participant's index otherwise;
  // for kTimer, ScheduledTimer::owner.
  uint32_t owner;
  // Field index; record type for kRecord; the timer's index in its game for
  // kTimer; unused for kPage.
  uint32_t field;
  uint32_t row;  // for kRecord: the row's index in its type's table; for kTimer: the app
};

// A payload a participant received on the page they are on, as stored:
// its Delivery::seq and its JSON text.
struct PageDelivery {
  uint64_t seq;
  std::string payload;
};

class Store {
 public:
  virtual ~Store() = default;
  // Records `event` and its outcome (`result`, with `result.error` set for a
  // rejected event, in which case `changes` is empty, except for a timer
  // whose function failed: that timer still moves on, as one kTimer change;
  // and for a presence event whose Game::on_presence failed: the presence
  // still changes, as one kPresence change). Returns an error when
  // the event could not be recorded; the engine then rolls it back.
  virtual Status record(const Session& session, const Event& event, const EventResult& result,
                        std::span<const Change> changes) = 0;
  // Makes everything recorded so far durable. Deliveries may be released
  // once this returns ok.
  virtual Status flush() = 0;
};

// Keeps the event log in memory (or only counts it, for the fastest
// simulations). Never fails unless told to, which tests use to prove that a
// failed commit rolls the event back.
class MemoryStore final : public Store {
 public:
  struct Entry {
    uint64_t seq;
    EventKind kind;
    uint32_t participant;
    int64_t time_ms;
    Json data;
    std::optional<std::string> error;
    uint32_t deliveries;
    uint32_t changes;
  };

  explicit MemoryStore(bool keep_log = true) : keep_log_(keep_log) {}

  Status record(const Session& session, const Event& event, const EventResult& result,
                std::span<const Change> changes) override;
  Status flush() override { return Status(); }

  // Makes the next `n` record() calls fail (fault injection for tests).
  void fail_next(int n) { failures_left_ = n; }

  uint64_t events_recorded() const { return events_recorded_; }
  const std::vector<Entry>& log() const { return log_; }

 private:
  bool keep_log_;
  int failures_left_ = 0;
  uint64_t events_recorded_ = 0;
  std::vector<Entry> log_;
};

}  // namespace livectl
