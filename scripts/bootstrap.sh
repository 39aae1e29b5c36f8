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
  libsqlite3-dev sqlite3 libwebsockets-dev libev-dev libbenchmark-dev
  libpq-dev  # the PostgreSQL store
  postgresql nginx openssl  # the tests start throwaway servers of their own (tests/support/servers.py)
  python3 python3-websockets
  python3-pandas  # the public goods study test reads its export as a researcher does
  chromium
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh, which scripts/test.sh runs
  dpkg-dev  # dpkg-shlibdeps, for `cpack -G DEB` and the package_deb test
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# The browser test's Node.js may come from outside Debian (a machine's own
# Node 20, whose nodejs package includes npm and conflicts with Debian's npm):
# look for the commands, not for Debian's packages. Debian 12's own nodejs is
# Node 18, the oldest tests/browser/package.json accepts ("engines").
if command -v node >/dev/null; then
  if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
    echo "bootstrap: the browser test needs Node.js 18 or newer; $(command -v node) is $(node --version)" >&2
    exit 1
  fi
else
  missing+=(nodejs)
fi
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  # Root installs directly (a container or a fresh machine often has no sudo);
  # anyone else through sudo. env, because sudo drops DEBIAN_FRONTEND.
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "bootstrap: not root and no sudo: install them as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  echo "bootstrap: installing ${missing[*]}" >&2
  # nginx's package starts a server on port 80 as it installs, and enables
  # it for every boot; the tests want none (they start nginx instances of
  # their own), and port 80 may be another server's. So while apt-get runs,
  # /usr/sbin/policy-rc.d forbids nginx's service to start (exit 101 is
  # "action forbidden by policy" to invoke-rc.d and deb-systemd-invoke,
  # which ask it with the service's name, nginx or nginx.service, and the
  # action), and the service is disabled after. Other services start as
  # usual (the PostgreSQL that docs/deploying.md uses). A policy-rc.d that
  # is there already (Docker images have one that forbids every start) is
  # left as it is; ours is removed however apt-get ends.
  policy_rc_d=/usr/sbin/policy-rc.d
  ours=false
  if [[ " ${missing[*]} " == *" nginx "* ]] && [ ! -e "$policy_rc_d" ]; then
    ours=true
    trap '"${as_root[@]}" rm -f "$policy_rc_d"' EXIT
    printf '%s\n' '#!/bin/sh' \
      '# scripts/bootstrap.sh, while it installs packages: nginx does not start' \
      'for arg; do case "$arg" in nginx | nginx.service) exit 101 ;; esac; done' \
      'exit 0' | "${as_root[@]}" tee "$policy_rc_d" >/dev/null
    "${as_root[@]}" chmod 755 "$policy_rc_d"
  fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}" >&2
  if [ "$ours" = true ]; then
    "${as_root[@]}" rm -f "$policy_rc_d"
    trap - EXIT
  fi
  if [[ " ${missing[*]} " == *" nginx "* ]]; then
    # Where systemd runs (it made /run/systemd/system); elsewhere nothing
    # started it. A failure here leaves a server on port 80, not a broken setup.
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
      "${as_root[@]}" systemctl disable --now nginx >&2 || true
    fi
  fi
fi

# playwright-core for the browser test, exactly as package-lock.json pins it
# (it downloads no browser: the test drives Debian's chromium). Installed
# again only when the lock file has changed since the last install.
lock_sum=$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)
lock_stamp=tests/browser/node_modules/.livectl-lock-sha256
if [ "$(cat "$lock_stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "bootstrap: installing tests/browser's npm packages" >&2
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) >&2
  echo "$lock_sum" >"$lock_stamp"
fi

cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" >&2
