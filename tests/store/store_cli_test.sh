#!/usr/bin/env bash
# simulate --db, replay and export as a user runs them: outputs, exit codes,
# the exact error sentences, and a real full disk (a 1 MiB tmpfs, when this
# runs as root; skipped with a message otherwise).
# Usage: store_cli_test.sh LIVECTL
set -u
livectl=$1
work=$(mktemp -d)
mounted=""
writer=""
cleanup() {
  [ -n "$writer" ] && kill -KILL "$writer" 2>/dev/null
  [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

check() {  # check NAME COMMAND...: the command must succeed
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
  fi
}

run() {  # run COMMAND...: stdout to $work/out, stderr to $work/err, exit code to $code
  "$@" >"$work/out" 2>"$work/err"
  code=$?
}

same_text() { [ "$1" = "$2" ] || { echo "  got:      $1"; echo "  expected: $2"; return 1; }; }
integrity() { same_text "$(sqlite3 "$1" 'PRAGMA integrity_check')" ok; }

# simulate --db: same transcript and digest as in memory, for every game.
for game in auction tictactoe bargaining ten_messages; do
  "$livectl" simulate "$game" --seed 3 --transcript "$work/$game.mem" --json >"$work/$game.mem.json"
  run "$livectl" simulate "$game" --seed 3 --db "$work/$game.db" --transcript "$work/$game.db.jsonl" --json
  check "$game: simulate --db exits 0" same_text "$code" 0
  check "$game: simulate --db writes the in-memory transcript" cmp -s "$work/$game.mem" "$work/$game.db.jsonl"
  check "$game: simulate --db ends with the in-memory digest" \
    same_text "$(grep '"digest"' "$work/out")" "$(grep '"digest"' "$work/$game.mem.json")"
  run "$livectl" replay --db "$work/$game.db"
  check "$game: replay exits 0" same_text "$code" 0
  check "$game: replay says OK with the digest" \
    same_text "$(cut -d' ' -f1,3,6- "$work/out")" "OK $game digest $(grep -o '"digest": "[0-9a-f]*"' "$work/$game.mem.json" | cut -d'"' -f4)"
done

# Rerunning the same command continues (here: re-checks) the stored session.
db="$work/auction.db"
run "$livectl" simulate auction --seed 3 --db "$db" --transcript "$work/again.jsonl" --json
check "a rerun exits 0" same_text "$code" 0
check "a rerun writes the same transcript" cmp -s "$work/auction.mem" "$work/again.jsonl"
check "a rerun stores nothing twice" same_text "$(sqlite3 "$db" 'SELECT count(*) FROM sessions')" 1
check "a rerun adds no event" \
  same_text "$(sqlite3 "$db" 'SELECT count(*) = max(seq) FROM events')" 1
code_of_session=$(sqlite3 "$db" 'SELECT code FROM sessions')
run "$livectl" simulate auction --seed 3 --messages 10 --db "$db"
check "other settings for a stored seed exit 2" same_text "$code" 2
check "other settings for a stored seed are explained" same_text "$(cat "$work/err")" \
  "livectl: $db already holds session $code_of_session (simulate auction, 30 participants, {\"messages\":3000}), which this simulation cannot continue; use another --db or --seed"
run "$livectl" simulate auction --seed 4 --db "$db" --commit-every 1
check "a second seed is a second session, even committing every event" same_text "$code" 0
check "a second seed is a second session" same_text "$(sqlite3 "$db" 'SELECT count(*) FROM sessions')" 2
run "$livectl" simulate auction --commit-every 5
check "--commit-every without --db exits 2" same_text "$code" 2
check "--commit-every without --db is explained" same_text "$(cat "$work/err")" "livectl: --commit-every needs --db"

# replay: one session, a tampered log, a session that does not exist.
run "$livectl" replay --db "$db" --session "$code_of_session"
check "replay --session replays one session" same_text "$(wc -l <"$work/out")" 1
cp "$db" "$work/tampered.db"
# The first accepted bid after event 5 becomes a bid of 1, which is too low.
seq=$(sqlite3 "$work/tampered.db" "SELECT min(seq) FROM events WHERE session = '$code_of_session' AND seq > 5 AND deliveries != '[]'")
sqlite3 "$work/tampered.db" "UPDATE events SET data = '1' WHERE session = '$code_of_session' AND seq = $seq"
run "$livectl" replay --db "$work/tampered.db"
check "a tampered log makes replay exit 1" same_text "$code" 1
check "the mismatch names the session and the first divergent event" \
  grep -q "^MISMATCH $code_of_session auction first divergence at event $seq: participant [0-9]* received {.*} in the log but nothing in the replay$" "$work/out"
check "the untampered session still replays OK" grep -q "^OK " "$work/out"
run "$livectl" replay --db "$db" --session nosuch
check "replay of a missing session exits 2" same_text "$code" 2
check "replay of a missing session names it" same_text "$(cat "$work/err")" "livectl: $db has no session nosuch"

# export: the files, oTree's column names.
run "$livectl" export --db "$db" --out "$work/csv"
check "export exits 0" same_text "$code" 0
check "export lists what it wrote" same_text "$(cut -d' ' -f2 "$work/out" | xargs -n1 basename | tr '\n' ' ')" \
  "sessions.csv auction_players.csv auction_bid.csv events.csv "
check "the players CSV starts with oTree's columns" same_text "$(head -1 "$work/csv/auction_players.csv")" \
  $'session.code,session.config.name,participant.code,participant.id_in_session,participant.label,participant.payoff,participant.payoff_plus_participation_fee,subsession.round_number,player.id_in_group,player.payoff,group.id_in_subsession,group.highest_bid,group.highest_bidder\r'
check "the players CSV has a row per player of both sessions" same_text "$(($(wc -l <"$work/csv/auction_players.csv") - 1))" 60
run "$livectl" export --db "$db" --format json --session "$code_of_session" --out "$work/json"
check "export --format json exits 0" same_text "$code" 0
check "the JSON players file is an array of 30 rows" \
  same_text "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/json/auction_players.json")" 30
run "$livectl" export --db "$db" --format xml
check "an unknown format exits 2" same_text "$code" 2

# Bad files: one sentence, exit 2, the file unchanged.
echo "not a database" >"$work/notes.txt"
for command in "simulate auction --db" "replay --db" "export --out $work/x --db"; do
  run "$livectl" $command "$work/notes.txt"
  check "$command on a text file exits 2" same_text "$code" 2
  check "$command on a text file says so" same_text "$(cat "$work/err")" "livectl: $work/notes.txt is not a livectl database"
done
check "the text file is unchanged" same_text "$(cat "$work/notes.txt")" "not a database"
cp "$work/ten_messages.db" "$work/newer.db"
sqlite3 "$work/newer.db" 'PRAGMA user_version = 6'
sum_before=$(cksum <"$work/newer.db")
run "$livectl" replay --db "$work/newer.db"
check "a newer schema exits 2" same_text "$code" 2
check "a newer schema names both versions" same_text "$(cat "$work/err")" \
  "livectl: $work/newer.db was written by a newer livectl (schema 6; this livectl reads schema 5)"
run "$livectl" simulate auction --db "$work/newer.db"
check "a newer schema is not written to" same_text "$(cksum <"$work/newer.db")" "$sum_before"
run "$livectl" replay --db "$work/missing.db"
check "a missing database exits 2" same_text "$(cat "$work/err")" "livectl: $work/missing.db does not exist"

# Locked: another livectl writing, or another program holding the write lock.
"$livectl" simulate auction --participants 300 --messages 100000000 --db "$work/busy.db" >/dev/null 2>&1 &
writer=$!
for _ in $(seq 50); do [ -s "$work/busy.db" ] && break; sleep 0.1; done
sleep 0.3
run "$livectl" simulate tictactoe --db "$work/busy.db"
check "a second writer exits 2" same_text "$code" 2
check "a second writer is told the file is locked" same_text "$(cat "$work/err")" \
  "livectl: $work/busy.db is locked by another process"
run "$livectl" replay --db "$work/busy.db"
check "replay may read while a writer writes" grep -q "^OK " "$work/out"
kill -KILL $writer
wait $writer 2>/dev/null
writer=""
python3 - "$work/tictactoe.db" <<'PY' &
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
open(sys.argv[1] + ".held", "w").close()
time.sleep(4)
PY
holder=$!
for _ in $(seq 50); do [ -e "$work/tictactoe.db.held" ] && break; sleep 0.1; done
run "$livectl" simulate tictactoe --seed 9 --db "$work/tictactoe.db"
check "a file another program holds a write lock on exits 2" same_text "$code" 2
check "a file another program holds a write lock on is locked" same_text "$(cat "$work/err")" \
  "livectl: $work/tictactoe.db is locked by another process"
kill $holder
wait $holder 2>/dev/null
check "the locked file is intact" integrity "$work/tictactoe.db"

# A full disk: a 1 MiB tmpfs fills up in the middle of a run.
small="$work/small"
mkdir -p "$small"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$small" 2>/dev/null; then
  mounted=$small
  run "$livectl" simulate auction --participants 30 --messages 100000 --db "$small/full.db" \
    --transcript "$work/full.jsonl"
  check "a full disk exits 2" same_text "$code" 2
  check "a full disk is one sentence" same_text "$(cat "$work/err")" "livectl: the disk holding $small/full.db is full"
  check "the full database is intact" integrity "$small/full.db"
  released=$(wc -l <"$work/full.jsonl")
  stored=$(sqlite3 "$small/full.db" 'SELECT last_seq FROM sessions')
  check "every released line is stored ($released lines, last_seq $stored)" test "$released" -le "$stored"
  check "something was committed before the disk filled" test "$stored" -gt 0
  run "$livectl" replay --db "$small/full.db"
  check "the full database replays OK" grep -q "^OK " "$work/out"
  umount "$small" && mounted=""
else
  echo "SKIP: the full-disk test needs root and tmpfs (mount -t tmpfs) to fill a small disk"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
