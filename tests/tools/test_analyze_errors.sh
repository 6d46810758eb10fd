#!/usr/bin/env bash
# emo-analyze when things are missing: a v4l2 camera that is not there is retried, then given up
# by name while a file next to it is analysed to the end (exit status 1); a missing model stops
# a source with the element's own error, naming the model's path. About 10 s.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$EMO_SOURCE_DIR/tests/pipelines/lib.sh"
analyze="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/tools/emo-analyze"
clip="$EMO_SHARED_DATA/video/dinner-720p.mp4"
[ -f "$clip" ] || fail "$clip not found (the shared data must sit beside the project)"
unset GEMINI_API_KEY
# The first 48 frames (2 s), cut without re-encoding.
gst-launch-1.0 -q filesrc location="$clip" ! qtdemux ! h264parse ! identity eos-after=48 ! \
  mp4mux ! filesink location="$tmp/short.mp4" >"$tmp/cut.log" 2>&1 || fail "cannot cut $clip"

rc=0
"$analyze" --retries 1 --backoff 0.2 -o "$tmp/out" v4l2:///dev/video-missing "$tmp/short.mp4" \
  >"$tmp/v4l2.log" 2>&1 || rc=$?
cat "$tmp/v4l2.log"
[ "$rc" -eq 1 ] || fail "missing camera: exit status $rc, expected 1"
grep -q "^\[video-missing\] giving up on v4l2:///dev/video-missing after 2 attempts" \
  "$tmp/v4l2.log" || fail "the missing camera was not given up by name"
grep -q "Cannot identify device '/dev/video-missing'" "$tmp/v4l2.log" ||
  fail "v4l2src's reason is not shown"
grep -qE "^\[short\] done: [0-9]+ frames analysed" "$tmp/v4l2.log" ||
  fail "the file next to the missing camera did not complete"
grep -q "^2 sources, 1 failed" "$tmp/v4l2.log" || fail "no summary line"

mkdir "$tmp/no-models"
rc=0
GST_EMO_MODEL_DIR="$tmp/no-models" "$analyze" -o "$tmp/out2" "$tmp/short.mp4" \
  >"$tmp/model.log" 2>&1 || rc=$?
cat "$tmp/model.log"
[ "$rc" -eq 1 ] || fail "missing model: exit status $rc, expected 1"
grep -q "^\[short\] error: cannot start the analysis pipeline: emoclassify0: .*$tmp/no-models/emotion.yml.gz" \
  "$tmp/model.log" || fail "the missing model's path is not shown"
note "ok"
