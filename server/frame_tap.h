#pragma once
// Whether a WebSocket client sent an unmasked frame, which RFC 6455 §5.1
// says the server must close the connection for (1002). libwebsockets 4.1
// parses the mask bit but tells no callback about it, so the server reads
// the frame headers itself, from the bytes the kernel hands lws: this file
// defines recv(), which lws calls for every socket read, and passes
// everything through unchanged.
//
// Bytes lws read before watch_client_frames() was called (a client that
// sent frames before it had the 101 answer, which RFC 6455 §4.1 forbids)
// are not seen: the headers are then read from the wrong place and such a
// client may be closed with 1002 for a frame it did mask.
//
// Thread: watch/unwatch/sent_unmasked_frame on the event-loop thread only;
// recv() from any thread (only watched descriptors are looked at, and only
// the event loop reads those).
#include <cstddef>
#include <cstdint>

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

// Starts reading the frame headers of the WebSocket on descriptor `fd`,
// whose next byte starts a frame. Descriptors from 65536 up are not watched.
void watch_client_frames(int fd);
void unwatch_client_frames(int fd);
// Whether the client on watched descriptor `fd` has begun a frame without
// a mask.
bool sent_unmasked_frame(int fd);

}  // namespace livectl::server
