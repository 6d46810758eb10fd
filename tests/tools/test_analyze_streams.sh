#!/usr/bin/env bash
# emo-analyze with several sources in one process: one loaded copy of the landmark and emotion
# models for all of them, as its "[stats] models" line reports (BlazeFace: one network per
# element while OpenCV DNN runs it); --realtime plays each file at 25 fps as a live camera
# (every frame reaches the analysis part, none faster than real time); each source's frame
# counts and the process's peak memory are printed. Then a short run of bench/streams.sh 2 on
# the same clip when the benchmarks are built (-DEMO_BUILD_BENCH=ON). About 10 s (+15 s).
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$EMO_SOURCE_DIR/tests/pipelines/lib.sh"
build="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}"
analyze="$build/tools/emo-analyze"
"$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/face.mp4" 3 >/dev/null # 75 frames, 25 fps

start=$(date +%s.%N)
run_logged "$tmp/analyze.log" "$analyze" --realtime --progress 0 -o "$tmp/out" \
  --sink "fakesink sync=false" "$tmp/face.mp4" "$tmp/face.mp4" "$tmp/face.mp4"
end=$(date +%s.%N)
cat "$tmp/analyze.log"
models="$(grep -m1 '^\[stats\] models:' "$tmp/analyze.log")" || fail "no [stats] models line"
for expected in "shape_predictor_68_face_landmarks.dat (emolandmarks) loaded 1, users 3" \
  "emotion-ferplus-e2e.json (emoclassify) loaded 1, users 3"; do
  [[ "$models" == *"$expected"* ]] || fail "expected \"$expected\" in: $models"
done
# One network per emofacedetect today; 1 once the networks are shared sessions.
[[ "$models" =~ face_detection_back_256_rect.onnx\ \(emofacedetect\)\ loaded\ [13],\ users\ 3 ]] ||
  fail "BlazeFace's users not reported as 3: $models"
for name in face face-2 face-3; do
  line="$(grep "^\[$name\] frames: " "$tmp/analyze.log")" || fail "no frame counts for $name"
  [[ "$line" =~ frames:\ 75\ received,\ ([0-9]+)\ analysed ]] ||
    fail "$name: expected the clip's 75 frames received: $line"
  [ "${BASH_REMATCH[1]}" -gt 0 ] || fail "$name: nothing analysed: $line"
done
grep -qE '^\[stats\] peak RSS [1-9][0-9.]* MB \(VmHWM\), CPU [0-9.]+ s$' "$tmp/analyze.log" ||
  fail "no peak RSS line"
# 75 frames at 25 fps take 3 s of play: --realtime is not faster than the camera.
awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 2.9) }' ||
  fail "--realtime played 3 s of video in $(echo "$end - $start" | bc) s"

# Without --realtime a file is read as fast as the analysis goes and no frame is skipped.
run_logged "$tmp/fast.log" "$analyze" --progress 0 -o "$tmp/out2" --sink "fakesink sync=false" \
  "$tmp/face.mp4"
grep -q '^\[face\] frames: 75 received, 75 analysed, 0 skipped' "$tmp/fast.log" ||
  fail "a file without --realtime skipped frames: $(grep frames: "$tmp/fast.log")"

if [ -x "$build/bench/emo-pipeline-bench" ]; then
  STREAMS_SECONDS=3 run_logged "$tmp/streams.log" "$EMO_SOURCE_DIR/bench/streams.sh" 2 "$tmp/face.mp4"
  cat "$tmp/streams.log"
  for mode in decode procs analyze; do
    [ "$(grep -cE "^${mode}[12] +[0-9]+ +[0-9]+ " "$tmp/streams.log")" -eq 2 ] ||
      fail "bench/streams.sh 2: no row for each of the 2 $mode streams"
  done
  grep -q "(emolandmarks) loaded 1, users 2" "$tmp/streams.log" ||
    fail "bench/streams.sh: emo-analyze's model sharing is not shown"
else
  note "bench/streams.sh not run: the benchmarks are not built (-DEMO_BUILD_BENCH=ON)"
fi
note "passed"
