#pragma once
// How an event's outcome is written in the events table. The store writes
// with these and replay compares with these, so both spell an outcome with
// the same bytes. Internal to store/.
#include <string>

#include "engine/event.h"

namespace livectl::store {

// [[[id_in_session, ...], payload], ...]: each distinct payload once, with
// everyone who received it, e.g. [[[1,2,3],{"bid":5}]] for a broadcast to a
// group of three; [] when nobody received anything.
void deliveries_json(const EventResult& result, std::string* out);
// [id_in_session, ...], or "" when no page moved (stored as NULL).
std::string page_changes_json(const EventResult& result);
// "live" / "submit" back to the kind; false when the text is neither.
bool parse_event_kind(const std::string& text, EventKind* kind);

}  // namespace livectl::store
