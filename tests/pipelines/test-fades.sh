#!/usr/bin/env bash
# A fade to black and a fade in from black (tools/make-astronaut-clip.sh --scene fades: two
# faces, 0.75 s fade out, 0.25 s black, 0.75 s fade in to two other faces) through the default
# chain: no face is published inside the fades once they are found (within 12 frames of the
# fade out's start) nor on black, and the new shot's faces show after the fade in.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
clip="$(test_clip fades 5)"
run_logged "$tmp/run.txt" gst-launch-1.0 filesrc location="$clip" ! decodebin ! videoconvert ! \
  emofacedetect ! emolandmarks ! emoclassify ! emometapublish location="$tmp/faces.jsonl" ! \
  fakesink sync=false
python3 - "${clip%.mp4}.jsonl" "$tmp/faces.jsonl" <<'PY' || fail "faces inside a fade"
import json, sys
truth = [json.loads(l) for l in open(sys.argv[1])]
out = {r["frame"]: r["faces"] for r in map(json.loads, open(sys.argv[2]))}
assert len(out) == len(truth), f"{len(out)} frames analysed of {len(truth)}"
def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    i = max(0, x2 - x1) * max(0, y2 - y1)
    return i / (a[2] * a[3] + b[2] * b[3] - i)
start, seen = {}, {}
for t in truth:
    start.setdefault(t["shot"], t["frame"])
for t in truth:
    n, shot = t["frame"], t["shot"]
    faces = [[f["box"][k] for k in ("x", "y", "width", "height")] for f in out[n]]
    since = n - start[shot]
    if shot in ("black", "fade-in") or (shot == "fade-out" and since >= 12):
        assert not faces, f"frame {n} ({shot}, frame {since} of it): {faces}"
    if (shot == "two" and since >= 2) or (shot == "pair" and since >= 6):
        drawn = t["faces"]  # [x, y, width, height] drawn
        assert len(faces) == len(drawn), f"frame {n} ({shot}): {len(faces)} faces"
        for d in drawn:
            assert max(iou(d, f) for f in faces) > 0.3, f"frame {n}: no box on {d}: {faces}"
print("no face inside the fades; the shots' faces before and after")
PY
note "ok"
