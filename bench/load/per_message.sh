#!/usr/bin/env bash
# What `livectl serve` pays per message, measured from outside: server CPU
# (µs per message) and system calls per message over a fixed open-loop
# window, idle CPU at 10,000 connections, and closed-loop throughput and
# p99. Several builds are run interleaved, round after round, so that the
# machine's drift falls on all of them alike.
#
#   bench/load/per_message.sh OUT_DIR ROUNDS LIVECTL [LIVECTL...]
#
# Each run starts a fresh `serve` (a fresh database, a free port), drives it
# with `livectl bench` (from the first LIVECTL, so every build sees the
# same client) and attaches `perf stat` to the server for the middle of the
# window: from the first progress line (1 s in) to 1 s before its end.
# Per message = per liveSend the load generator made in that time.
# Environment:
#   CONFIGS   names of the configurations to run (default: all; see below)
#   DURATION  seconds each bench measures (default 12)
#   COUNT     what perf counts: "calls" (default: CPU time, all system calls
#             and a few one by one), "total" (CPU time and all system calls:
#             the least overhead), "none" (no perf; CPU from the bench's
#             own /proc sampling over the whole window)
# Needs perf (linux-perf) and root or perf_event_paranoid <= 1 for the
# syscall tracepoints, and for the -pg configurations Debian's postgresql:
# a throwaway server on 127.0.0.1 with fsync on (tests/support/servers.py),
# a fresh database for each run; its own CPU is not counted. Prints one line per run and keeps each run's JSON
# (`livectl bench --json` and the perf counts) in OUT_DIR.
set -u
if [ $# -lt 3 ]; then
  echo "usage: bench/load/per_message.sh OUT_DIR ROUNDS LIVECTL [LIVECTL...]" >&2
  exit 2
fi
if [ "${COUNT:-calls}" != none ] && ! command -v perf >/dev/null; then
  echo "per_message.sh: perf is missing (apt-get install linux-perf), or run with COUNT=none" >&2
  exit 2
fi
out=$1
rounds=$2
shift 2
binaries=()
for b in "$@"; do binaries+=("$(realpath "$b")"); done
client=${binaries[0]}
duration=${DURATION:-12}
mkdir -p "$out"
disk_dir=$(mktemp -d /var/tmp/livectl-per-message.XXXXXX)
shm_dir=$(mktemp -d /dev/shm/livectl-per-message.XXXXXX)
server_pid=
source "$(dirname "$(realpath "$0")")/serve_start.sh"
servers=$(dirname "$(realpath "$0")")/../../tests/support/servers.py
pg_dir=
pg_base=
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
  [ -n "$pg_dir" ] && /usr/bin/python3 "$servers" postgres stop "$pg_dir" >/dev/null 2>&1
  rm -rf "$disk_dir" "$shm_dir" "$pg_dir"
}
trap cleanup EXIT

