#!/usr/bin/env bash
# Throughput of 1, 2 and 3 `livectl serve` processes on one PostgreSQL
# database next to one process on an SQLite file, in one sitting, runs
# interleaved: the auction, PARTICIPANTS participants in all (split evenly
# between the processes in whole groups of 3, each process serving a
# session of its own), closed loop,
# DURATION seconds. Each process gets one `livectl bench` client of its own
# (--session, --port), all started together; the line sums their msg/s and
# gives the worst p99 among them. PostgreSQL is a throwaway server on
# 127.0.0.1 started by the script with fsync on.
#   bench/load/scale_out.sh [LIVECTL] [RUNS] [PARTICIPANTS] [DURATION]
# Defaults: build/livectl, 1 run each, 300 participants, 8 s. Needs Debian's
# postgresql (scripts/bootstrap.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
livectl=$(realpath "${1:-build/livectl}")
runs=${2:-1}
participants=${3:-300}
duration=${4:-8}
first_port=8211
work=$(mktemp -d /tmp/livectl-scale-XXXXXX)
chmod 755 "$work"  # the cluster inside belongs to the postgres user when run as root
servers=tests/support/servers.py
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  /usr/bin/python3 "$servers" postgres stop "$work/pg" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
/usr/bin/python3 "$servers" postgres start "$work/pg" --fsync >/dev/null
admin=$(cat "$work/pg/url")
base=${admin%/postgres}

one_run() {  # one_run NAME DB PROCESSES
  # Whole auction groups of 3: 300 participants are 150 + 150 or 99 x 3.
  local name=$1 db=$2 processes=$3 each=$((participants / $3 / 3 * 3)) i
  pids=()
  for i in $(seq "$processes"); do
    "$livectl" serve --game auction --participants "$each" --port $((first_port + i)) \
      --max-rate 0 --db "$db" >"$work/serve$i.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q "serving on" "$work/serve$i.out" && break; sleep 0.1; done
  done
  local clients=()
  for i in $(seq "$processes"); do
    local code
    code=$(sed -n 's/^session \([^:]*\):.*/\1/p' "$work/serve$i.out" | head -1)
    "$livectl" bench --db "$db" --session "$code" --port $((first_port + i)) \
      --duration "$duration" --quiet --json >"$work/bench$i.json" &
    clients+=($!)
  done
  for pid in "${clients[@]}"; do wait "$pid" || true; done
  for pid in "${pids[@]}"; do kill "$pid"; wait "$pid" || true; done
  pids=()
  /usr/bin/python3 -c '
import json, sys
reports = [json.load(open(path)) for path in sys.argv[2:]]
total = sum(r["messages_per_second"] for r in reports)
p50 = max(r["round_trip_ms"]["p50"] for r in reports)
p99 = max(r["round_trip_ms"]["p99"] for r in reports)
errors = sum(r["errors"]["total"] for r in reports)
cpu = sum(r["cpu_percent_of_one_core"]["server"] for r in reports)
print("%-14s %4d participants %9.0f msg/s  p50 %.1f ms  p99 %.1f ms  errors %d  servers CPU %.0f %%" % (
    sys.argv[1], sum(r["participants"] for r in reports), total, p50, p99, errors, cpu))
' "$name" $(for i in $(seq "$processes"); do echo "$work/bench$i.json"; done)
}

for run in $(seq "$runs"); do
  rm -f "$work/s.db" "$work/s.db-wal" "$work/s.db-shm"
  one_run "sqlite x1" "$work/s.db" 1
  for processes in 1 2 3; do
    psql -X -q -d "$admin" -c "CREATE DATABASE run${run}_$processes"
    one_run "postgresql x$processes" "$base/run${run}_$processes" "$processes"
  done
done
