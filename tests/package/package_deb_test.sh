#!/usr/bin/env bash
# The Debian package as `apt install ./livectl_*.deb` would get it: cpack
# builds it from an already built tree into a scratch directory, then its
# control fields, its file list and its unpacked livectl are checked.
# Usage: package_deb_test.sh CPACK CPACK_CONFIG VERSION SOURCE_DIR BUILD_DIR
set -u
cpack=$1
config=$2
version=$3
source_dir=$4
build_dir=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# cpack builds what is out of date (nothing, after the build CTest follows),
# then installs into a staging folder under -B and packs that.
if ! "$cpack" -G DEB --config "$config" -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
arch=$(dpkg --print-architecture)
deb=$work/out/livectl_${version}_${arch}.deb
if [ ! -f "$deb" ]; then
  echo "FAIL: cpack wrote no livectl_${version}_${arch}.deb; it wrote:"
  ls "$work/out"
  exit 1
fi
echo "built $(basename "$deb"), $(($(stat -c %s "$deb") / 1024 / 1024)) MiB"

# ---- control fields ----
field() { dpkg-deb -f "$deb" "$1"; }
expect_field() {  # expect_field NAME VALUE
  local got
  got=$(field "$1")
  if [ "$got" = "$2" ]; then pass; else fail "$1 is '$got', expected '$2'"; fi
}
expect_field Package livectl
expect_field Version "$version"
expect_field Architecture "$arch"
expect_field Section science
if [[ $(field Maintainer) =~ ^.+\ \<.+@.+\>$ ]]; then pass; else
  fail "Maintainer '$(field Maintainer)' is not 'Name <address>'"
fi
if [[ $(field Description) == "oTree-style live pages"* ]]; then pass; else
  fail "Description starts '$(field Description | head -1)'"
fi
# Each Depends entry is "name (>= version)" or alternatives with "|";
# reduce them to the names.
depends=$(field Depends | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//' | sort -u)
# What a study build needs (listed) and what the binary loads (dpkg-shlibdeps).
for package in nlohmann-json3-dev libcli11-dev libsqlite3-dev libwebsockets-dev libpq-dev g++ cmake \
               libwebsockets17 libsqlite3-0 libpq5 libstdc++6 libc6; do
  if grep -qx -- "$package" <<<"$depends"; then pass; else
    fail "Depends lacks $package: $(field Depends)"
  fi
done

# ---- files ----
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
outside=$(grep -v '^\./usr/' "$work/files" | grep -vx '\./')
if [ -z "$outside" ]; then pass; else fail "files outside /usr: $outside"; fi
dpkg-deb -x "$deb" "$work/root"
root=$work/root
expect_file() {  # expect_file GLOB (relative to the unpacked root)
  local matches
  matches=$(cd "$root" && compgen -G "$1")
  if [ -n "$matches" ]; then pass; else fail "no $1 in the package"; fi
}
expect_file usr/bin/livectl
expect_file usr/include/livectl/livectl.h
expect_file 'usr/include/livectl/engine/*.h'
expect_file 'usr/lib/*liblivectl_engine.a'
expect_file 'usr/lib/*cmake/livectl/livectlConfig.cmake'
expect_file 'usr/lib/*cmake/livectl/livectlConfigVersion.cmake'
expect_file 'usr/lib/*cmake/livectl/livectlTargets.cmake'
expect_file 'usr/lib/*cmake/livectl/LivectlStudy.cmake'
# The package config finds the libraries relative to itself, never in the
# trees the package was built from.
leaked=$(grep -rlF -e "$source_dir/" -e "$build_dir/" "$root/usr/lib" --include='*.cmake')
if [ -z "$leaked" ]; then pass; else fail "build-tree paths in ${leaked//$root\//}"; fi

# ---- the unpacked binary ----
if [ -x "$root/usr/bin/livectl" ] && "$root/usr/bin/livectl" games >"$work/games" 2>&1; then
  pass
  for game in auction tictactoe bargaining ten_messages; do
    if grep -q "^$game " "$work/games"; then pass; else
      fail "livectl games does not list $game:"
      cat "$work/games"
    fi
  done
else
  fail "the unpacked usr/bin/livectl games failed:"
  cat "$work/games" 2>/dev/null
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
