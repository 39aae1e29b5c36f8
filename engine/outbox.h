#pragma once
// What live_method returns: oTree's {id_in_group: payload} mapping, or a
// rejection of the sender's input.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/json.h"

namespace livectl {

// A game's "no" to bad input: the event is rolled back and the sender gets
// `message` as an error. Build it with reject().
struct Rejection {
  std::string message;
};

inline Rejection reject(std::string message) {
  return Rejection{std::move(message)};
}

// One {id_in_group: payload} pair as written in `return {{0, payload}};`.
// The payload is mutable so that Outbox can move it out of the
// initializer_list instead of copying it (initializer_list elements are const).
struct OutboxEntry {
  OutboxEntry(int64_t id_in_group, Json payload)
      : id_in_group(id_in_group), payload(std::move(payload)) {}
  int64_t id_in_group;
  mutable Json payload;
};

class Outbox {
 public:
  using Entry = std::pair<int64_t, Json>;

  // Sends nothing.
  Outbox() = default;
  // {{0, payload}} sends to every member of the group; {{2, payload}} to the
  // player with id_in_group 2. A specific key wins over 0.
  Outbox(std::initializer_list<OutboxEntry> entries) {
    entries_.reserve(entries.size());
    for (const OutboxEntry& entry : entries)
      entries_.emplace_back(entry.id_in_group, std::move(entry.payload));
  }
  Outbox(Rejection rejection) : rejection_(std::move(rejection.message)) {}  // NOLINT

  // Builds an outbox from a JSON value the way a Python live_method's return
  // is read: null sends nothing; an object maps id strings ("0", "2") to
  // payloads; anything else is not a mapping and fails the event when routed.
  static Outbox from_json(const Json& value);

  void send(int64_t id_in_group, Json payload) {
    entries_.emplace_back(id_in_group, std::move(payload));
  }

  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& entries() { return entries_; }
  const std::optional<std::string>& rejection() const { return rejection_; }
  // Set when from_json was given something that is not a mapping of ids.
  const std::optional<std::string>& malformed() const { return malformed_; }

 private:
  std::vector<Entry> entries_;
  std::optional<std::string> rejection_;
  std::optional<std::string> malformed_;
};

// oTree's {0: payload}: to every member of the sender's group.
inline Outbox send_to_group(Json payload) {
  Outbox outbox;
  outbox.send(0, std::move(payload));
  return outbox;
}

// {2: payload, 3: payload}: the same payload to some players of the group.
inline Outbox send_to(std::initializer_list<int64_t> ids_in_group, const Json& payload) {
  Outbox outbox;
  for (const int64_t id : ids_in_group) outbox.send(id, payload);
  return outbox;
}

}  // namespace livectl
