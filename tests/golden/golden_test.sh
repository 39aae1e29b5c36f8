#!/usr/bin/env bash
# Pinned determinism: each seed game's transcript and state digest for fixed
# seeds, and every bundled scenario's digest, compared byte for byte with the
# files in this folder. A change of behaviour, or drift between runs, builds
# or machines, fails here. When a change is intended, regenerate the files
# with scripts/update-golden.sh and review the diff before committing it.
# Usage: golden_test.sh LIVECTL SOURCE_DIR [--update]
set -u
livectl=$1
source_dir=$2
update=${3:-}
golden="$source_dir/tests/golden"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# compare NAME GOLDEN_FILE NEW_FILE
compare() {
  if [ "$update" = "--update" ]; then
    cp "$3" "$2"
    echo "wrote ${2#"$source_dir"/}"
    passed=$((passed + 1))
  elif cmp -s "$2" "$3"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1 differs from ${2#"$source_dir"/}:"
    diff "$2" "$3" | head -n 12
  fi
}

# Two groups of each game, two seeds, 200 messages: enough for every game to
# reach its interesting paths (refused moves, deals, wins) in a small file.
: >"$work/digests.txt"
for game in auction tictactoe bargaining ten_messages; do
  for seed in 1 7; do
    size=$("$livectl" games | sed -n "s/^$game .*(groups of \([0-9]*\))\$/\1/p")
    participants=$((2 * ${size:-2}))
    name="$game-seed$seed"
    "$livectl" simulate "$game" --seed "$seed" --participants "$participants" --messages 200 \
      --transcript "$work/$name.jsonl" >"$work/$name.out" 2>&1 || {
      failed=$((failed + 1))
      echo "FAIL: livectl simulate $game --seed $seed exited non-zero:"
      cat "$work/$name.out"
      continue
    }
    echo "$name participants=$participants $(grep '^digest ' "$work/$name.out")" >>"$work/digests.txt"
    compare "$name transcript" "$golden/$name.jsonl" "$work/$name.jsonl"
  done
done
compare "simulation digests" "$golden/digests.txt" "$work/digests.txt"

# Every bundled scenario, with the digest it ends in.
(cd "$source_dir" && "$livectl" test scenarios) >"$work/scenarios.txt" 2>&1
compare "scenario digests" "$golden/scenarios.txt" "$work/scenarios.txt"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
