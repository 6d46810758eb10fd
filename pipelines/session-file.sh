#!/usr/bin/env bash
# An emotion session over a recorded video: the emotion of the main face, one sample a second,
# in 30-second windows, each read by Google Gemini; windows and replies are appended to a JSON
# Lines file and printed as they come.
#
#   GEMINI_API_KEY=... pipelines/session-file.sh VIDEO "CONTEXT" [OUT.jsonl]
#
# CONTEXT: what the person in the video talks about, in their own words. OUT defaults to
# out/<name>-session.jsonl in the repository. Without GEMINI_API_KEY the session runs offline
# (windows only, analyses "skipped"; send them later with emo-session-resend). The file is
# processed as fast as the machine allows (sync=false): windows follow the video's own time.
# Environment: EMO_SESSION_PROPS extra emosession properties (e.g. "language=en window=20").
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
# shellcheck disable=SC2086
gst-launch-1.0 -m filesrc location="$video" ! decodebin ! videoconvert ! \
  emofacedetect ! emolandmarks ! emoclassify ! \
  emosession context="$context" location="$out" sync=false ${EMO_SESSION_PROPS:-} |
  grep --line-buffered -E 'emo-session-(window|analysis)' |
  sed -u -E 's/.*(emo-session-window), session=\(string\)[^,]*, index=\(guint64\)([0-9]+).*dominant=\(string\)([^,]*).*/window \2: dominant \3/;
            s/.*(emo-session-analysis), session=\(string\)[^,]*, index=\(guint64\)([0-9]+), state=\(string\)([^,]*), text=\(string\)(.*), detail=.*/analysis \2 (\3): \4/'
echo "session-file: windows and analyses in $out"
