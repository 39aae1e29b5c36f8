#!/usr/bin/env bash
# Sets up livectl on a Debian machine: installs the Debian packages it needs
# (only those missing), then configures and builds.
#   scripts/bootstrap.sh             optimized build in build/
#   scripts/bootstrap.sh --sanitize  ASan + UBSan build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."

preset=default
case "${1:-}" in
  "") ;;
  --sanitize) preset=sanitize ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "bootstrap.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

packages=(
  g++ cmake make pkg-config
  nlohmann-json3-dev libcli11-dev doctest-dev
  libsqlite3-dev sqlite3 libwebsockets-dev libbenchmark-dev
  python3 python3-websockets
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" >&2
