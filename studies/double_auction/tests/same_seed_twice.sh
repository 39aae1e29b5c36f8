#!/bin/bash
# The same seed gives the same transcript and digest, byte for byte, on
# every run of each configuration (design.md, "Determinism").
# Usage: same_seed_twice.sh BINARY
set -euo pipefail
binary=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for config in market market_wide_spread; do
  for run in 1 2; do
    "$binary" simulate --config "$config" --seed 5 --transcript "$work/$config-$run.jsonl" |
      grep '^digest ' >"$work/$config-$run.digest"
  done
  if ! cmp -s "$work/$config-1.jsonl" "$work/$config-2.jsonl"; then
    echo "$config: two runs with seed 5 wrote different transcripts" >&2
    exit 1
  fi
  if ! cmp -s "$work/$config-1.digest" "$work/$config-2.digest"; then
    echo "$config: two runs with seed 5 ended in different digests" >&2
    exit 1
  fi
  if [ "$config" = market ] && ! grep -q '"timeout":"market"' "$work/$config-1.jsonl"; then
    echo "$config: no market period ended by its timeout; the bots no longer exercise it" >&2
    exit 1
  fi
  echo "$config: same transcript and $(cat "$work/$config-1.digest") twice"
done
