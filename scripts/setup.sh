#!/usr/bin/env bash
# One-time set-up of a fresh machine (idempotent): Debian packages the product and
# its tests need, then the npm dependencies exactly as locked (npm ci builds the
# native helper's sibling, node-pty). Run by the README's two commands and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# build-essential/python3: the helper and node-pty; chromium: browser tests;
# busybox-static, syncthing: real static and Go programs the tests trace;
# cpulimit, trickle: peers the benchmarks compare against; imagemagick: benchmark plots;
# desktop-file-utils, systemd: the validators of the desktop entries and the user unit.
PACKAGES=(build-essential python3 chromium busybox-static syncthing cpulimit trickle iproute2 imagemagick desktop-file-utils systemd)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian-like system: install a C compiler, make, python3 and Chromium yourself" >&2
fi

# npm ci only when the installed tree is older than the lock (npm rewrites
# node_modules/.package-lock.json on every install).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
