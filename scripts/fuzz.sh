#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan, in
# build-fuzz/) and runs each for SECONDS (default 60), one after the other,
# starting from fuzz/corpus/<target>/ and fuzz/regressions/<target>/ copied
# to a scratch folder (the checked-in corpus never grows by itself).
#   scripts/fuzz.sh [SECONDS] [TARGET...]    targets: frame scenario page_template
#                                            http restore session (default: all)
# Prints each target's executions and ends with the line `N passed, M failed`;
# exits 1 when a target crashed, naming the saved input (docs/fuzzing.md says
# how to keep it as a regression). Installs clang-14 and libclang-rt-14-dev
# with apt-get when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
seconds=${1:-60}
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SECONDS must be a positive whole number, not '$seconds' (try --help)" >&2
  exit 2
fi
all_targets=(frame scenario page_template http restore session)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  if [[ " ${all_targets[*]} " != *" $target "* ]]; then
    echo "fuzz.sh: unknown target '$target' (${all_targets[*]})" >&2
    exit 2
  fi
done

# clang 14 and its libFuzzer / sanitizer runtimes, from Debian.
missing=()
for package in clang-14 libclang-rt-14-dev; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# -O1: most of the speed of -O2 for the fuzzer, and a quicker build; asserts stay on.
build=build-fuzz
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DLIVECTL_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/%/_fuzzer}" >&2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/livectl-fuzz-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=0
total_runs=0
for target in "${targets[@]}"; do
  corpus="$scratch/$target"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$target"/* "$corpus"/
  if [ -d fuzz/regressions/"$target" ]; then cp fuzz/regressions/"$target"/* "$corpus"/ 2>/dev/null || true; fi
  crashes="$build/crashes/$target"
  mkdir -p "$crashes"
  log="$build/fuzz-$target.log"
  # One process at a time (the machines this runs on are shared); a slow
  # input (10 s) or a runaway allocation (2 GiB) is a failure like a crash.
  status=0
  "$build/fuzz/${target}_fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  runs=${runs:-0}
  total_runs=$((total_runs + runs))
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    printf '%-14s ok      %10d runs in %ss (%d/s)\n' "$target" "$runs" "$seconds" $((runs / seconds))
  else
    failed=$((failed + 1))
    printf '%-14s FAILED  after %d runs (exit %d); log: %s\n' "$target" "$runs" "$status" "$log"
    { grep -E -A1 '^fuzz check failed' "$log" || true; } | head -2 | sed 's/^/    /'
    { grep -E 'ERROR: AddressSanitizer|runtime error:|^SUMMARY: ' "$log" || true; } | head -3 | sed 's/^/    /'
    saved=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
    if [ -n "$saved" ]; then echo "    the input is saved in $saved"; fi
  fi
done
echo "$total_runs executions in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
