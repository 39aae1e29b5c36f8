#!/usr/bin/env bash
# `livectl bench` end to end: a real `livectl serve` of an auction on a free
# port with a fresh database, `livectl bench` against it for 2 s, its JSON
# checked for sane figures, then the server stopped with SIGTERM, which must
# exit 0. Bounded: every wait below has a deadline.
# Usage: bench_load_test.sh LIVECTL
set -u
livectl=$1
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for file in serve.out serve.err bench.json bench.err; do
    [ -s "$work/$file" ] && { echo "--- $file"; tail -n 30 "$work/$file"; }
  done
  exit 1
}

# Usage errors: exit 2 and one sentence.
"$livectl" bench --db "$work/none.db" >/dev/null 2>"$work/err"
[ $? = 2 ] || fail "a missing --db should exit 2"
grep -q "none.db does not exist" "$work/err" || fail "unexpected message: $(cat "$work/err")"
"$livectl" bench --rate 5 --idle --db "$work/none.db" >/dev/null 2>"$work/err"
[ $? = 2 ] || fail "--rate with --idle should exit 2"

# --port 0: the server picks a free port and says which on its last line.
# --max-rate 0: a closed loop sends far more than a person's 50 a second.
"$livectl" serve --game auction --participants 6 --port 0 --db "$work/bench.db" --max-rate 0 \
  >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's|^serving on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$work/serve.out")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "livectl serve exited early"
  sleep 0.1
done
[ -n "$port" ] || fail "livectl serve did not print its port within 10 s"

timeout 30 "$livectl" bench --db "$work/bench.db" --port "$port" --duration 2 \
  --connect-timeout 10 --server-pid "$server_pid" --json >"$work/bench.json" 2>"$work/bench.err"
status=$?
[ $status = 0 ] || fail "livectl bench exited $status"

# The figures a person reads first must be there and make sense.
/usr/bin/python3 - "$work/bench.json" <<'EOF' || fail "the JSON report is not sane"
import json, sys
report = json.load(open(sys.argv[1]))
def check(condition, what):
    if not condition:
        print("bad report:", what, json.dumps(report, indent=1))
        sys.exit(1)
check(report["participants"] == 6, "participants")
check(report["connect"]["ready"] == 6, "every participant ready")
check(report["config"]["mode"] == "closed-loop", "mode")
check(report["config"]["game"] == "auction", "game")
check(1.9 <= report["window_seconds"] <= 4, "window of about 2 s")
check(report["messages"] > 0, "messages")
check(report["messages_per_second"] > 0, "messages per second")
check(report["deliveries"] > 0, "deliveries")
check(report["errors"]["total"] == 0, "no errors")
# The server counted the same messages (it committed each as an event).
check(report["server_events"] is not None and report["server_events"] > 0, "server events")
rt = report["round_trip_ms"]
check(rt["samples"] > 0, "round-trip samples")
check(0 < rt["p50"] <= rt["p90"] <= rt["p99"] <= rt["max"], "ordered percentiles")
replies = report["replies"]
check(replies["exact"] is True, "the auction's exact reply rule")
check(replies["answered"] == rt["samples"], "one sample per answered send")
check(replies["answered"] + replies["silent"] + replies["unanswered"] + replies["in_flight"]
      == report["messages"], "every send accounted for")
check(report["server"]["pid"] is not None, "server pid")
check(report["server"]["rss_mib_max"] > 0, "server RSS")
EOF

# Progress goes to stderr once a second.
grep -q "measuring" "$work/bench.err" || fail "no progress line on stderr"

kill -TERM "$server_pid"
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "livectl serve did not stop within 10 s of SIGTERM"
wait "$server_pid"
status=$?
server_pid=
[ $status = 0 ] || fail "livectl serve exited $status after SIGTERM"
echo "bench_load: passed"
