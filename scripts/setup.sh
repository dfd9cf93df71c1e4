#!/usr/bin/env bash
# One-time set-up of a fresh machine (idempotent): Debian packages the product and
# its tests need, then the npm dependencies exactly as locked (npm ci builds the
# native helper's sibling, node-pty). Run by the README's two commands and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# build-essential/python3: the helper and node-pty; chromium: browser tests;
# busybox-static, syncthing: real static and Go programs the tests trace;
# cpulimit, trickle: peers the benchmarks compare against; imagemagick: benchmark plots; time: a benchmark's system CPU;
# desktop-file-utils, systemd: the validators of the desktop entries and the user unit;
# the swarm test bed (bench/lib/swarm.ts): BitTorrent clients, a tracker, mktorrent,
# iproute2 (ip netns, tc, ss) and curl (the tracker's scrape inside a namespace);
# prometheus: promtool checks /metrics and a real Prometheus scrapes it in the tests;
# tor, deluged: their unit files are fixtures of `interceptor adopt`; ansible-core: the fleet playbook's syntax check.
PACKAGES=(build-essential python3 chromium busybox-static syncthing cpulimit trickle time iproute2 imagemagick desktop-file-utils systemd
  aria2 qbittorrent-nox transmission-cli transmission-daemon rtorrent opentracker mktorrent curl util-linux prometheus
  tor deluged ansible-core)
# Daemons whose packages would start them as system services (transmission-daemon
# with DHT on, opentracker and prometheus on every address, tor, deluged): the tests start their own instances only.
SERVICES=(transmission-daemon opentracker prometheus tor deluged)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    # no service may start during the install (policy-rc.d, the Debian way), unless one is already set
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy"
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { [ -z "$policy" ] || $SUDO rm -f "$policy"; exit 1; }
    [ -z "$policy" ] || $SUDO rm -f "$policy"
  fi
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for s in "${SERVICES[@]}"; do $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true; done
  fi
else
  echo "setup: not a Debian-like system: install a C compiler, make, python3 and Chromium yourself" >&2
fi

# npm ci only when the installed tree is older than the lock (npm rewrites
# node_modules/.package-lock.json on every install).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
