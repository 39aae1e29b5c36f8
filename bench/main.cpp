// livectl_bench: every benchmark in bench/, with Google Benchmark's flags.
// Unlike BENCHMARK_MAIN it exits 1 when a benchmark failed its own checks,
// and when the filter matched nothing, so that scripts and CTest notice.
#include <stdlib.h>

#include <stdexcept>

#include "bench/support.h"
#include "games/examples.h"

namespace livectl::bench {

namespace {
int failed_benchmarks = 0;
}  // namespace

void fail(benchmark::State& state, const std::string& why) {
  ++failed_benchmarks;
  state.SkipWithError(why.c_str());
}

int failures() {
  return failed_benchmarks;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "livectl-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace livectl::bench

int main(int argc, char** argv) {
  livectl_register_examples();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  const size_t ran = benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return ran > 0 && livectl::bench::failures() == 0 ? 0 : 1;
}
