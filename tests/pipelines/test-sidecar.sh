#!/usr/bin/env bash
# Model sidecars from gst-launch-1.0 (docs/sidecar.md): the astronaut portrait through
# emofacedetect model=<committed BlazeFace sidecar> ! emolandmarks ! emoclassify model=<face-api's
# own RGB network, described only by its sidecar> is one face labelled happiness; a sidecar that
# does not fit its network stops the pipeline with an error naming the field.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
astronaut=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
[ -f "$astronaut" ] || fail "$astronaut (python3-skimage) is missing"
detector="$GST_EMO_MODEL_DIR/blazeface-sidecars/face_detection_back_256_rect.json"
classifier="$GST_EMO_MODEL_DIR/faceapi/faceapi-expression-rgb.json"
[ -f "$classifier" ] || fail "$classifier missing: run tools/fetch-models.sh"
chain() {
  gst-launch-1.0 -m filesrc location="$astronaut" ! pngdec ! imagefreeze num-buffers=3 ! \
    videoconvert ! video/x-raw,format=I420 ! emofacedetect model="$1" ! emolandmarks ! \
    emoclassify post-messages=true classify-shot-start=true model="$2" ! fakesink
}
run_logged "$tmp/good.txt" chain "$detector" "$classifier"
grep -qF 'label\=\(string\)happiness' "$tmp/good.txt" ||
  fail "the RGB network run from its sidecar did not label the astronaut happiness"

# face-api's sidecar with 6 labels for its 7 scores: the pipeline fails, naming the field.
sed -e '/"neutral",/d' -e "s|\"faceapi-expression-rgb.onnx\"|\"${classifier%.json}.onnx\"|" \
  "$classifier" >"$tmp/six-labels.json"
if chain "$detector" "$tmp/six-labels.json" >"$tmp/bad.txt" 2>&1; then
  fail "a sidecar with 6 labels for 7 scores did not stop the pipeline"
fi
grep -q "Model sidecar '$tmp/six-labels.json': labels has 6 entries but output \"scores\" has 7" \
  "$tmp/bad.txt" || { cat "$tmp/bad.txt" >&2; fail "the error does not name the labels field"; }

# A detector sidecar with an unknown layout.
sed -e 's/"nhwc"/"hwc"/' -e "s|\"\\.\\./blazeface/|\"$GST_EMO_MODEL_DIR/blazeface/|" \
  "$detector" >"$tmp/layout.json"
if chain "$tmp/layout.json" "$classifier" >"$tmp/bad2.txt" 2>&1; then
  fail "a detector sidecar with layout \"hwc\" did not stop the pipeline"
fi
grep -q "input.layout is \"hwc\", not one of \"nchw\" | \"nhwc\"" "$tmp/bad2.txt" ||
  { cat "$tmp/bad2.txt" >&2; fail "the error does not name input.layout"; }
note "ok: sidecar-described networks run; mismatches name the field"
