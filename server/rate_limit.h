#pragma once
// A token bucket: up to `burst` messages at once, refilled at `per_second`.
#include <algorithm>
#include <cstdint>

namespace livectl::server {

class RateLimit {
 public:
  RateLimit(double per_second, double burst)
      : per_second_(per_second), burst_(burst), tokens_(burst) {}

  // Takes one token at time `now_ms` (any monotonic milliseconds); false when
  // the bucket is empty. A per_second of 0 means no limit.
  bool take(int64_t now_ms) {
    if (per_second_ <= 0) return true;
    if (last_ms_ >= 0 && now_ms > last_ms_) {
      tokens_ =
          std::min(burst_, tokens_ + per_second_ * static_cast<double>(now_ms - last_ms_) / 1000);
    }
    last_ms_ = std::max(last_ms_, now_ms);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double per_second_;
  double burst_;
  double tokens_;
  int64_t last_ms_ = -1;
};

}  // namespace livectl::server
