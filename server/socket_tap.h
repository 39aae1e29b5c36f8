#pragma once
// What libwebsockets 4.1 reads but does not tell: whether a WebSocket
// client masked its frames (RFC 6455 §5.1 says the server must close the
// connection when it did not, with 1002), and whether an HTTP request's path
// was written out as it is or reached its final form only by lws's
// %-decoding and its resolving of "." and ".." segments (which lws does
// before any callback sees the path). The server reads both from the bytes
// the kernel hands lws: this file defines recv(), which lws calls for every
// socket read, and passes everything through unchanged.
//
// Bytes lws read before the tap was switched to frames (a client that sent
// frames before it had the 101 answer, which RFC 6455 §4.1 forbids) are not
// seen as frames: the headers after them are then read from the wrong place,
// and such a client may be closed with 1002 for a frame it did mask.
//
// Thread: the functions below on the event-loop thread only; recv() from
// any thread (a descriptor that is not watched costs one atomic load).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace livectl::server {

// Reads client frame headers from a byte stream, from a frame boundary on.
class FrameMaskTracker {
 public:
  void feed(const unsigned char* bytes, size_t size);
  // True once a frame without the mask bit has begun.
  bool unmasked() const { return unmasked_; }

 private:
  enum class State : uint8_t { kFirst, kLength, kExtendedLength, kMask, kPayload };
  State state_ = State::kFirst;
  bool masked_ = false;
  bool unmasked_ = false;
  uint8_t to_skip_ = 0;   // extended-length or mask bytes still to come
  uint64_t payload_ = 0;  // the extended length being read, then what is left of the payload
};

// Whether the path of a request target ("/p/abc?page=1": the part before
// '?') is written out: no %-escape, no empty segment ("//"), no "." or ".."
// segment. Only such a path names exactly what it says.
bool path_written_out(std::string_view target);

// Reads the request lines ("GET /p/abc HTTP/1.1") of an HTTP byte stream.
class RequestLineReader {
 public:
  void feed(const unsigned char* bytes, size_t size);
  // True once a request line's path was not written out (path_written_out).
  bool path_not_written_out() const { return path_not_written_out_; }

 private:
  // Request lines longer than this are not looked at (lws refuses URIs
  // far shorter).
  static constexpr size_t kMaxLine = 8192;
  std::string line_;
  bool overlong_ = false;
  bool path_not_written_out_ = false;
};

// Starts reading the HTTP requests on a newly accepted descriptor.
// Descriptors from 65536 up are not watched.
void watch_http(int fd);
// From now on reads the WebSocket frames on `fd`, whose next byte starts a
// frame (after the 101 answer). What was read of its HTTP requests stays.
void watch_client_frames(int fd);
void unwatch(int fd);
// Whether a request line on watched descriptor `fd` had a path that was not
// written out. Sticky: once true, true for the rest of the connection.
bool sent_path_not_written_out(int fd);
// Whether the client on watched descriptor `fd` has begun a frame without
// a mask.
bool sent_unmasked_frame(int fd);

}  // namespace livectl::server
