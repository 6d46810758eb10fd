#!/usr/bin/env bash
# Makes a short real test clip: the public-domain NASA astronaut portrait shipped by the
# Debian package python3-skimage (one smiling frontal face), frozen into an H.264 MP4 at
# 25 fps. Deterministic (same input, same encoder settings, one encoder thread) and fast.
#
#   tools/make-astronaut-clip.sh OUT [SECONDS]     e.g. tools/make-astronaut-clip.sh /tmp/a.mp4 2
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT.mp4 [SECONDS (default 4)]" >&2
  exit 2
fi
out="$1"
seconds="${2:-4}"
png="${EMO_ASTRONAUT_PNG:-/usr/lib/python3/dist-packages/skimage/data/astronaut.png}"
if [ ! -f "$png" ]; then
  echo "$0: $png not found (install the Debian package python3-skimage)" >&2
  exit 1
fi
frames=$((seconds * 25))
mkdir -p "$(dirname "$out")"
gst-launch-1.0 -q filesrc location="$png" ! pngdec ! videoconvert ! \
  imagefreeze num-buffers="$frames" ! video/x-raw,framerate=25/1 ! videoconvert ! \
  video/x-raw,format=I420 ! \
  x264enc speed-preset=veryfast tune=stillimage threads=1 key-int-max=25 ! \
  video/x-h264,profile=high ! mp4mux ! filesink location="$out"
echo "$out: ${frames} frames (${seconds} s at 25 fps) of $(basename "$png")"
