#pragma once
// How `livectl bench` shows a run: one JSON object (--json), a readable
// table, and the progress line it prints once a second.
#include <cstdio>
#include <string>

#include "bench/load/load_generator.h"
#include "engine/json.h"

namespace livectl::load {

// What was asked for, shown next to what was measured.
struct RunDescription {
  std::string db;
  std::string game;
  std::vector<std::string> sessions;
  LoadOptions options;
};

// Every figure of the run; durations in milliseconds, memory in MiB, rates
// per second. Keys are documented in docs/performance.md.
Json report_json(const RunDescription& run, const LoadReport& report);
void print_report_table(std::FILE* out, const RunDescription& run, const LoadReport& report);
// One line, no newline: "measuring 3 s: 51,234 msg/s ...".
std::string progress_line(const Progress& progress);

}  // namespace livectl::load
