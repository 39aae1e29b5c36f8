// What the server reads from the raw bytes: client frame headers for the
// mask bit, request lines for paths that are not written out (server/socket_tap.h).
#include "server/socket_tap.h"

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

TEST_CASE("a path names only what it says: no escapes, no dot segments, no empty segments") {
  for (const char* target : {"/", "/p/abc", "/p/abc?page=1", "/live/abc?page=%31", "/admin/",
                             "/live.js", "/p/abc#x", "/.well-known/x", "/p/a.b"}) {
    CHECK_MESSAGE(server::path_written_out(target), target);
  }
  for (const char* target :
       {"/p/a%2f..%2fb", "/p/%61bc", "/p/a/../b", "/p/./abc", "//p/abc", "/p//abc", "/p/..", "/p/.",
        "*", "http://x/p/abc", "", "/live/a%2F..%2Fb?page=1"}) {
    CHECK_MESSAGE(!server::path_written_out(target), target);
  }
}

TEST_CASE("only request lines are judged, in any chunks") {
  const std::string clean =
      "POST /p/abc HTTP/1.1\r\nReferer: http://x/a%2f..%2fb\r\nContent-Length: 9\r\n\r\n"
      "page=%2f1GET /p/abc HTTP/1.1\r\n\r\n";
  const std::string smuggled = clean + "GET /p/a%2f..%2fb HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t chunk : {size_t{1}, size_t{5}, smuggled.size()}) {
    server::RequestLineReader reader;
    const auto* bytes = reinterpret_cast<const unsigned char*>(smuggled.data());
    for (size_t i = 0; i < smuggled.size(); i += chunk) {
      reader.feed(bytes + i, std::min(chunk, smuggled.size() - i));
      if (i + chunk <= clean.size()) CHECK_MESSAGE(!reader.path_not_written_out(), chunk);
    }
    CHECK_MESSAGE(reader.path_not_written_out(), chunk);
  }
}

}  // namespace
}  // namespace livectl::testing
