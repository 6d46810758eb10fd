#!/usr/bin/env bash
# Emotion labels on the real dinner clip against labels made by eye
# (tests/data/video-emotion-labels.json: 42 calm or talking faces, 9 smiles, at odd seconds),
# through bench/video-emotion-bench.py: the full chain with default settings, then per-class
# recall on the labelled faces matched by IoU. A face that gets no emotion ("unknown", the gate
# of emoclassify) counts as NOT neutral.
# The floors are what the CURRENT default model (emotion-ferplus-e2e: face-api's
# FaceExpressionNet trained end to end on FER+; its sidecar's gate min_margin 0.095 from
# tools/emo-calibrate-gate.py, max_yaw 60) achieves with the gate, a margin under the measured
# figures (bench/RESULTS.md, "The default becomes emotion-ferplus-e2e": smiles 4 of 9 read as
# happiness, calm or talking faces 0.62 as neutral, 0.03 as a negative emotion; with the label
# hold counted in classifications, the default since "Smiles: a happiness prior and the hold":
# 4 of 9, 0.64, 0.00): happiness 0.30 (one face under), neutral 0.50, negative at most 0.10. They catch a regression; they are NOT
# the targets of issue 18 (smiles >= 0.90, neutral >= 0.60, negative <= 0.15). A better default
# model must raise them (EMO_FLOOR_HAPPINESS, EMO_FLOOR_NEUTRAL, EMO_CEILING_NEGATIVE override
# them for a trial).
# About 1-2 min on 2 shared cores; needs ../shared/data.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
clip="$EMO_SHARED_DATA/video/dinner-720p.mp4"
[ -f "$clip" ] || fail "$clip not found (the shared data must sit beside the project, see its README)"
/usr/bin/python3 "$EMO_SOURCE_DIR/bench/video-emotion-bench.py" --configs default --clips dinner \
  --data "$EMO_SHARED_DATA" --check-happiness "${EMO_FLOOR_HAPPINESS:-0.30}" \
  --check-neutral "${EMO_FLOOR_NEUTRAL:-0.50}" --check-negative "${EMO_CEILING_NEGATIVE:-0.10}" ||
  fail "emotion labels on the dinner clip below their floors"
note "ok"
