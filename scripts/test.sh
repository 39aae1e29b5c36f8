#!/usr/bin/env bash
# Sets up livectl (scripts/bootstrap.sh) and runs the whole test suite with CTest.
#   scripts/test.sh             the optimized build, after every fuzz target has
#                               run for 10 seconds (scripts/fuzz.sh)
#   scripts/test.sh --sanitize  the same suite under ASan + UBSan
# CTest replays every fuzz input ever kept (fuzz/corpus, fuzz/regressions) in
# both. LIVECTL_FUZZ_SECONDS changes the 10 seconds; 0 skips the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=default
[ "${1:-}" = "--sanitize" ] && preset=sanitize
scripts/bootstrap.sh ${1:+"$1"}
# The fuzzers first, so that CTest's summary stays the last lines; a crash
# they find fails the run after CTest has run too.
fuzz_status=0
fuzz_seconds=${LIVECTL_FUZZ_SECONDS:-10}
if [ "$preset" = default ] && [ "$fuzz_seconds" != 0 ]; then
  scripts/fuzz.sh "$fuzz_seconds" || fuzz_status=$?
fi
ctest --preset "$preset"
if [ "$fuzz_status" -ne 0 ]; then
  echo "test.sh: a fuzz target failed (scripts/fuzz.sh's output above names the input)" >&2
  exit 1
fi