# name: game participants database-dir bench-arguments...
# (database-dir "postgres": a database on the throwaway PostgreSQL server)
# 300 auction participants are 100 groups of 3; --rate is per participant.
configs=(
  "open-2000-disk: auction 300 $disk_dir --rate 6.6667"
  "open-2000-tmpfs: auction 300 $shm_dir --rate 6.6667"
  "open-10000-disk: auction 300 $disk_dir --rate 33.333"
  "open-10000-tmpfs: auction 300 $shm_dir --rate 33.333"
  "closed-300-disk: auction 300 $disk_dir"
  "open-2000-pg: auction 300 postgres --rate 6.6667"
  "open-10000-pg: auction 300 postgres --rate 33.333"
  "closed-300-pg: auction 300 postgres"
  "idle-10000: tictactoe 10000 $disk_dir --idle"
)
selected=(${CONFIGS:-})
wanted() {
  [ ${#selected[@]} -eq 0 ] && return 0
  for w in "${selected[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

# The system calls counted one by one; raw_syscalls:sys_enter counts them all.
calls=(sendto recvfrom poll ppoll epoll_wait epoll_ctl read write pwrite64 fdatasync fsync futex
  ioctl)
events=(-e task-clock -e raw_syscalls:sys_enter)
count=${COUNT:-calls}
if [ "$count" = calls ]; then
  for c in "${calls[@]}"; do events+=(-e "syscalls:sys_enter_$c"); done
fi

one_run() {  # one_run NAME BUILD-INDEX GAME PARTICIPANTS DB-DIR BENCH-ARGS...
  local name=$1 index=$2 game=$3 participants=$4 dir=$5
  shift 5
  local livectl=${binaries[$index]} tag="$name.b$index.r$round"
  local db="$dir/$tag.db"
  if [ "$dir" = postgres ]; then
    if [ -z "$pg_dir" ]; then
      pg_dir=$(mktemp -d /tmp/livectl-per-message-pg.XXXXXX)
      chmod 755 "$pg_dir"  # the cluster inside belongs to the postgres user when run as root
      /usr/bin/python3 "$servers" postgres start "$pg_dir/pg" --fsync >/dev/null || return 1
      pg_base=$(cat "$pg_dir/pg/url")
      pg_base=${pg_base%/postgres}
    fi
    local database=${tag//[.-]/_}
    psql -X -q -d "$pg_base/postgres" -c "CREATE DATABASE $database" || return 1
    db="$pg_base/$database"
  fi
  start_serve "$livectl" "$out/$tag" "$game" "$participants" "$db" || return 1
  "$client" bench --db "$db" --port "$port" --server-pid "$server_pid" --duration "$duration" \
    --connect-timeout 120 --json "$@" >"$out/$tag.json" 2>"$out/$tag.progress" &
  local bench_pid=$!
  # The first progress line of the window comes 1 s into it.
  while kill -0 "$bench_pid" 2>/dev/null && ! grep -q -E "measuring|holding" "$out/$tag.progress"; do
    sleep 0.05
  done
  if [ "$count" = none ]; then
    : >"$out/$tag.perf"
  else
    perf stat -x ';' -o "$out/$tag.perf" "${events[@]}" -p "$server_pid" -- \
      sleep "$((duration - 2))" 2>/dev/null
  fi
  wait "$bench_pid"
  kill -TERM "$server_pid"
  wait "$server_pid"
  server_pid=
  if [ "$dir" = postgres ]; then
    psql -X -q -d "$pg_base/postgres" -c "DROP DATABASE $database"
  else
    rm -f "$db" "$db-wal" "$db-shm"
  fi
  /usr/bin/python3 - "$out/$tag" "$name" "$index" "$duration" <<'EOF'
import json, sys
tag, name, index, duration = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
report = json.load(open(tag + ".json"))
counts = {}
for line in open(tag + ".perf"):
    fields = line.strip().split(";")
    if len(fields) < 3 or line.startswith("#"):
        continue
    try:
        counts[fields[2].split(":")[-1]] = float(fields[0])
    except ValueError:
        pass
seconds = duration - 2  # what perf measured
if "task-clock" in counts:
    cpu_ms = counts["task-clock"]
else:  # no perf: the bench's sampling of the whole window
    seconds = report["window_seconds"] if "window_seconds" in report else duration
    cpu_ms = report["cpu_percent_of_one_core"]["server"] / 100 * seconds * 1000
result = {"name": name, "build": int(index), "perf_seconds": seconds,
          "server_cpu_percent": round(100 * cpu_ms / 1000 / seconds, 2),
          "syscalls_per_second": round(counts.get("sys_enter", 0) / seconds)}
line = f"{name:17} build {index}  "
if report.get("messages_per_second"):
    messages = report["messages_per_second"] * seconds
    result["messages_per_second"] = round(report["messages_per_second"])
    result["p50_ms"], result["p99_ms"] = report["round_trip_ms"]["p50"], report["round_trip_ms"]["p99"]
    result["cpu_us_per_message"] = round(cpu_ms * 1000 / messages, 1)
    result["syscalls_per_message"] = round(counts.get("sys_enter", 0) / messages, 2)
    result["per_message"] = {k[len("sys_enter_"):]: round(v / messages, 2)
                             for k, v in counts.items() if k.startswith("sys_enter_") and v}
    line += (f"{result['messages_per_second']:7} msg/s  p50 {result['p50_ms']:5.2f} p99 "
             f"{result['p99_ms']:6.2f} ms  CPU {result['cpu_us_per_message']:6.1f} us/msg  "
             f"{result['syscalls_per_message']:5.2f} syscalls/msg  ("
             + " ".join(f"{k} {v}" for k, v in sorted(result["per_message"].items(),
                                                       key=lambda kv: -kv[1])) + ")"
             f"  errors {report['errors']['total']}")
else:
    line += (f"{report['connect']['ready']} connections held: server CPU "
             f"{result['server_cpu_percent']:.2f} % of a core, {result['syscalls_per_second']} syscalls/s")
json.dump(result, open(tag + ".result.json", "w"), indent=1)
print(line, flush=True)
EOF
}

echo "builds:" >&2
for i in "${!binaries[@]}"; do echo "  $i: ${binaries[$i]} ($("${binaries[$i]}" --version 2>/dev/null))" >&2; done
for round in $(seq "$rounds"); do
  for config in "${configs[@]}"; do
    name=${config%%:*}
    wanted "$name" || continue
    read -r -a fields <<<"${config#*: }"
    for i in "${!binaries[@]}"; do one_run "$name" "$i" "${fields[@]}"; done
  done
done

# The ranges over the rounds, per configuration and build.
echo "summary (ranges over $rounds rounds):"
/usr/bin/python3 - "$out" <<'EOF2'
import collections, glob, json, os, sys
runs = collections.defaultdict(list)
for path in glob.glob(os.path.join(sys.argv[1], "*.result.json")):
    r = json.load(open(path))
    runs[(r["name"], r["build"])].append(r)
def span(values, digits):
    lo, hi = min(values), max(values)
    f = lambda v: f"{v:,.{digits}f}"
    return f(lo) if f(lo) == f(hi) else f"{f(lo)}–{f(hi)}"
for (name, build), rs in sorted(runs.items()):
    if "messages_per_second" in rs[0]:
        print(f"  {name:17} build {build}: {span([r['messages_per_second'] for r in rs], 0)} msg/s, "
              f"CPU {span([r['cpu_us_per_message'] for r in rs], 0)} us/msg, "
              f"{span([r['syscalls_per_message'] for r in rs], 1)} syscalls/msg, "
              f"p50 {span([r['p50_ms'] for r in rs], 2)} ms, p99 {span([r['p99_ms'] for r in rs], 1)} ms")
    else:
        print(f"  {name:17} build {build}: server CPU {span([r['server_cpu_percent'] for r in rs], 1)} % "
              f"of a core, {span([r['syscalls_per_second'] for r in rs], 0)} syscalls/s")
EOF2
