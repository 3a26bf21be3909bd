#!/usr/bin/env bash
# Makes the player demo's sample files with ffmpeg (nothing is downloaded):
#   scripts/make-samples.sh DIR
# DIR/sample.webm (VP8 + Opus) and DIR/sample.mp4 (H.264 + AAC), 30 s of a
# test pattern and a tone, a keyframe every second. Existing files are kept.
set -euo pipefail
dir=${1:?usage: $0 DIR}
if ! command -v ffmpeg >/dev/null; then
  echo "make-samples: ffmpeg not found (scripts/ensure-deps.sh installs it); the player demo's samples are missing" >&2
  exit 0
fi
mkdir -p "$dir"
src=(-f lavfi -i "testsrc2=size=640x360:rate=30:duration=30" -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=30")
if [ ! -s "$dir/sample.webm" ]; then
  ffmpeg -nostdin -loglevel error -y "${src[@]}" -c:v libvpx -b:v 800k -deadline realtime -cpu-used 8 -g 30 -keyint_min 30 \
    -c:a libopus -b:a 64k -ac 2 "$dir/sample.webm.tmp.webm" && mv "$dir/sample.webm.tmp.webm" "$dir/sample.webm"
fi
if [ ! -s "$dir/sample.mp4" ]; then
  ffmpeg -nostdin -loglevel error -y "${src[@]}" -c:v libx264 -profile:v baseline -preset veryfast -pix_fmt yuv420p \
    -g 30 -keyint_min 30 -sc_threshold 0 -c:a aac -b:a 96k -ac 2 -movflags +faststart "$dir/sample.mp4.tmp.mp4" \
    && mv "$dir/sample.mp4.tmp.mp4" "$dir/sample.mp4"
fi
echo "player samples in $dir"
