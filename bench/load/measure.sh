#!/usr/bin/env bash
# Reruns every measurement of docs/performance.md and keeps each result as
# JSON: `simulate` in memory and durable, then `livectl serve` under
# `livectl bench` at several sizes. Each serve run gets a fresh database and
# a free port, and its server is stopped with SIGTERM (exit 0 checked).
#
# Usage: bench/load/measure.sh LIVECTL OUT_DIR [NAME...]
#   NAME: run only these configurations (see `configs` below)
# Environment:
#   DB_DIR    where the databases go (default: a fresh folder on the disk
#             under /tmp; /dev/shm takes the disk's fsync out of the figures)
#   DURATION  seconds each bench measures (default 10)
#   KEEP_DB=1 keep the databases afterwards (for `livectl replay`, `export`)
#   QUIET     seconds to wait, before each run, for the machine to be idle
#             (other processes under 15 % of one core; default 120). Each
#             JSON records the CPU that the server, the load generator and the
#             whole machine used, so a run disturbed anyway shows it.
set -u
source "$(dirname "$(realpath "$0")")/serve_start.sh"
livectl=$(realpath "$1")
out=$2
shift 2
mkdir -p "$out"
made_db_dir=
if [ -z "${DB_DIR:-}" ]; then
  made_db_dir=$(mktemp -d /tmp/livectl-measure.XXXXXX)
fi
db_dir=${DB_DIR:-$made_db_dir}
duration=${DURATION:-10}
quiet=${QUIET:-120}
server_pid=
port=
databases=()
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
  if [ "${KEEP_DB:-0}" != 1 ]; then
    for db in "${databases[@]}"; do rm -f "$db" "$db-wal" "$db-shm"; done
    [ -n "$made_db_dir" ] && rmdir "$made_db_dir" 2>/dev/null
  fi
}
trap cleanup EXIT

# name: game participants bench-arguments...
configs=(
  "closed-3: auction 3"
  "closed-300: auction 300"
  "closed-3000: auction 3000"
  "closed-9999: auction 9999"
  "open-1000x10: auction 999 --rate 10"
  "open-3000x10: auction 3000 --rate 10"
  "idle-10000: tictactoe 10000 --idle"
)

wanted() {  # wanted NAME: no names given, or NAME among them
  [ ${#selected[@]} -eq 0 ] && return 0
  for w in "${selected[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}
selected=("$@")

busy_percent() {  # busy_percent: the machine's CPU use over 2 s, in % of one core
  local u n s i w q sq st b1 t1 b2 t2
  read -r _ u n s i w q sq st _ </proc/stat
  b1=$((u + n + s + q + sq + st)) t1=$((u + n + s + q + sq + st + i + w))
  sleep 2
  read -r _ u n s i w q sq st _ </proc/stat
  b2=$((u + n + s + q + sq + st)) t2=$((u + n + s + q + sq + st + i + w))
  echo $((100 * $(nproc) * (b2 - b1) / (t2 - t1)))
}

wait_for_quiet() {
  local waited=0 busy
  while busy=$(busy_percent) && [ "$busy" -gt 15 ] && [ "$waited" -lt "$quiet" ]; do
    waited=$((waited + 2))
  done
  echo "   machine busy ${busy}% of one core before the run" >&2
}

describe_machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "nproc: $(nproc)"
    echo "memory: $(free -m | awk '/^Mem:/ {print $2 " MiB"}')"
    echo "kernel: $(uname -r)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "db_dir: $db_dir ($(df -T "$db_dir" | awk 'NR==2 {print $2}'))"
  } >"$out/machine.txt"
}

simulate_runs() {
  wanted simulate-memory && {
    echo "== simulate auction, in memory" >&2
    wait_for_quiet
    "$livectl" simulate auction --participants 300 --messages 3000000 --json >"$out/simulate-memory.json"
  }
  wanted simulate-durable && {
    echo "== simulate auction, durable" >&2
    wait_for_quiet
    rm -f "$db_dir/simulate.db"*
    databases+=("$db_dir/simulate.db")
    "$livectl" simulate auction --participants 300 --messages 3000000 --db "$db_dir/simulate.db" \
      --json >"$out/simulate-durable.json"
  }
}

serve_run() {  # serve_run NAME GAME PARTICIPANTS BENCH-ARGS...
  local name=$1 game=$2 participants=$3
  shift 3
  local db="$db_dir/$name.db"
  rm -f "$db" "$db-wal" "$db-shm"
  databases+=("$db")
  wait_for_quiet
  echo "== $name: $game, $participants participants, bench $* (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  start_serve "$livectl" "$out/$name" "$game" "$participants" "$db" || return 1
  "$livectl" bench --db "$db" --port "$port" --server-pid "$server_pid" --duration "$duration" \
    --json "$@" >"$out/$name.json" 2>"$out/$name.progress"
  echo "   bench exit $?" >&2
  kill -TERM "$server_pid"
  wait "$server_pid"
  echo "   serve exit $? after SIGTERM" >&2
  server_pid=
}

describe_machine
simulate_runs
for config in "${configs[@]}"; do
  name=${config%%:*}
  read -r -a fields <<<"${config#*: }"
  wanted "$name" || continue
  serve_run "$name" "${fields[@]}"
done

# One line per run, for the tables.
/usr/bin/python3 - "$out" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    r = json.load(open(path))
    name = os.path.basename(path)[:-5]
    if "round_trip_ms" in r:
        rt, s, c = r["round_trip_ms"], r["server"], r["cpu_percent_of_one_core"]
        print(f"{name}: {r['participants']} ready {r['connect']['ready']} in {r['connect']['seconds']} s, "
              f"{r['messages_per_second']:.0f} msg/s, server {r['server_events_per_second'] or 0:.0f} ev/s, "
              f"{r['deliveries_per_second']:.0f} deliveries/s, rt p50 {rt['p50']} p90 {rt['p90']} "
              f"p99 {rt['p99']} max {rt['max']} ms, errors {r['errors']['total']}, "
              f"RSS {s['rss_mib_connected']} connected / {s['rss_mib_max']} max MiB, CPU server "
              f"{c['server']}% client {c['load_generator']}% machine {c['machine']}%")
    else:
        print(f"{name}: {r['messages']} messages in {r['elapsed_seconds']:.3f} s, "
              f"{r['messages_per_second']:.0f} msg/s")
EOF
