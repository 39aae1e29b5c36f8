// Reading client frame headers for the mask bit (server/frame_tap.h).
#include "server/frame_tap.h"

#include <doctest/doctest.h>

#include <string>

namespace livectl::testing {
namespace {

using server::FrameMaskTracker;

// A client frame: FIN + text, the given payload, masked with a zero key or not.
std::string frame(size_t payload, bool masked) {
  std::string bytes = "\x81";
  const char mask_bit = masked ? '\x80' : '\0';
  if (payload < 126) {
    bytes += static_cast<char>(mask_bit | static_cast<char>(payload));
  } else if (payload < 65536) {
    bytes += static_cast<char>(mask_bit | 126);
    bytes += static_cast<char>(payload >> 8);
    bytes += static_cast<char>(payload & 0xff);
  } else {
    bytes += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) bytes += static_cast<char>(payload >> shift);
  }
  if (masked) bytes += std::string(4, '\0');
  // Payload bytes that would look like unmasked headers if read as headers.
  bytes += std::string(payload, '\x01');
  return bytes;
}

void feed(FrameMaskTracker& tracker, const std::string& bytes, size_t chunk) {
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    const size_t size = std::min(chunk, bytes.size() - i);
    tracker.feed(reinterpret_cast<const unsigned char*>(bytes.data() + i), size);
  }
}

TEST_CASE("masked frames of every length form are read past, in any chunks") {
  const std::string stream = frame(0, true) + frame(5, true) + frame(125, true) + frame(126, true) +
                             frame(70000, true) + frame(3, true);
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4096}, stream.size()}) {
    FrameMaskTracker tracker;
    feed(tracker, stream, chunk);
    CHECK_MESSAGE(!tracker.unmasked(), chunk);
  }
}

TEST_CASE("an unmasked frame after masked ones is seen") {
  for (size_t length : {size_t{0}, size_t{10}, size_t{300}, size_t{70000}}) {
    const std::string stream = frame(126, true) + frame(length, false) + frame(2, true);
    for (size_t chunk : {size_t{1}, size_t{7}, stream.size()}) {
      FrameMaskTracker tracker;
      feed(tracker, stream, chunk);
      CHECK_MESSAGE(tracker.unmasked(), length, " ", chunk);
    }
  }
}

}  // namespace
}  // namespace livectl::testing
