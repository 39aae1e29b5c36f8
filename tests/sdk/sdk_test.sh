#!/usr/bin/env bash
# The SDK as a new user meets it, against the installed package only:
#   sdk_test.sh BUILD_DIR
# installs livectl from BUILD_DIR into a temporary prefix, runs the installed
# `livectl new` into a temporary folder, configures and builds that study
# with only the prefix on CMAKE_PREFIX_PATH (never the source tree), runs its
# CTest tests, then serves it and completes one liveSend round trip over a
# WebSocket. Also: bad names and an existing folder get one clear error.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/livectl-sdk-test-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "sdk_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
livectl="$scratch/prefix/bin/livectl"
[ -x "$livectl" ] || fail "cmake --install did not install bin/livectl"

# Bad names and existing folders: exit 2, one line, nothing written.
expect_usage_error() {
  local expected=$1; shift
  local status=0 output
  output=$("$livectl" "$@" 2>&1) || status=$?
  [ "$status" -eq 2 ] || fail "livectl $* exited $status, not 2: $output"
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] || fail "livectl $* printed more than one line: $output"
  case "$output" in *"$expected"*) ;; *) fail "livectl $*: expected '$expected' in: $output" ;; esac
}
cd "$scratch"
expect_usage_error "got 'My-Study'" new My-Study
expect_usage_error "--game: a game's name" new good --game "Bad Name"
expect_usage_error "already the name of one of livectl's example games" new good --game auction
mkdir taken
expect_usage_error "taken already exists" new taken
[ -z "$(ls -A taken)" ] || fail "livectl new wrote into an existing folder"
[ ! -e good ] || fail "a refused livectl new left a folder behind"

"$livectl" new pg --game public_goods >/dev/null
for file in CMakeLists.txt README.md .gitignore configs.json games/public_goods/public_goods.cpp \
            games/public_goods/live.html games/public_goods/results.html; do
  [ -f "pg/$file" ] || fail "livectl new did not write $file"
done
[ "$(ls pg/scenarios/public_goods/*.json | wc -l)" -eq 3 ] || fail "expected three scenarios"
! grep -rq "@GAME@\|@STUDY@" pg || fail "a placeholder was left in the study's files"

# Against the installed package only: the prefix is the only place CMake may
# find livectl, and the source tree is not visible to the study.
cmake -S pg -B pg/build -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$scratch/configure.log" 2>&1 || { cat "$scratch/configure.log"; fail "the study did not configure"; }
cmake --build pg/build -j2 >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; fail "the study did not build"; }
if grep -q "$(cd "$here/../.." && pwd)" pg/build/CMakeCache.txt; then
  fail "the study's build refers to livectl's source tree"
fi
ctest --test-dir pg/build --output-on-failure || fail "the study's own tests failed"
pg/build/pg games | grep -q "^public_goods " || fail "pg games does not list public_goods"
# The study's configs.json is compiled in, and its configuration plays.
pg/build/pg configs | grep -q "^public_goods_pairs: public_goods, 4 participants, 1 round, 0.01 per point + 5 fee$" ||
  { pg/build/pg configs; fail "pg configs does not list the study's configuration"; }
pg/build/pg simulate --config public_goods_pairs --seed 2 --json | grep -q '"participants": 4' ||
  fail "simulate --config public_goods_pairs did not play its four participants"
# A configs.json with a mistake stops every command with the file and the reason.
cp pg/configs.json "$scratch/configs.json"
sed -i 's/"num_demo_participants": 4/"num_demo_participants": 3/' pg/configs.json
cmake --build pg/build -j2 >"$scratch/rebuild.log" 2>&1 || { cat "$scratch/rebuild.log"; fail "the study did not rebuild"; }
message=$(pg/build/pg games 2>&1) || true
[ "$message" = 'pg: configs.json: session_configs[0] (public_goods_pairs): "num_demo_participants" must be a positive multiple of 2 (the group size of public_goods), not 3' ] ||
  fail "a bad configs.json gave: $message"
cp "$scratch/configs.json" pg/configs.json
cmake --build pg/build -j2 >"$scratch/rebuild.log" 2>&1 || fail "the study did not rebuild"

/usr/bin/python3 "$here/study_round_trip.py" pg/build/pg public_goods

# serve --dev where a game's folder is not there any more (as for an
# installed livectl's examples): the compiled-in templates are served.
mv pg/games/public_goods pg/games/moved
timeout 3 pg/build/pg serve --dev --game public_goods --participants 2 --port 0 \
  --db "$scratch/dev.db" >"$scratch/dev.out" 2>&1 || true
mv pg/games/moved pg/games/public_goods
grep -q "^--dev: public_goods was built from .*, which is not here; its compiled-in templates are served$" \
  "$scratch/dev.out" || { cat "$scratch/dev.out"; fail "serve --dev did not fall back for a missing folder"; }
! grep -q "answer 500" "$scratch/dev.out" || { cat "$scratch/dev.out"; fail "serve --dev reported a template error"; }
echo "sdk_test: install, new, build, test and serve: ok"
