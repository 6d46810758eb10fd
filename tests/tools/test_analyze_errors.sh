#!/usr/bin/env bash
# emo-analyze when things are missing: a v4l2 camera that is not there is retried, then given up
# by name while a file next to it is analysed to the end (exit status 1); a missing model stops
# a source with the element's own error, naming the model's path; a second Ctrl-C while the
# sessions wait for Gemini aborts at once (exit status 130) and still writes every window, as
# "pending" (the first Ctrl-C, once the file has ended, just waits); a sink that cannot be
# built is shown without its API key. About 15 s.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$EMO_SOURCE_DIR/tests/pipelines/lib.sh"
analyze="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/tools/emo-analyze"
clip="$(test_clip group 25)"
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
grep -q "^\[short\] error: cannot start the analysis pipeline: emoclassify0: .*$tmp/no-models/emotion-ferplus-e2e.json" \
  "$tmp/model.log" || fail "the missing model's path is not shown"

# A sink that cannot be built is shown, with its API key hidden.
rc=0
"$analyze" --sink "emosession api-key=SECRET-KEY-123 no-such-property=1 location={location}" \
  -o "$tmp/out4" "$tmp/short.mp4" >"$tmp/badsink.log" 2>&1 || rc=$?
cat "$tmp/badsink.log"
[ "$rc" -eq 1 ] || fail "bad sink: exit status $rc, expected 1"
grep -q "cannot build the analysis pipeline .*api-key=<hidden>" "$tmp/badsink.log" ||
  fail "the bad sink is not shown"
! grep -q "SECRET-KEY-123" "$tmp/badsink.log" || fail "the API key was printed"

# A Gemini test server that answers too late: the windows wait for their replies.
start_gemini_server --reply "late" --delay-ms 600000
sink="emosession location={location} sync=false window=0.5 sample-interval=0.1"
sink+=" min-window=0.25 endpoint=$gemini_endpoint api-key=test-key eos-timeout=120"
"$analyze" --sink "$sink" -o "$tmp/out3" "$tmp/short.mp4" >"$tmp/abort.log" 2>&1 &
pid=$!
journal="$tmp/out3/short.jsonl.pending"
journalled() { { wc -l <"$journal"; } 2>/dev/null || echo 0; }
for _ in $(seq 200); do
  [ "$(journalled)" -ge 3 ] && break
  sleep 0.1
done
[ "$(journalled)" -ge 3 ] || fail "no windows waiting: $(cat "$tmp/abort.log")"
kill -INT "$pid"
sleep 1
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
cat "$tmp/abort.log"
[ "$rc" -eq 130 ] || fail "second Ctrl-C: exit status $rc, expected 130"
grep -q "^aborting" "$tmp/abort.log" || fail "the abort was not announced"
[ ! -e "$journal" ] || fail "the journal is left after the abort"
python3 - "$tmp/out3/short.jsonl" <<'PY' || fail "windows lost or not pending after the abort"
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
assert len(records) >= 3, len(records)
assert all(r['analysis']['state'] == 'pending' for r in records), [r['analysis'] for r in records]
assert [r['index'] for r in records] == sorted(r['index'] for r in records)
PY
note "ok"
