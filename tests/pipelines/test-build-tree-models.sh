#!/usr/bin/env bash
# A plain build finds its own models with no environment variable (issue 12 §1): with
# GST_EMO_MODEL_DIR unset, gst-launch-1.0 with the build tree's plugin loads emoclassify's
# default model from the source tree's models/, and emo-predict classifies the astronaut with
# it. GST_EMO_MODEL_DIR still overrides: pointed at an empty directory, the element error names
# the path there and where it comes from.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
unset GST_EMO_MODEL_DIR
astronaut="/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
[ -f "$astronaut" ] || fail "$astronaut missing (Debian python3-skimage)"

GST_DEBUG=emoclassify:4 run_logged "$tmp/run.txt" gst-launch-1.0 videotestsrc num-buffers=2 ! \
  emoclassify ! fakesink
grep -q "loaded emotion model $EMO_SOURCE_DIR/models/emotion-ferplus-e2e.json" "$tmp/run.txt" ||
  fail "emoclassify did not load the source tree's model: $(grep -m1 -E 'ERROR|loaded' "$tmp/run.txt")"

run_logged "$tmp/predict.txt" "$EMO_BUILD_DIR/tools/emo-predict" "$astronaut"
grep -q '"label":"happiness"' "$tmp/predict.txt" ||
  fail "emo-predict without --model: $(head -c 300 "$tmp/predict.txt")"

mkdir "$tmp/empty"
rc=0
GST_EMO_MODEL_DIR="$tmp/empty" gst-launch-1.0 videotestsrc num-buffers=1 ! emoclassify ! \
  fakesink >"$tmp/override.txt" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "emoclassify started without a model in GST_EMO_MODEL_DIR"
grep -q "Cannot load model file '$tmp/empty/emotion-ferplus-e2e.json' (GST_EMO_MODEL_DIR is set" \
  "$tmp/override.txt" || fail "unexpected error: $(grep -m1 ERROR -A1 "$tmp/override.txt")"
note "build tree: plugin and emo-predict found models/ without GST_EMO_MODEL_DIR; it overrides"
