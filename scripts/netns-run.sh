#!/usr/bin/env bash
# Run a command in a private network namespace whose only interface is loopback,
# so a test cannot reach anything but 127.0.0.1/::1 (no route exists to elsewhere).
#   scripts/netns-run.sh node js/e2e/smoke.mjs
# Build and fetch Go modules / npm packages BEFORE calling this: inside, the Go
# proxy is switched off so nothing even tries a DNS lookup.
# The command's exit code is this script's exit code.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi

# Re-exec ourselves under unshare with a marker argument (not an env var, so an
# inherited variable can never skip the isolation).
if [ "$1" != "--in-netns" ]; then
  # Root can make a network namespace directly; others need a user namespace too
  # (-r maps the caller to root inside it, enough to bring lo up).
  flags=-n
  if [ "$(id -u)" -ne 0 ]; then flags=-rn; fi
  exec unshare "$flags" -- "$0" --in-netns "$@"
fi
shift

# Now inside the new namespace: lo starts DOWN, and with it down listen() on
# 127.0.0.1 still succeeds but every connect() fails.
ip link set lo up
# Belt and braces: refuse to run if any interface but lo is visible (e.g. someone
# passed --in-netns by hand outside a namespace).
if ip -o link show | grep -v ': lo:' | grep -q .; then
  echo "netns-run: not in a loopback-only network namespace; refusing" >&2
  exit 1
fi
export GOPROXY=off GOFLAGS=-mod=mod
exec "$@"
