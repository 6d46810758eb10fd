#!/usr/bin/env bash
# Headless analysis of an RTSP camera: no display, one emotion window per line in a JSON Lines
# file (emosession). H.264 cameras (for H.265 or anything else, or for several cameras with
# reconnects, use build/tools/emo-analyze).
#
#   pipelines/rtsp-headless.sh rtsp://CAMERA/PATH OUT.jsonl   Ctrl-C to stop (EOS: the session
#                                                           writes its last window and waits
#                                                           for the pending analyses)
#
# rtspsrc (TCP, 200 ms jitter buffer) -> rtph264depay -> h264parse -> avdec_h264 -> a leaky
# queue that keeps only the newest frame when the analysis is slower than the camera -> the
# analysis chain -> emosession. GEMINI_API_KEY (or api-key in EMO_SESSION_PROPS) enables the
# Gemini analyses; without it the windows are written with "skipped: no API key".
# Environment: EMO_SESSION_PROPS extra emosession properties (e.g. "window=30 context='...'").
set -euo pipefail
# shellcheck source=pipelines/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ $# -ne 2 ]; then
  echo "usage: $0 rtsp://CAMERA/PATH OUT.jsonl" >&2
  exit 2
fi
emo_require_plugin "$0"
mkdir -p "$(dirname "$2")"
# shellcheck disable=SC2086  # EMO_SESSION_PROPS is a list of properties
exec gst-launch-1.0 -e rtspsrc location="$1" protocols=tcp latency=200 ! \
  application/x-rtp,media=video ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! \
  queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 ! \
  emofacedetect ! emolandmarks ! emoclassify ! \
  emosession location="$2" sync=false ${EMO_SESSION_PROPS:-}
