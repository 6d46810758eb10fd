#!/usr/bin/env bash
# The main gst-emo command: finds the faces in a video, their 68 landmarks and their emotion,
# and writes an annotated copy (boxes, landmark dots, "label confidence%" tags) plus a summary.
#
#   pipelines/analyze.sh VIDEO [OUT]   annotate VIDEO into OUT (default out/<name>-annotated.mp4
#                                      in the repository; .mkv for Matroska), print a summary
#   pipelines/analyze.sh               live camera view (pipelines/camera.sh) when /dev/video0
#                                      exists, else make the astronaut clip and annotate it
#
# When the build is missing (no build/plugins/libgstemo.so) it first runs tools/setup.sh,
# which installs the Debian packages and builds the project.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pipelines/env.sh
source "$here/env.sh"
if [ $# -gt 2 ]; then
  echo "usage: $0 [VIDEO [OUT]]" >&2
  exit 2
fi
if [ "$emo_own_plugin_path" = 1 ] && [ ! -f "$emo_build/plugins/libgstemo.so" ]; then
  echo "analyze: no build in $emo_build yet, running tools/setup.sh"
  "$emo_root/tools/setup.sh"
fi

if [ $# -eq 0 ]; then
  if [ -e /dev/video0 ]; then
    echo "analyze: live view of /dev/video0 (Ctrl-C to stop)"
    exec "$here/camera.sh" /dev/video0
  fi
  video="$emo_root/out/astronaut.mp4"
  echo "analyze: no camera at /dev/video0; annotating a clip of the astronaut portrait"
  "$emo_root/tools/make-astronaut-clip.sh" "$video" 4
else
  video="$1"
fi
name="$(basename "${video%.*}")"
out="${2:-$emo_root/out/$name-annotated.mp4}"

messages="$(mktemp)"
trap 'rm -f "$messages"' EXIT
EMO_MESSAGES="$messages" "$here/annotate-file.sh" "$video" "$out"
python3 "$here/summarize-messages.py" "$messages"
