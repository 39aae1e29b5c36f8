#include "server/frame_tap.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <memory>

namespace livectl::server {

void FrameMaskTracker::feed(const unsigned char* bytes, size_t size) {
  size_t i = 0;
  while (i < size) {
    switch (state_) {
      case State::kFirst:  // FIN, RSV, opcode: lws checks those
        ++i;
        state_ = State::kLength;
        break;
      case State::kLength: {
        const unsigned char byte = bytes[i++];
        masked_ = (byte & 0x80) != 0;
        if (!masked_) unmasked_ = true;
        const unsigned length = byte & 0x7f;
        payload_ = 0;
        if (length >= 126) {
          to_skip_ = length == 126 ? 2 : 8;
          state_ = State::kExtendedLength;
        } else {
          payload_ = length;
          to_skip_ = masked_ ? 4 : 0;
          state_ = to_skip_ ? State::kMask : State::kPayload;
        }
        break;
      }
      case State::kExtendedLength:
        payload_ = (payload_ << 8) | bytes[i++];
        if (--to_skip_ == 0) {
          to_skip_ = masked_ ? 4 : 0;
          state_ = to_skip_ ? State::kMask : State::kPayload;
        }
        break;
      case State::kMask:
        ++i;
        if (--to_skip_ == 0) state_ = State::kPayload;
        break;
      case State::kPayload: {
        const uint64_t skip = std::min<uint64_t>(payload_, size - i);
        i += skip;
        payload_ -= skip;
        break;
      }
    }
    if (state_ == State::kPayload && payload_ == 0) state_ = State::kFirst;
  }
  if (state_ == State::kPayload && payload_ == 0) state_ = State::kFirst;
}

namespace {

// One slot per descriptor: a few MB of zeroed memory that costs nothing
// until touched, and never moves, so recv() on another thread may read
// `watched` at any time.
constexpr int kWatchedDescriptors = 1 << 16;

struct Slot {
  std::atomic<bool> watched{false};
  FrameMaskTracker tracker;  // the event-loop thread's only
};

Slot* slots() {
  static const std::unique_ptr<Slot[]> table(new Slot[kWatchedDescriptors]);
  return table.get();
}

// Built before main() (and before any thread), so recv() never races its creation.
Slot* const kSlots = slots();

}  // namespace

void watch_client_frames(int fd) {
  if (fd < 0 || fd >= kWatchedDescriptors) return;
  kSlots[fd].tracker = FrameMaskTracker();
  kSlots[fd].watched.store(true, std::memory_order_release);
}

void unwatch_client_frames(int fd) {
  if (fd < 0 || fd >= kWatchedDescriptors) return;
  kSlots[fd].watched.store(false, std::memory_order_release);
}

bool sent_unmasked_frame(int fd) {
  if (fd < 0 || fd >= kWatchedDescriptors) return false;
  return kSlots[fd].watched.load(std::memory_order_acquire) && kSlots[fd].tracker.unmasked();
}

}  // namespace livectl::server

// The C library's recv(), seen through: lws 4.1 reads every socket with it.
extern "C" ssize_t recv(int fd, void* buffer, size_t size, int flags) {
  const ssize_t got = recvfrom(fd, buffer, size, flags, nullptr, nullptr);
  using livectl::server::kSlots;
  if (got > 0 && fd >= 0 && fd < livectl::server::kWatchedDescriptors && !(flags & MSG_PEEK) &&
      kSlots[fd].watched.load(std::memory_order_acquire)) {
    kSlots[fd].tracker.feed(static_cast<const unsigned char*>(buffer), static_cast<size_t>(got));
  }
  return got;
}
