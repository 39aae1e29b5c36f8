#pragma once
// The one door's input and output.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/json.h"

namespace livectl {

enum class EventKind : uint8_t {
  kLive,    // a liveSend from a participant's page
  kSubmit,  // a participant pressed next on their current page
  // A served participant opened their link (or page socket) for the first
  // time: from then on they count as present on wait pages. Data
  // {"label": "PC07"} gives them that label (a room link); no other data.
  kArrive,
  // The timeout of `Event::page` fired for the participant (PageSpec::timeout_ms).
  kTimeout,
  // A game timer of `Event::page` fired: data {"timer": name}. A player
  // timer's participant is its owner; a group timer's is the group's member
  // with id_in_group 1 (who may be on another page by then).
  kTimer,
  // The participant's last open page went away ({"present": false}, after
  // a grace period) or one came back ({"present": true}): Game::on_presence.
  kPresence,
};

const char* event_kind_name(EventKind kind);

struct Event {
  EventKind kind = EventKind::kLive;
  uint32_t participant = 0;  // id_in_session, 1..N
  int64_t time_ms = 0;       // session clock; the caller decides (virtual or recorded)
  // The page the client believes it is on; -1 = whatever page it is on now.
  // A mismatch rejects the event, so a stale tab or a double submit changes nothing.
  // A timeout names the page whose timer fired.
  int32_t page = -1;
  // The liveSend payload; a submit's form values ({"field": value}, a
  // value as JSON or as the text a browser's form sends); an arrive's
  // label; null otherwise.
  Json data;
};

// One receipt of one payload. Payloads are serialized once however many
// participants receive them; deliveries index into EventResult::payloads.
struct Delivery {
  uint32_t participant;  // id_in_session
  uint32_t payload;      // index into EventResult::payloads / payload_values
  // The participant's delivery number: 1 for the first payload they ever
  // received, and so on, without gaps (Participant::delivered). Set when
  // the event is recorded.
  uint64_t seq = 0;
};

struct EventResult {
  uint64_t seq = 0;  // the event's sequence number in the session's log, from 1
  // Set when the event was rejected; it goes to the sender only and nothing
  // else of this result applies (no deliveries, no page changes).
  std::optional<std::string> error;
  std::vector<Json> payload_values;
  std::vector<std::string> payloads;   // payload_values serialized, same order
  std::vector<Delivery> deliveries;    // in id_in_group order within the group
  std::vector<uint32_t> page_changes;  // participants whose page moved
  // A submit refused for its form values: {field name, message} for each
  // field that was wrong ("" for the form as a whole), in the page's field
  // order; `error` joins them ("contribution: must be at most 20").
  std::vector<std::pair<std::string, std::string>> form_errors;

  void clear() {
    error.reset();
    form_errors.clear();
    payload_values.clear();
    payloads.clear();
    deliveries.clear();
    page_changes.clear();
  }
};

}  // namespace livectl
