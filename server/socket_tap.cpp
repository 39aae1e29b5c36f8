#include "server/socket_tap.h"

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
}

bool path_written_out(std::string_view target) {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  if (path.empty() || path[0] != '/' || path.find('%') != std::string_view::npos) return false;
  size_t start = 0;  // at a '/'
  while (start < path.size()) {
    const size_t end = std::min(path.find('/', start + 1), path.size());
    const std::string_view segment = path.substr(start + 1, end - start - 1);
    const bool last = end == path.size();
    if ((segment.empty() && !last) || segment == "." || segment == "..") return false;
    start = end;
  }
  return true;
}

void RequestLineReader::feed(const unsigned char* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(bytes[i]);
    if (c != '\n') {
      if (line_.size() < kMaxLine) {
        line_.push_back(c);
      } else {
        overlong_ = true;
      }
      continue;
    }
    // "METHOD SP target SP HTTP/1.x": header and body lines never look so.
    std::string_view line = line_;
    if (line.ends_with('\r')) line.remove_suffix(1);
    const size_t first = line.find(' ');
    const size_t last = line.rfind(' ');
    const bool request = !overlong_ && first != std::string_view::npos && first > 0 &&
                         last > first && line.substr(last + 1).starts_with("HTTP/1.") &&
                         std::all_of(line.begin(), line.begin() + static_cast<long>(first),
                                     [](char m) { return m >= 'A' && m <= 'Z'; });
    if (request && !path_written_out(line.substr(first + 1, last - first - 1))) {
      path_not_written_out_ = true;
    }
    line_.clear();
    overlong_ = false;
  }
}

namespace {

struct Tap {
  bool frames = false;  // reading WebSocket frames (else HTTP requests)
  RequestLineReader requests;
  FrameMaskTracker frame_headers;
};

// One pointer per descriptor, which never moves: recv() on any thread reads
// it; only the event-loop thread sets it, and only the event loop reads the
// descriptors that have one.
constexpr int kWatchedDescriptors = 1 << 16;
std::atomic<Tap*> taps[kWatchedDescriptors];

Tap* tap_of(int fd) {
  if (fd < 0 || fd >= kWatchedDescriptors) return nullptr;
  return taps[fd].load(std::memory_order_acquire);
}

}  // namespace

void watch_http(int fd) {
  if (fd < 0 || fd >= kWatchedDescriptors) return;
  unwatch(fd);  // a descriptor number the kernel gave out again
  taps[fd].store(new Tap(), std::memory_order_release);
}

void watch_client_frames(int fd) {
  Tap* tap = tap_of(fd);
  if (!tap) {
    if (fd < 0 || fd >= kWatchedDescriptors) return;
    tap = new Tap();
    taps[fd].store(tap, std::memory_order_release);
  }
  tap->frames = true;
  tap->frame_headers = FrameMaskTracker();
}

void unwatch(int fd) {
  if (fd < 0 || fd >= kWatchedDescriptors) return;
  delete taps[fd].exchange(nullptr, std::memory_order_acq_rel);
}

bool sent_path_not_written_out(int fd) {
  const Tap* tap = tap_of(fd);
  return tap && tap->requests.path_not_written_out();
}

bool sent_unmasked_frame(int fd) {
  const Tap* tap = tap_of(fd);
  return tap && tap->frames && tap->frame_headers.unmasked();
}

}  // namespace livectl::server

// The C library's recv(), seen through: lws 4.1 reads every socket with it.
extern "C" ssize_t recv(int fd, void* buffer, size_t size, int flags) {
  const ssize_t got = recvfrom(fd, buffer, size, flags, nullptr, nullptr);
  if (got <= 0 || (flags & MSG_PEEK)) return got;
  if (livectl::server::Tap* tap = livectl::server::tap_of(fd)) {
    const auto* bytes = static_cast<const unsigned char*>(buffer);
    if (tap->frames) {
      tap->frame_headers.feed(bytes, static_cast<size_t>(got));
    } else {
      tap->requests.feed(bytes, static_cast<size_t>(got));
    }
  }
  return got;
}
