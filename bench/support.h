#pragma once
// What every livectl benchmark shares: failing loudly when the code path
// under measurement stops doing what it is meant to, and scratch folders.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

namespace livectl::bench {

// Marks the running benchmark failed (Google Benchmark drops its figures and
// prints `why`) and makes livectl_bench exit 1, so that the CTest smoke run
// catches a broken path instead of timing the wrong thing. The caller must
// leave the timing loop right after (break or return).
void fail(benchmark::State& state, const std::string& why);

// Benchmarks failed so far in this process.
int failures();

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it.
// Throws std::runtime_error when it cannot be created.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace livectl::bench
