// Replays fuzz inputs without libFuzzer, for the ordinary test suite (g++,
// and ASan + UBSan in the sanitizer preset): each argument is a file or a
// folder of files (recursively, in name order), and each file is handed once
// to the target's LLVMFuzzerTestOneInput. A target reports a violation by
// aborting, so a failing input fails the test, after its path was printed.
//
//   fuzz_replay_<target> DIR_OR_FILE...
//
// A folder that does not exist counts as empty (fuzz/regressions/<target>/
// is created by the first crash kept), but at least one input must be
// replayed, so a mistyped path cannot make the test pass vacuously.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path path = argv[i];
    std::error_code error;
    if (fs::is_directory(path, error)) {
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else if (fs::is_regular_file(path, error)) {
      inputs.push_back(path);
    } else {
      std::fprintf(stderr, "replay: %s does not exist; taken as empty\n", argv[i]);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs to replay\n");
    return 2;
  }
  for (const fs::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    // Printed first, so that an abort inside the target names its input.
    std::fprintf(stderr, "replay: %s\n", path.c_str());
    // A fresh copy of exactly the input's size, as libFuzzer passes it, so
    // that ASan sees a read past its end.
    std::vector<uint8_t> copy(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(copy.data(), copy.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
