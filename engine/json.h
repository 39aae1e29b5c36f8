#pragma once
// The engine's one value type. Field values, live payloads and extra-record
// cells are JSON values; numbers stay integers when they are integers.
#include <nlohmann/json.hpp>

namespace livectl {
using Json = nlohmann::json;
}  // namespace livectl
