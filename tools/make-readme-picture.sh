#!/usr/bin/env bash
# Makes the README's picture, docs/astronaut-annotated.png: frame FRAME (default 100: three
# faces, one frowning, 25 frames after a cut) of the astronaut group clip
# (tools/make-astronaut-clip.sh --scene group) through the chain of pipelines/env.sh and
# emooverlay, scaled to 960x540. Uses the build tree's plugin and the models in models/.
#
#   tools/make-readme-picture.sh [OUT.png [FRAME]]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=pipelines/env.sh
source "$here/pipelines/env.sh"
emo_require_plugin "$0"
out="${1:-$here/docs/astronaut-annotated.png}"
frame="${2:-100}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/tools/make-astronaut-clip.sh" --scene group "$tmp/group.mp4" $((frame / 25 + 1)) >/dev/null
# Synchronous detection: the same boxes on every run, whatever the machine's load.
gst-launch-1.0 -q filesrc location="$tmp/group.mp4" ! decodebin ! videoconvert ! \
  emofacedetect async-detection=false ! emolandmarks ! emoclassify ! emooverlay ! \
  videoconvert ! videoscale ! video/x-raw,width=960,height=540 ! pngenc ! \
  multifilesink location="$tmp/%04d.png"
cp "$tmp/$(printf %04d "$frame").png" "$out"
echo "$out: frame $frame of the astronaut group clip, annotated"
