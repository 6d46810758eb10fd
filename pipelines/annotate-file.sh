#!/usr/bin/env bash
# Annotates a video file: decodes IN (any container and codec GStreamer can play), runs the
# full gst-emo chain (face detection, 68 landmarks, emotion, overlay) and writes H.264 video
# to OUT, in MP4 or, when OUT ends in .mkv, Matroska. Audio is dropped.
#
#   pipelines/annotate-file.sh IN OUT
#
# File mode: the sink does not sync to the clock, so every frame is analysed (no QoS drops)
# as fast as the machine allows. At the end it prints frames, elapsed time and fps.
# Environment: EMO_OVERLAY_PROPS extra emooverlay properties; EMO_MESSAGES=FILE keeps the
# per-frame "emo-faces" bus messages (gst-launch-1.0 -m output) for a summary.
set -euo pipefail
# shellcheck source=pipelines/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ $# -ne 2 ]; then
  echo "usage: $0 IN OUT(.mp4|.mkv)" >&2
  exit 2
fi
in="$1"
out="$2"
if [ ! -f "$in" ]; then
  echo "$0: no such file: $in" >&2
  exit 1
fi
emo_require_plugin "$0"
emo_set_chain true
case "$out" in
  *.mkv) mux=matroskamux ;;
  *) mux=mp4mux ;;
esac
mkdir -p "$(dirname "$out")"
messages="${EMO_MESSAGES:-}"
if [ -z "$messages" ]; then
  messages="$(mktemp)"
  trap 'rm -f "$messages"' EXIT
fi

start=$(date +%s.%N)
rc=0
gst-launch-1.0 -m -e filesrc location="$in" ! decodebin ! videoconvert ! \
  "${emo_chain[@]}" ! videoconvert ! video/x-raw,format=I420 ! \
  x264enc speed-preset=veryfast ! h264parse ! "$mux" ! filesink location="$out" \
  >"$messages" || rc=$?
end=$(date +%s.%N)
if [ "$rc" -ne 0 ]; then
  grep -A3 '^ERROR' "$messages" >&2 || true
  echo "$0: failed to annotate $in (gst-launch-1.0 exit code $rc)" >&2
  exit "$rc"
fi
frames=$(grep -c 'emo-faces' "$messages" || true)
awk -v f="$frames" -v s="$start" -v e="$end" -v o="$out" 'BEGIN {
  t = e - s; printf "annotated %d frames in %.1f s (%.1f fps) -> %s\n", f, t, (t > 0 ? f / t : 0), o
}'
