#!/usr/bin/env bash
# Makes real test clips from the public-domain NASA astronaut portrait shipped by the Debian
# package python3-skimage, as H.264 MP4 at 25 fps. Deterministic (same input, same encoder
# settings, one encoder thread) and fast; the clips of the self-contained tests.
#
#   tools/make-astronaut-clip.sh [OPTIONS] OUT [SECONDS]
#     (no --scene)      the 512x512 portrait frozen: one smiling frontal face (default 4 s)
#     --scene moving    her head travelling over a 1280x720 frame, scaled and tilted
#     --scene group     shots of 1-3 faces (sizes, mirrored, grey, a frown), hard cuts, a
#                       cross-fade, a stretch without a face (tools/astronaut-scenes.py)
#     --scene fades     two shots of the group scene joined by a fade to black and a fade in
#     --size WxH        frame size of a scene (default 1280x720)
#     --truth FILE      the face boxes drawn on each frame of a scene, as JSON Lines
#   e.g. tools/make-astronaut-clip.sh /tmp/a.mp4 2
#        tools/make-astronaut-clip.sh --scene group --truth /tmp/g.jsonl /tmp/g.mp4 25
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() {
  sed -n '6,13p' "$0" >&2
  exit 2
}
scene="" size=1280x720 truth=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scene) scene="${2:?}"; shift 2 ;;
    --size) size="${2:?}"; shift 2 ;;
    --truth) truth=(--truth "${2:?}"); shift 2 ;;
    -*) usage ;;
    *) break ;;
  esac
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
out="$1"
seconds="${2:-4}"
png="${EMO_ASTRONAUT_PNG:-/usr/lib/python3/dist-packages/skimage/data/astronaut.png}"
if [ ! -f "$png" ]; then
  echo "$0: $png not found (install the Debian package python3-skimage)" >&2
  exit 1
fi
frames=$((seconds * 25))
mkdir -p "$(dirname "$out")"
encode=(x264enc speed-preset=veryfast tune=stillimage threads=1 key-int-max=25 !
  video/x-h264,profile=high ! mp4mux ! filesink location="$out")
if [ -z "$scene" ]; then
  gst-launch-1.0 -q filesrc location="$png" ! pngdec ! videoconvert ! \
    imagefreeze num-buffers="$frames" ! video/x-raw,framerate=25/1 ! videoconvert ! \
    video/x-raw,format=I420 ! "${encode[@]}"
  echo "$out: ${frames} frames (${seconds} s at 25 fps) of $(basename "$png")"
  exit 0
fi
# Debian's python3 (python3-opencv, python3-numpy), not one first in PATH without them.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
w="${size%x*}" h="${size#*x}"
"$py" "$here/astronaut-scenes.py" "$scene" "$seconds" --size "$size" "${truth[@]}" |
  gst-launch-1.0 -q fdsrc fd=0 blocksize=$((w * h * 3)) ! \
    rawvideoparse format=rgb width="$w" height="$h" framerate=25/1 ! videoconvert ! \
    video/x-raw,format=I420 ! "${encode[@]}"
echo "$out: ${frames} frames (${seconds} s at 25 fps, ${size}) of the astronaut scene $scene"
