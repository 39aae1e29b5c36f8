#pragma once
// A property of a game's state that must hold after every event; simulate
// checks each one after each event and reports the first violation.
#include <optional>
#include <string>
#include <string_view>

#include "engine/event.h"
#include "engine/session.h"

namespace livectl {

class Invariant {
 public:
  virtual ~Invariant() = default;
  // A sentence naming the property, e.g. "the board only gains marks".
  virtual std::string_view name() const = 0;
  // Checks the state after `event` was applied with `result`. Returns a
  // description of the violation, or nothing when the property holds.
  // Invariants may keep their own shadow state between calls.
  virtual std::optional<std::string> check(const Session& session, const Event& event,
                                           const EventResult& result) = 0;
};

}  // namespace livectl
