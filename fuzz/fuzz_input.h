#pragma once
// What every fuzz target shares: reading the fuzzer's bytes as choices, and
// reporting a broken property so that libFuzzer (or the replay test) records
// the input. Header-only; no libFuzzer headers, so that g++ builds it too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

// Prints what broke and aborts: libFuzzer saves the input as a crash, the
// replay test fails on it. Used for properties, not for sanitizer findings
// (those abort by themselves).
#define FUZZ_CHECK(condition, ...)                                                              \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "fuzz check failed at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::fprintf(stderr, __VA_ARGS__);                                                        \
      std::fprintf(stderr, "\n");                                                               \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

namespace livectl::fuzz {

// The fuzzer's bytes as a sequence of choices, front to back. Reading past
// the end gives zeros and empty strings, so every input is a valid program.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return at_ >= size_; }
  size_t remaining() const { return size_ - at_; }

  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  bool flag() { return byte() & 1; }
  // A value in [0, n). REQUIRES: n > 0.
  uint32_t below(uint32_t n) {
    const uint32_t raw = n <= 256 ? byte() : (uint32_t{byte()} << 8 | byte());
    return raw % n;
  }
  uint64_t u64() {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = value << 8 | byte();
    return value;
  }
  double f64() {
    const uint64_t bits = u64();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
  // A string of up to `max` bytes: a length byte, then that many bytes.
  std::string_view string(size_t max = 255) {
    size_t n = byte();
    n = std::min({n, max, remaining()});
    const std::string_view s(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return s;
  }
  // Everything not read yet.
  std::string_view rest() {
    const std::string_view s(reinterpret_cast<const char*>(data_ + at_), remaining());
    at_ = size_;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// True when `text` is well-formed UTF-8 (what nlohmann's dump() demands of
// every string it writes, and what a browser's JSON.parse gets).
inline bool is_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // cut short
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    const uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace livectl::fuzz
