#!/usr/bin/env bash
# Serves the annotated stream (boxes, landmarks, emotion labels burnt in, H.264 re-encoded
# with x264 tune=zerolatency) again over RTSP, with tools/emo-rtsp-serve (gst-rtsp-server).
#
#   pipelines/rtsp-serve-annotated.sh SOURCE [PORT]    PORT default 8554; 0 picks a free one
#     SOURCE: rtsp://CAMERA/PATH (H.264), /dev/videoN, or a video file (played in a loop)
#
# It prints "URL rtsp://127.0.0.1:PORT/stream"; watch it with
#   gst-play-1.0 rtsp://127.0.0.1:PORT/stream
# A camera is read once and shared by all clients; a leaky queue before the analysis keeps
# the stream real time when the analysis is slower than the camera. EMO_RTSP_ADDRESS=0.0.0.0
# serves beyond this machine.
set -euo pipefail
# shellcheck source=pipelines/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 rtsp://CAMERA/PATH|/dev/videoN|FILE [PORT]" >&2
  exit 2
fi
emo_require_plugin "$0"
serve="$emo_build/tools/emo-rtsp-serve"
[ -x "$serve" ] || { echo "$0: $serve not built (tools/setup.sh)" >&2; exit 1; }
source_="$1"
args=(--port "${2:-8554}" --address "${EMO_RTSP_ADDRESS:-127.0.0.1}")
leaky="queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0"
chain="emofacedetect ! emolandmarks ! emoclassify ! emooverlay ${EMO_OVERLAY_PROPS:-}"
encode="videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency \
speed-preset=veryfast key-int-max=25 ! rtph264pay name=pay0 pt=96 config-interval=-1"
case "$source_" in
  rtsp://* | rtsps://*)
    exec "$serve" "${args[@]}" --shared --launch "rtspsrc location=\"$source_\" protocols=tcp \
latency=200 ! application/x-rtp,media=video ! rtph264depay ! h264parse ! avdec_h264 ! \
videoconvert ! $leaky ! $chain ! $encode" ;;
  /dev/video*)
    exec "$serve" "${args[@]}" --shared --launch "v4l2src device=$source_ ! videoconvert ! \
$leaky ! $chain ! $encode" ;;
  *)
    exec "$serve" "${args[@]}" --annotate --loop "$source_" ;;
esac
