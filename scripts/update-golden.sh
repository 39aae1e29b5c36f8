#!/usr/bin/env bash
# Regenerates the pinned transcripts and digests in tests/golden/ from the
# current build, after a change of behaviour that is meant. Review the diff
# (git diff tests/golden) before committing it.
#   scripts/update-golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/livectl ] || scripts/bootstrap.sh
cmake --build --preset default --target livectl >&2
tests/golden/golden_test.sh "$PWD/build/livectl" "$PWD" --update
