#!/usr/bin/env bash
# Emotion labels on the real dinner clip against labels made by eye
# (tests/data/video-emotion-labels.json: 42 calm or talking faces, 9 smiles, at odd seconds),
# through bench/video-emotion-bench.py: the full chain with default settings, then per-class
# recall on the labelled faces matched by IoU. A face that gets no emotion ("unknown", the gate
# of emoclassify) counts as NOT neutral.
# The floors are what the CURRENT default model (emotion-ensemble: the fine-tuned mini-Xception
# and face-api's FaceExpressionNet with a FER+ layer, mean probability; its sidecar's gate
# min_margin 0.105 from tools/emo-calibrate-gate.py) achieves with the gate, a margin under
# the measured figures (bench/RESULTS.md, "Emotion on video: a gate calibrated per model":
# smiles 3 of 9 read as happiness; 5 of 39 calm or talking faces read as neutral, 3 of 39 as a
# negative emotion): happiness 0.30 (3 of 9), neutral 0.10 (one face under 5 of 39), negative at
# most 0.15 (two faces over 3 of 39, and issue 18's target). They catch a regression, they are
# NOT the targets of issue 18 (smiles >= 0.90, neutral >= 0.60). A better default model must
# raise them (EMO_FLOOR_HAPPINESS, EMO_FLOOR_NEUTRAL, EMO_CEILING_NEGATIVE override them for a
# trial).
# About 1-2 min on 2 shared cores; needs ../shared/data.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
clip="$EMO_SHARED_DATA/video/dinner-720p.mp4"
[ -f "$clip" ] || fail "$clip not found (the shared data must sit beside the project, see its README)"
/usr/bin/python3 "$EMO_SOURCE_DIR/bench/video-emotion-bench.py" --configs default --clips dinner \
  --data "$EMO_SHARED_DATA" --check-happiness "${EMO_FLOOR_HAPPINESS:-0.30}" \
  --check-neutral "${EMO_FLOOR_NEUTRAL:-0.10}" --check-negative "${EMO_CEILING_NEGATIVE:-0.15}" ||
  fail "emotion labels on the dinner clip below their floors"
note "ok"
