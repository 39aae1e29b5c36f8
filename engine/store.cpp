#include "engine/store.h"

namespace livectl {

Status MemoryStore::record(const Session&, const Event& event, const EventResult& result,
                           std::span<const Change> changes) {
  if (failures_left_ > 0) {
    --failures_left_;
    return Status::Error("injected store failure");
  }
  ++events_recorded_;
  if (keep_log_) {
    log_.push_back(Entry{result.seq, event.kind, event.participant, event.time_ms, event.data,
                         result.error, static_cast<uint32_t>(result.deliveries.size()),
                         static_cast<uint32_t>(changes.size())});
  }
  return Status();
}

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kLive:
      return "live";
    case EventKind::kSubmit:
      return "submit";
    case EventKind::kArrive:
      return "arrive";
    case EventKind::kTimeout:
      return "timeout";
    case EventKind::kTimer:
      return "timer";
    case EventKind::kPresence:
      return "presence";
  }
  return "?";
}

}  // namespace livectl
