#!/usr/bin/env bash
# The CLI's contracts, run as a user would: exit codes, determinism, output.
# Usage: cli_test.sh LIVECTL SOURCE_DIR
set -u
livectl=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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

expect_exit() {  # expect_exit CODE COMMAND...
  local want=$1
  shift
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "exit $got, expected $want: $*"
    cat "$work/err"
    return 1
  fi
}

same_files() { cmp -s "$1" "$2"; }

# simulate: same seed, same transcript and digest, byte for byte.
for game in auction tictactoe bargaining ten_messages; do
  "$livectl" simulate "$game" --seed 7 --transcript "$work/$game.1" --json >"$work/$game.json1"
  "$livectl" simulate "$game" --seed 7 --transcript "$work/$game.2" --json >"$work/$game.json2"
  check "$game transcript is byte-identical for the same seed" same_files "$work/$game.1" "$work/$game.2"
  check "$game transcript is not empty" test -s "$work/$game.1"
  d1=$(grep '"digest"' "$work/$game.json1")
  d2=$(grep '"digest"' "$work/$game.json2")
  check "$game digest is the same for the same seed" test "$d1" = "$d2"
  "$livectl" simulate "$game" --seed 8 --transcript "$work/$game.3" >/dev/null
  check "$game transcript differs for another seed" test -n "$(cmp "$work/$game.1" "$work/$game.3" 2>&1)"
done

# tictactoe with 2000 participants: same digest twice, no violation.
"$livectl" simulate tictactoe --participants 2000 --seed 7 --json >"$work/t1"
r1=$?
"$livectl" simulate tictactoe --participants 2000 --seed 7 --json >"$work/t2"
check "simulate tictactoe 2000 exits 0" test "$r1" = 0
check "simulate tictactoe 2000 repeats its digest" \
  test "$(grep '"digest"' "$work/t1")" = "$(grep '"digest"' "$work/t2")"
check "simulate tictactoe 2000 reports no failed check" grep -q '"failed": \[\]' "$work/t1"

# Bad usage exits 2 with one clear sentence.
check "an unknown game exits 2" expect_exit 2 "$livectl" simulate chess
check "the unknown game is named" grep -q "unknown game 'chess'" "$work/err"
check "a size that is not a multiple of the group exits 2" expect_exit 2 "$livectl" simulate auction --participants 4
check "an unknown option exits 2" expect_exit 2 "$livectl" simulate auction --frobnicate
check "help exits 0" expect_exit 0 "$livectl" simulate --help
check "games lists auction" expect_exit 0 "$livectl" games
check "games output names tictactoe" grep -q '^tictactoe' "$work/out"

# test: a failing scenario exits 1, a bad file 2, with the file and step.
cat >"$work/fails.json" <<'JSON'
{"name": "wrong winner", "game": "auction", "steps": [{"player": 1, "send": 10}],
 "final": {"group": {"highest_bidder": 2}}}
JSON
cat >"$work/bad.json" <<'JSON'
{"game": "auction", "steps": [{"player": 9, "send": 10}]}
JSON
check "a failing scenario exits 1" expect_exit 1 "$livectl" test "$work/fails.json"
check "the failure is explained" grep -q "final: group 1 highest_bidder is 1, expected 2" "$work/out"
check "the summary line ends the output" test "$(tail -n 1 "$work/out")" = "0 passed, 1 failed"
check "a bad scenario file exits 2" expect_exit 2 "$livectl" test "$work/bad.json"
check "the bad file is located" grep -q "bad.json: step 1: \"player\" must be a participant id from 1 to 3, not 9" "$work/out"
check "a missing path exits 2" expect_exit 2 "$livectl" test "$work/nothing-here"

# Regression: a number beyond a double escaped as a library exception (exit 1,
# no summary line). It is a bad file: exit 2, the file, the step, the reason.
printf '{"game": "auction", "steps": [{"player": 1, "send": 1e400}]}' >"$work/huge.json"
check "a number beyond a double in a scenario exits 2" expect_exit 2 "$livectl" test "$work/huge.json"
check "the huge number is located and explained" grep -qF \
  "ERROR $work/huge.json: step 1: invalid JSON: number overflow parsing '1e400' at byte 53 (a number too large for a double)" "$work/out"
check "the huge number still ends with the summary line" test "$(tail -n 1 "$work/out")" = "0 passed, 1 failed"
check "nothing about the library leaks to stderr" test ! -s "$work/err"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
