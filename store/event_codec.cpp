#include "store/event_codec.h"

#include <charconv>
#include <vector>

namespace livectl::store {

namespace {

void append_number(uint32_t number, std::string* out) {
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof(digits), number).ptr;
  out->append(digits, end);
}

}  // namespace

void deliveries_json(const EventResult& result, std::string* out) {
  out->clear();
  out->push_back('[');
  // Deliveries come in id_in_group order and index the distinct payloads;
  // each payload is written once, with its recipients, in order of first use.
  thread_local std::vector<std::vector<uint32_t>> recipients;
  if (recipients.size() < result.payloads.size()) recipients.resize(result.payloads.size());
  for (size_t payload = 0; payload < result.payloads.size(); ++payload) recipients[payload].clear();
  for (const Delivery& delivery : result.deliveries) {
    recipients[delivery.payload].push_back(delivery.participant);
  }
  for (size_t payload = 0; payload < result.payloads.size(); ++payload) {
    if (recipients[payload].empty()) continue;
    if (out->size() > 1) out->push_back(',');
    out->append("[[");
    for (size_t i = 0; i < recipients[payload].size(); ++i) {
      if (i > 0) out->push_back(',');
      append_number(recipients[payload][i], out);
    }
    out->append("],");
    out->append(result.payloads[payload]);
    out->push_back(']');
  }
  out->push_back(']');
}

std::string page_changes_json(const EventResult& result) {
  if (result.page_changes.empty()) return {};
  std::string text = "[";
  for (size_t i = 0; i < result.page_changes.size(); ++i) {
    if (i > 0) text.push_back(',');
    append_number(result.page_changes[i], &text);
  }
  text.push_back(']');
  return text;
}

bool parse_event_kind(const std::string& text, EventKind* kind) {
  for (EventKind candidate : {EventKind::kLive, EventKind::kSubmit, EventKind::kArrive,
                              EventKind::kTimeout, EventKind::kTimer, EventKind::kPresence}) {
    if (text == event_kind_name(candidate)) {
      *kind = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace livectl::store
