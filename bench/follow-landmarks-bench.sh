#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-emo: emofacedetect follow-landmarks=true against false, in one session (a benchmark, not
# a test: it never fails on its numbers).
#
#   bench/follow-landmarks-bench.sh [CLIP]     default ../shared/data/video/dinner-720p.mp4
#
# For async-detection=false (deterministic) and true (the default), and follow-landmarks
# false / true, runs alternately (REPEAT times, default 2):
#   - `emofacedetect ! emolandmarks ! emoclassify ! fakesink sync=false`: fps, and from
#     emofacedetect's INFO line at stop the tracking quality: the mean IoU between a track's
#     box on a detection's frame (before the detection corrects it) and the detection matched
#     to it (higher = boxes followed the faces better), matched detections, new tracks;
#   - the same chain into `emometapublish include-landmarks=false`: frames with >= 1 face and
#     total faces.
# Environment: EMO_BUILD_DIR (default ./build), REPEAT, EMO_DETECT_PROPS (extra properties).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMO_BUILD_DIR:-$here/build}"
clip="$(realpath "${1:-$here/../shared/data/video/dinner-720p.mp4}")"
repeat="${REPEAT:-2}"
[ -r "$clip" ] || { echo "follow-landmarks-bench: cannot read $clip" >&2; exit 2; }
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_EMO_MODEL_DIR="${GST_EMO_MODEL_DIR:-$here/models}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# run ASYNC FOLLOW: prints "fps matched mean_iou new_tracks followed rejected face_frames faces"
run() {
  local detect="emofacedetect async-detection=$1 follow-landmarks=$2 ${EMO_DETECT_PROPS:-}"
  local chain="filesrc location=\"$clip\" ! decodebin ! videoconvert ! $detect ! emolandmarks ! emoclassify"
  local start end frames
  start=$(date +%s.%N)
  GST_DEBUG=emofacedetect:4 GST_DEBUG_NO_COLOR=1 eval gst-launch-1.0 -q "$chain" \
    ! fakesink sync=false >"$tmp/log" 2>&1
  end=$(date +%s.%N)
  eval gst-launch-1.0 -q "$chain" ! emometapublish location="$tmp/faces.jsonl" \
    include-landmarks=false ! fakesink sync=false >/dev/null 2>&1
  python3 - "$tmp/log" "$tmp/faces.jsonl" "$start" "$end" <<'PY'
import json, re, sys
log, faces, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
frames = face_frames = total = 0
for line in open(faces):
    n = len(json.loads(line)["faces"])
    frames += 1
    face_frames += n > 0
    total += n
m = re.search(r"tracking: (\d+) detections matched a track, mean IoU ([\d.]+); (\d+) new "
              r"tracks; landmark boxes: (\d+) calibrated, (\d+) followed, (\d+) rejected",
              open(log).read())
matched, iou, new, _, followed, rejected = m.groups() if m else ("?",) * 6
print(f"{frames / (end - start):7.1f} {matched:>7} {iou:>8} {new:>5} {followed:>8} "
      f"{rejected:>8} {face_frames:>10} {total:>6}")
PY
}

echo "clip: $clip"
printf "%-6s %-7s %7s %7s %8s %5s %8s %8s %10s %6s\n" async follow fps matched mean_iou new \
  followed rejected face_frames faces
for async in false true; do
  for ((i = 0; i < repeat; i++)); do
    for follow in false true; do
      printf "%-6s %-7s %s\n" "$async" "$follow" "$(run "$async" "$follow")"
    done
  done
done
