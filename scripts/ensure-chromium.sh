#!/usr/bin/env bash
# Make sure Debian's Chromium is installed at /usr/bin/chromium (used by the
# browser e2e tests through playwright-core). Idempotent: a no-op when present.
# Playwright's own browser download is unreachable here, so we use apt's build.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

print_version() {
  # The Debian wrapper prints a harmless "[: ...: unexpected operator" on
  # stderr (its /dev/shm check); hide it so the output stays a single line.
  "$CHROMIUM" --version 2>/dev/null || /usr/lib/chromium/chromium --version
}

if [ -x "$CHROMIUM" ]; then
  print_version
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# Only one apt/dpkg may run at a time; wait (up to ~5 min) for any other one.
wait_for_apt() {
  local i
  # fuser (psmisc) may be absent; then rely on apt's own DPkg::Lock::Timeout.
  command -v fuser >/dev/null 2>&1 || return 0
  for i in $(seq 1 300); do
    if ! fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock \
               /var/lib/apt/lists/lock /var/cache/apt/archives/lock >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "ensure-chromium: timed out waiting for the apt/dpkg lock" >&2
  return 1
}

# Chained with && because `set -e` does not apply inside a function run as an
# `if` condition.
install_once() {
  wait_for_apt &&
    $SUDO apt-get update -q -o DPkg::Lock::Timeout=300 &&
    wait_for_apt &&
    # Lock timeout too, in case another apt starts between our check and ours.
    $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=300 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold chromium
}

# Retry once: a mirror hiccup or a lock race should not fail CI.
if ! install_once; then
  echo "ensure-chromium: first attempt failed, retrying in 5s" >&2
  sleep 5
  install_once
fi

print_version
