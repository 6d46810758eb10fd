#!/usr/bin/env bash
# An emotion session over a recorded video: the emotion of the main face, one sample a second,
# in 30-second windows, each read by Google Gemini; windows and replies are appended to a JSON
# Lines file and printed as they come. The video is shown with the session on it
# (emooverlay session=s: "● REC 17 / 30 s", the dominant emotion so far, Gemini's reading).
#
#   GEMINI_API_KEY=... pipelines/session-file.sh VIDEO "CONTEXT" [OUT.jsonl]
#
# CONTEXT: what the person in the video talks about, in their own words. OUT defaults to
# out/<name>-session.jsonl in the repository. Without GEMINI_API_KEY the session runs offline
# (windows only, analyses "skipped"; send them later with emo-session-resend). Windows follow
# the video's own time; the display paces the file at real time (with EMO_SESSION_VIDEO it is
# processed as fast as the machine allows).
# Environment: EMO_SESSION_PROPS extra emosession properties (e.g. "language=en window=20"),
# EMO_OVERLAY_PROPS extra emooverlay properties, EMO_SESSION_VIDEO=OUT.mp4 writes the annotated
# video to a file instead of showing it (no display needed).
set -euo pipefail
# shellcheck source=pipelines/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 VIDEO \"CONTEXT\" [OUT.jsonl]" >&2
  exit 2
fi
video="$1"
context="$2"
[ -f "$video" ] || { echo "$0: no file $video" >&2; exit 1; }
name="$(basename "${video%.*}")"
out="${3:-$emo_root/out/$name-session.jsonl}"
mkdir -p "$(dirname "$out")"
emo_require_plugin "$0"
[ -n "${GEMINI_API_KEY:-}" ] || echo "$0: GEMINI_API_KEY is not set: running offline" >&2
show=(videoconvert ! autovideosink)
if [ -n "${EMO_SESSION_VIDEO:-}" ]; then
  # zerolatency: the encoder passes each frame on at once, so the file branch prerolls while the
  # session branch, already prerolled, holds the tee (no lookahead to fill).
  show=(videoconvert ! x264enc speed-preset=veryfast tune=zerolatency ! mp4mux !
    filesink location="$EMO_SESSION_VIDEO")
fi
# Layout: file -> analysis -> tee -> overlay session=s -> screen (or EMO_SESSION_VIDEO)
#                                `-> emosession name=s
# shellcheck disable=SC2086
gst-launch-1.0 -e -m filesrc location="$video" ! decodebin ! videoconvert ! \
  emofacedetect ! emolandmarks ! emoclassify ! tee name=t \
  t. ! queue ! emooverlay session=s ${EMO_OVERLAY_PROPS:-} ! "${show[@]}" \
  t. ! queue max-size-bytes=0 max-size-time=0 max-size-buffers=32 ! \
  emosession name=s context="$context" location="$out" sync=false \
  ${EMO_SESSION_PROPS:-} |
  grep --line-buffered -E 'emo-session-(window|analysis)' |
  sed -u -E 's/.*(emo-session-window), session=\(string\)[^,]*, index=\(guint64\)([0-9]+).*dominant=\(string\)([^,]*).*/window \2: dominant \3/;
            s/.*(emo-session-analysis), session=\(string\)[^,]*, index=\(guint64\)([0-9]+), state=\(string\)([^,]*), text=\(string\)(.*), detail=.*/analysis \2 (\3): \4/'
echo "session-file: windows and analyses in $out"
