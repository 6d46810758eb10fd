#!/usr/bin/env bash
# Live view of a V4L2 camera with the gst-emo overlay (boxes, landmarks, emotion labels).
#
#   pipelines/camera.sh [DEVICE]          DEVICE defaults to /dev/video0; Ctrl-C to stop
#
# The leaky queue (max-size-buffers=1, leaky=downstream) right after the camera keeps only
# the newest camera frame: when analysis is slower than the camera, older frames are dropped
# there instead of queueing up, so the live view never builds latency. The sink syncs to the
# clock and sends QoS, which lets the analysis elements skip frames that would be late anyway.
# Environment: EMO_OVERLAY_PROPS extra emooverlay properties (e.g. "draw-landmarks=false").
set -euo pipefail
# shellcheck source=pipelines/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
device="${1:-/dev/video0}"
if [ ! -e "$device" ]; then
  echo "$0: no camera at $device" >&2
  exit 1
fi
emo_require_plugin "$0"
emo_set_chain false
exec gst-launch-1.0 -e v4l2src device="$device" ! \
  queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 ! \
  videoconvert ! "${emo_chain[@]}" ! videoconvert ! autovideosink
