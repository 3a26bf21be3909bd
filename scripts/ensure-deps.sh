#!/usr/bin/env bash
# Install the Debian packages Gorento's build, tests and demos need, in one apt
# transaction, when any is missing. Idempotent: a no-op when all are present.
#   chromium                    browser e2e through playwright-core (Playwright's own
#                               browser download is unreachable here)
#   libgstreamer*-dev, pkg-config  cgo build of gorento-worker (go-gst)
#   gstreamer1.0-*              the processing elements (filters, transcoding, mixing)
#   gstreamer1.0-opencv         facedetect (FaceOverlayFilter)
#   gstreamer1.0-plugins-bad    also zbar (ZBarFilter) and qroverlay, which makes the QR test
#                               videos at test time (no qrencode package needed)
#   opencv-data                 the Haar cascades facedetect loads (not pulled in by it)
#   ffmpeg                      test media made at test time; ffprobe checks recordings
set -euo pipefail

PACKAGES=(
  chromium
  pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-opencv opencv-data
  ffmpeg
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "ensure-deps: installing ${missing[*]}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# Only one apt/dpkg may run at a time; apt waits for the lock itself.
APT_OPTS=(-q -o DPkg::Lock::Timeout=600)
# Chained with && because `set -e` does not apply inside a function run as an
# `if` condition.
install_once() {
  $SUDO apt-get update "${APT_OPTS[@]}" &&
    $SUDO apt-get install -y "${APT_OPTS[@]}" \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
}

# Retry once: a mirror hiccup or a lock race should not fail CI.
if ! install_once; then
  echo "ensure-deps: first attempt failed, retrying in 5s" >&2
  sleep 5
  install_once
fi
