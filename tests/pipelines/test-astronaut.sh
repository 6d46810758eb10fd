#!/usr/bin/env bash
# The astronaut portrait (one smiling frontal face, python3-skimage) as a 2 s clip through the
# full chain: every frame has exactly one face, with 68 landmarks, labelled happiness.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
frames=50
run_logged "$tmp/make.txt" "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/astronaut.mp4" 2
run_logged "$tmp/messages.txt" gst-launch-1.0 -m filesrc location="$tmp/astronaut.mp4" ! \
  decodebin ! videoconvert ! emofacedetect ! emolandmarks ! \
  emoclassify post-messages=true ! emooverlay ! fakesink sync=false
summarize "$tmp/messages.txt"
summarize --json "$tmp/messages.txt" >"$tmp/summary.json"
python3 - "$tmp/summary.json" "$frames" <<'PY' || fail "astronaut clip not analysed as one happy face per frame"
import json, sys
s = json.load(open(sys.argv[1]))
frames = int(sys.argv[2])
assert s['frames'] == frames, f"{s['frames']} emo-faces messages, expected {frames}"
for i, fr in enumerate(s['per_frame']):
    faces = fr['faces']
    assert len(faces) == 1, f'frame {i}: {len(faces)} faces, expected 1'
    f = faces[0]
    assert f['landmarks'] == 68, f"frame {i}: {f['landmarks']} landmarks"
    # The first frame starts the shot: emoclassify labels its face from the next frame on.
    assert f['shot_start'] == (i == 0), f"frame {i}: shot-start {f['shot_start']}"
    if i > 0:
        assert f['label'] == 'happiness', f"frame {i}: labelled {f['label']}"
    cx, cy = f['x'] + f['width'] / 2, f['y'] + f['height'] / 2
    assert 150 <= cx <= 300 and 50 <= cy <= 200, f'frame {i}: box {f} is not on the face'
PY
note "$frames frames, one happy face with 68 landmarks each"
