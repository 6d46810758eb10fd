#!/usr/bin/env bash
# Emotion labels on the real dinner clip against labels made by eye
# (tests/data/video-emotion-labels.json: 42 calm or talking faces, 9 smiles, at odd seconds),
# through bench/video-emotion-bench.py: the full chain with default settings, then per-class
# recall on the labelled faces matched by IoU. A face that gets no emotion ("unknown", the gate
# of emoclassify) counts as NOT neutral.
# The floors are what the CURRENT default model (emotion-finetuned, FER2013 mini-Xception
# fine-tuned on our stills) achieves with the gate, a little under the measured figures
# (bench/RESULTS.md, "Emotion on video": smiles 3 of 9 read as happiness, 4 of the others
# turned beyond max-yaw; 0 of 38 calm or talking faces read as neutral; 10 of 38 read as a
# negative emotion): they catch a regression, they are NOT the targets of issue 18 (smiles
# >= 0.90, neutral >= 0.60, neutral read as negative <= 0.15). The neutral floor is 0 because
# this model reads no calm dinner face as neutral. A better default model must raise them
# (EMO_FLOOR_HAPPINESS, EMO_FLOOR_NEUTRAL, EMO_CEILING_NEGATIVE override them for a trial).
# About 1-2 min on 2 shared cores; needs ../shared/data.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
clip="$EMO_SHARED_DATA/video/dinner-720p.mp4"
[ -f "$clip" ] || fail "$clip not found (the shared data must sit beside the project, see its README)"
/usr/bin/python3 "$EMO_SOURCE_DIR/bench/video-emotion-bench.py" --configs default --clips dinner \
  --data "$EMO_SHARED_DATA" --check-happiness "${EMO_FLOOR_HAPPINESS:-0.30}" \
  --check-neutral "${EMO_FLOOR_NEUTRAL:-0.00}" --check-negative "${EMO_CEILING_NEGATIVE:-0.35}" ||
  fail "emotion labels on the dinner clip below their floors"
note "ok"
