#pragma once
// The frames a WebSocket connection has yet to write, bounded in bytes: a
// reader that falls behind is cut off instead of growing the server's memory.
#include <cstddef>
#include <deque>

#include "server/frames.h"

namespace livectl::server {

class OutgoingQueue {
 public:
  explicit OutgoingQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends `frame` and returns true, or returns false and appends nothing
  // when the queue would then hold more than max_bytes of frame text.
  bool push(Frame frame) {
    const size_t size = frame_text(frame).size();
    if (bytes_ + size > max_bytes_) return false;
    bytes_ += size;
    frames_.push_back(std::move(frame));
    return true;
  }
  bool empty() const { return frames_.empty(); }
  // REQUIRES: !empty().
  const Frame& front() const { return frames_.front(); }
  void pop() {
    bytes_ -= frame_text(frames_.front()).size();
    frames_.pop_front();
  }
  void clear() {
    frames_.clear();
    bytes_ = 0;
  }
  size_t bytes() const { return bytes_; }

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Frame> frames_;
};

}  // namespace livectl::server
