#!/usr/bin/env bash
# The start of the astronaut group clip (tools/make-astronaut-clip.sh --scene group: 1280x720,
# one to three faces, cuts, a cross-fade) through the full chain, then GStreamer's own
# videoscale (to 640x360) and videoconvert (to RGB), then emooverlay. emometapublish writes the
# faces as JSON Lines twice, before and after scaling: both files have one line per frame (as
# many as emoclassify's emo-faces messages), and after scaling every face is still there with
# the same id, its box and 68 landmarks halved, and the same emotion.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
frames="${1:-150}"
clip="$(test_clip group 25)"
run_logged "$tmp/messages.txt" gst-launch-1.0 -m filesrc location="$clip" ! decodebin ! \
  identity eos-after="$frames" ! videoconvert ! emofacedetect async-detection=false ! emolandmarks ! \
  emoclassify post-messages=true ! emometapublish location="$tmp/full.jsonl" ! \
  videoscale ! video/x-raw,width=640,height=360 ! videoconvert ! video/x-raw,format=RGB ! \
  emometapublish location="$tmp/half.jsonl" flush-every=0 ! emooverlay ! fakesink sync=false
summarize --json "$tmp/messages.txt" >"$tmp/summary.json"
python3 - "$tmp/summary.json" "$tmp/full.jsonl" "$tmp/half.jsonl" <<'PY' ||
import json, sys
summary = json.load(open(sys.argv[1]))
full = [json.loads(line) for line in open(sys.argv[2])]
half = [json.loads(line) for line in open(sys.argv[3])]
frames = summary['frames']
assert len(full) == frames, f'{len(full)} lines before scaling, {frames} frames'
assert len(half) == frames, f'{len(half)} lines after scaling, {frames} frames'
with_faces = faces = 0
for i, (a, b) in enumerate(zip(full, half)):
    assert a['frame'] == b['frame'] == i, f'line {i}: frame {a["frame"]} / {b["frame"]}'
    assert a['pts'] == b['pts'], f'frame {i}: pts {a["pts"]} != {b["pts"]}'
    assert (a['width'], a['height'], b['width'], b['height']) == (1280, 720, 640, 360), \
        f'frame {i}: sizes {a["width"]}x{a["height"]} -> {b["width"]}x{b["height"]}'
    fa = {f['id']: f for f in a['faces']}
    fb = {f['id']: f for f in b['faces']}
    assert fa.keys() == fb.keys(), f'frame {i}: faces {sorted(fa)} became {sorted(fb)}'
    with_faces += bool(fa)
    for fid, f in fa.items():
        g = fb[fid]
        faces += 1
        for k in ('x', 'y', 'width', 'height'):
            assert g['box'][k] == f['box'][k] // 2, f'frame {i} face {fid}: box {f["box"]} -> {g["box"]}'
        assert len(f['landmarks']) == 68, f'frame {i} face {fid}: {len(f["landmarks"])} landmarks'
        assert len(g['landmarks']) == 68, f'frame {i} face {fid}: landmarks lost after scaling'
        for (x, y), (u, v) in zip(f['landmarks'], g['landmarks']):
            assert abs(u - x / 2) <= 0.02 and abs(v - y / 2) <= 0.02, \
                f'frame {i} face {fid}: landmark ({x}, {y}) -> ({u}, {v})'
        # The faces of a shot's first frame are labelled from the next frame on.
        assert 'emotion' in f or f.get('shot-start'), f'frame {i} face {fid}: no emotion'
        assert f.get('shot-start') == g.get('shot-start'), f'frame {i} face {fid}: shot-start'
        assert g.get('emotion') == f.get('emotion'), f'frame {i} face {fid}: emotion changed'
        assert f.get('track-id') == g.get('track-id') and f['detected'] == g['detected']
assert with_faces >= frames // 2, f'faces on only {with_faces} of {frames} frames'
print(f'{frames} frames, {with_faces} with faces, {faces} faces: all kept through videoscale '
      'and videoconvert with halved boxes and landmarks and the same emotion')
PY
  fail "faces did not survive videoscale/videoconvert, or lines are missing"
note "ok"
