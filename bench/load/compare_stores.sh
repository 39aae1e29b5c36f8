#!/usr/bin/env bash
# One `livectl serve` on SQLite (a file on the disk) against one on
# PostgreSQL (a throwaway server on 127.0.0.1 with fsync on, as a real one
# has it), runs interleaved, each measured by `livectl bench` from outside:
# the auction, PARTICIPANTS participants, closed loop, DURATION seconds.
#   bench/load/compare_stores.sh [LIVECTL] [RUNS] [PARTICIPANTS] [DURATION] [RATE]
# Defaults: build/livectl, 2 runs each, 300 participants, 10 s, closed loop
# (RATE: an open loop of RATE messages a second per participant instead). Prints one
# line per run: store, msg/s, round trip p50 and p99 (ms). Needs Debian's
# postgresql (scripts/bootstrap.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
livectl=$(realpath "${1:-build/livectl}")
runs=${2:-2}
participants=${3:-300}
duration=${4:-10}
rate=(${5:+--rate "$5"})
port=8199
work=$(mktemp -d /tmp/livectl-compare-XXXXXX)
chmod 755 "$work"  # the cluster inside belongs to the postgres user when run as root
servers=tests/support/servers.py
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  /usr/bin/python3 "$servers" postgres stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
/usr/bin/python3 "$servers" postgres start "$work/pg" --fsync >/dev/null
admin=$(cat "$work/pg/url")
base=${admin%/postgres}

one_run() {  # one_run NAME DB
  "$livectl" serve --game auction --participants "$participants" --port "$port" --max-rate 0 \
    --db "$2" >"$work/serve.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q "serving on" "$work/serve.out" && break; sleep 0.1; done
  "$livectl" bench --db "$2" --port "$port" --duration "$duration" "${rate[@]}" --quiet --json >"$work/bench.json"
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=
  /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[2]))
rt = r["round_trip_ms"]
print("%-10s %9.0f msg/s  p50 %.1f ms  p99 %.1f ms  errors %d  server CPU %.0f %%" % (
    sys.argv[1], r["messages_per_second"], rt["p50"], rt["p99"], r["errors"]["total"],
    r["cpu_percent_of_one_core"]["server"]))
' "$1" "$work/bench.json"
}

for run in $(seq "$runs"); do
  rm -f "$work/s.db" "$work/s.db-wal" "$work/s.db-shm"
  one_run sqlite "$work/s.db"
  psql -X -q -d "$admin" -c "CREATE DATABASE run$run"
  one_run postgresql "$base/run$run"
done
