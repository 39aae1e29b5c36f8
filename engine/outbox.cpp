#include "engine/outbox.h"

#include <charconv>

namespace livectl {

Outbox Outbox::from_json(const Json& value) {
  Outbox outbox;
  if (value.is_null()) return outbox;
  if (!value.is_object()) {
    outbox.malformed_ =
        std::string("live_method must return a mapping {id_in_group: payload}, not ") +
        value.type_name();
    return outbox;
  }
  for (const auto& [key, payload] : value.items()) {
    int64_t id = 0;
    const char* end = key.data() + key.size();
    auto [ptr, ec] = std::from_chars(key.data(), end, id);
    if (ec != std::errc() || ptr != end || key.empty()) {
      outbox.malformed_ = "live_method returned the key '" + key + "', which is not an id_in_group";
      return outbox;
    }
    outbox.entries_.emplace_back(id, payload);
  }
  return outbox;
}

}  // namespace livectl
