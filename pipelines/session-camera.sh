#!/usr/bin/env bash
# A live emotion session on a V4L2 camera: the overlay on screen while the session sink reads
# the emotion of the main face in 30-second windows and asks Google Gemini for an empathetic
# reply to each. The screen shows the session too (emooverlay session=s): "● REC 17 / 30 s",
# the window's dominant emotion so far, "analysing…", then Gemini's reading until the next one
# (or "offline", a quota or timeout error). Replies are also printed and appended to a JSON
# Lines file.
#
#   GEMINI_API_KEY=... pipelines/session-camera.sh "CONTEXT" [OUT.jsonl] [DEVICE]
#
# CONTEXT: what you are going to talk about. OUT defaults to out/camera-session.jsonl, DEVICE
# to /dev/video0. Ctrl-C ends the session: EOS is sent (-e), the sink waits for the replies
# still due (eos-timeout) and writes every window, so nothing is lost.
#
# Layout: camera -> leaky queue -> analysis -> tee -> overlay session=s -> screen
#                                              `-> leaky queue -> emosession name=s
# The leaky queues (max-size-buffers=1, leaky=downstream) keep only the newest frame: when the
# analysis is slower than the camera, frames are dropped there instead of building latency, and
# the session branch can never hold the display back. The session uses the frames' running
# time, so dropped frames only thin the samples out.
# Environment: EMO_SESSION_PROPS extra emosession properties (e.g. "language=en").
set -euo pipefail
# shellcheck source=pipelines/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "usage: $0 \"CONTEXT\" [OUT.jsonl] [DEVICE]" >&2
  exit 2
fi
context="$1"
out="${2:-$emo_root/out/camera-session.jsonl}"
device="${3:-/dev/video0}"
[ -e "$device" ] || { echo "$0: no camera at $device" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
emo_require_plugin "$0"
[ -n "${GEMINI_API_KEY:-}" ] || echo "$0: GEMINI_API_KEY is not set: running offline" >&2
leaky=(queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0)
# shellcheck disable=SC2086
gst-launch-1.0 -e -m v4l2src device="$device" ! "${leaky[@]}" ! videoconvert ! \
  emofacedetect ! emolandmarks ! emoclassify ! tee name=t \
  t. ! queue ! emooverlay session=s ${EMO_OVERLAY_PROPS:-} ! videoconvert ! autovideosink \
  t. ! "${leaky[@]}" ! emosession name=s context="$context" location="$out" \
  ${EMO_SESSION_PROPS:-} |
  grep --line-buffered -E 'emo-session-analysis' |
  sed -u -E 's/.*index=\(guint64\)([0-9]+), state=\(string\)([^,]*), text=\(string\)(.*), detail=.*/window \1 (\2): \3/'
