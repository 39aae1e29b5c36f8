#include "bench/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace livectl::load {

int LatencyHistogram::bucket_of(int64_t micros) {
  const auto value = static_cast<uint64_t>(std::max<int64_t>(micros, 0));
  if (value < kSubBuckets) return static_cast<int>(value);
  // Shift so that the value keeps its top kSubBucketBits + 1 bits: it then
  // lies in [kSubBuckets, 2 * kSubBuckets), the octave's sub-bucket.
  const int shift = std::bit_width(value) - (kSubBucketBits + 1);
  const int octave = std::min(shift, kOctaves - 1);
  const auto sub = static_cast<int>(std::min<uint64_t>(value >> octave, 2 * kSubBuckets - 1));
  return kSubBuckets * (octave + 1) + (sub - kSubBuckets);
}

int64_t LatencyHistogram::upper_end(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int octave = bucket / kSubBuckets - 1;
  const int64_t sub = kSubBuckets + bucket % kSubBuckets;
  return ((sub + 1) << octave) - 1;
}

void LatencyHistogram::record(int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  ++buckets_[bucket_of(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  // The rank of the sample asked for, 1-based: p50 of 10 samples is the 5th.
  const auto rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::clamp(fraction, 0.0, 1.0) *
                                                          static_cast<double>(count_))));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upper_end(i), max_);
  }
  return max_;
}

}  // namespace livectl::load
