#pragma once
// Round-trip times of a load run, in microseconds, kept in log-linear buckets
// (HdrHistogram's layout): memory stays fixed however long the run, and every
// percentile is within 1/64 (1.6 %) of the true sample above it.
#include <array>
#include <cstdint>

namespace livectl::load {

class LatencyHistogram {
 public:
  // Negative values count as 0; values past ~12 days land in the last bucket.
  void record(int64_t micros);
  void merge(const LatencyHistogram& other);
  void clear() { *this = LatencyHistogram(); }

  int64_t count() const { return count_; }
  // 0 when empty.
  int64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The smallest value v such that at least `fraction` (0..1] of the samples
  // are <= v, rounded up to its bucket's upper end (never above max()).
  // 0 when empty.
  int64_t percentile(double fraction) const;

 private:
  // 64 buckets per power of two: a bucket spans at most 1/64 of its values.
  static constexpr int kSubBucketBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  // Octaves above the first 64 µs: 2^40 µs is about 12 days.
  static constexpr int kOctaves = 34;
  static constexpr int kBuckets = kSubBuckets * (kOctaves + 1);

  static int bucket_of(int64_t micros);
  static int64_t upper_end(int bucket);

  std::array<int64_t, kBuckets> buckets_{};
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t max_ = 0;
};

}  // namespace livectl::load
