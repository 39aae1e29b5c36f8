#!/usr/bin/env bash
# Sets up livectl (scripts/bootstrap.sh) and runs the whole test suite with CTest.
#   scripts/test.sh             the optimized build
#   scripts/test.sh --sanitize  the same suite under ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset=default
[ "${1:-}" = "--sanitize" ] && preset=sanitize
scripts/bootstrap.sh ${1:+"$1"}
ctest --preset "$preset"
