#pragma once
// JSON values built from the fuzzer's bytes, for targets that hand values
// to the engine directly: anything a parser would accept, and what only a
// program can make (strings that are not UTF-8, NaN, infinities, integers
// past int64). Nesting is bounded like a live frame's (kMaxJsonDepth).
#include <string>

#include "engine/json.h"
#include "fuzz/fuzz_input.h"

namespace livectl::fuzz {

// server/frames.h's kMaxJsonDepth, repeated so that engine-only targets
// need not link the server.
inline constexpr int kMaxDepth = 64;

inline Json json_from(FuzzInput& in, int depth = 0) {
  const uint8_t kind = in.byte();
  switch (kind % 12) {
    case 0:
      return nullptr;
    case 1:
      return (kind & 0x10) != 0;
    case 2:
      return static_cast<int64_t>(static_cast<int8_t>(in.byte()));  // small, often valid
    case 3:
      return static_cast<int64_t>(in.u64());
    case 4:
      return in.u64();
    case 5:
      return in.f64();  // any bit pattern: NaN, infinities, subnormals
    case 6: {
      static constexpr double kSpecial[] = {0.0,
                                            -0.0,
                                            0.5,
                                            1e308,
                                            -1e308,
                                            1e-320,
                                            9.007199254740993e15,
                                            9.223372036854775807e18,
                                            1.8446744073709552e19};
      return kSpecial[in.below(sizeof kSpecial / sizeof kSpecial[0])];
    }
    case 7:
    case 8:
      return std::string(in.string(64));  // any bytes, UTF-8 or not
    case 9: {
      // JSON text, as a page would send it; what does not parse is null.
      const std::string_view text = in.string();
      Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      return parsed.is_discarded() ? Json() : parsed;
    }
    case 10: {
      if (depth >= kMaxDepth) return Json::array();
      Json array = Json::array();
      for (uint32_t n = in.below(8); n > 0 && !in.empty(); --n)
        array.push_back(json_from(in, depth + 1));
      return array;
    }
    default: {
      if (depth >= kMaxDepth) return Json::object();
      Json object = Json::object();
      for (uint32_t n = in.below(8); n > 0 && !in.empty(); --n) {
        const std::string key(in.string(16));
        object[key] = json_from(in, depth + 1);
      }
      return object;
    }
  }
}

}  // namespace livectl::fuzz
