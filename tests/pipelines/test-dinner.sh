#!/usr/bin/env bash
# Label data: needs the research data set (EMO_DATA_DIR). The real dinner clip (1280x720 H.264, two people talking, faces 80-200 px wide) through the
# full chain: faces are found on most frames, each with 68 landmarks and (but for new faces over
# emoclassify's per-frame budget, labelled a frame or two later) an emotion label.
# The whole clip (1972 decoded frames) by default, about 2 minutes on 2 shared cores; pass a
# frame count as the first argument to analyse only the start of the clip.
# Measured on the whole clip: faces on 83 % of frames (first 240 frames 73 %, next 240 97 %);
# on the first 360 frames 82 %. The test asks for 60 %.
# On the whole clip the boxes are also scored against ground truth checked by eye (61 faces on
# 41 frames at odd seconds, tests/data/dinner-720p-faces.json, bench/face-accuracy.py: IoU >=
# 0.4, 'difficult' faces count neither way): precision >= 0.9, recall >= 0.85, landmarks of
# matched faces inside the face >= 0.9; with the hard frames too (tests/data/
# dinner-720p-faces-hard.json: 107 faces on 60 frames) precision >= 0.95, recall >= 0.92.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
frames="${1:-all}"  # "all" (the whole clip, 1972 frames) or a number of frames
min_share=0.60
clip="$(need_data video/dinner-720p.mp4)"
start=$(date +%s.%N)
limit=()
[ "$frames" = all ] || limit=(identity eos-after="$frames" !)
run_logged "$tmp/messages.txt" gst-launch-1.0 -m filesrc location="$clip" ! decodebin ! \
  "${limit[@]}" videoconvert ! emofacedetect ! emolandmarks ! \
  emoclassify post-messages=true ! emooverlay ! emometapublish location="$tmp/faces.jsonl" ! \
  fakesink sync=false
end=$(date +%s.%N)
summarize "$tmp/messages.txt"
[ "$frames" != all ] || frames=1972
awk -v f="$frames" -v s="$start" -v e="$end" \
  'BEGIN { printf "full chain: %d frames of 1280x720 in %.1f s, %.1f fps\n", f, e - s, f / (e - s) }'
summarize --json "$tmp/messages.txt" >"$tmp/summary.json"
python3 - "$tmp/summary.json" "$frames" "$min_share" <<'PY' || fail "dinner clip not analysed as expected"
import json, sys
s = json.load(open(sys.argv[1]))
frames, min_share = int(sys.argv[2]), float(sys.argv[3])
# identity eos-after=N lets N + 1 buffers through in GStreamer 1.22
assert frames <= s['frames'] <= frames + 2, f"{s['frames']} emo-faces messages, expected {frames}"
share = s['frames_with_faces'] / s['frames']
assert share >= min_share, f'faces on {share:.0%} of frames, expected at least {min_share:.0%}'
# emoclassify labels no face on a shot's first frame (emofacedetect waited there for the
# frame's own detection) and at most max-classifications (2) new faces a frame: after a cut the
# new faces get their label one to three frames later; nothing else goes unlabelled (the exact
# check follows on emometapublish's lines). Measured: 52 of 2814 (50 on shot-start frames).
unlabelled = 0
total = 0
for i, fr in enumerate(s['per_frame']):
    for f in fr['faces']:
        total += 1
        assert f['landmarks'] == 68, f"frame {i}: face with {f['landmarks']} landmarks"
        unlabelled += 0 if f['label'] else 1
        assert 0 <= f['x'] and f['x'] + f['width'] <= 1280 and 0 <= f['y'] and \
            f['y'] + f['height'] <= 720, f'frame {i}: box outside the frame: {f}'
        assert 40 <= f['width'] <= 400, f'frame {i}: implausible face size {f}'
print(f'faces without an emotion label yet: {unlabelled} of {total}')
assert unlabelled <= 0.03 * total, f'{unlabelled} of {total} faces without an emotion label'
PY
# Which faces go unlabelled (emometapublish's lines): those of a shot's first frame
# ("shot-start", labelled from the next frame on) and new faces over the per-frame budget, which
# get their label within a few frames; a face tracked for 4 frames or more always has one.
python3 - "$tmp/faces.jsonl" <<'PY' || fail "faces left unlabelled"
import json, sys
age, shot_start, late = {}, 0, 0
for line in open(sys.argv[1]):
    fr = json.loads(line)
    seen = {}
    for f in fr['faces']:
        t = f.get('track-id')
        seen[t] = age.get(t, 0) + 1
        if 'emotion' in f:
            continue
        if f.get('shot-start'):
            shot_start += 1
            continue
        late += 1
        assert seen[t] <= 3, f"frame {fr['frame']}: track {t} unlabelled on its frame {seen[t]}"
    age = seen
print(f'unlabelled: {shot_start} on a shot\'s first frame, {late} new faces over the budget')
assert shot_start > 0, 'no shot-start frame with faces in the clip'
PY
if [ "$frames" = 1972 ]; then
  /usr/bin/python3 "$EMO_SOURCE_DIR/bench/face-accuracy.py" --score "$tmp/faces.jsonl" \
    --verbose --check-precision 0.9 --check-recall 0.85 --check-landmarks 0.9 ||
    fail "face boxes below the floors on the dinner ground truth"
  # With the hard frames (wide shots, the cross-fade; measured 0.990 / 0.944, bench/RESULTS.md):
  # issue 19's targets.
  /usr/bin/python3 "$EMO_SOURCE_DIR/bench/face-accuracy.py" --score "$tmp/faces.jsonl" \
    --truth base,hard --by-category --check-precision 0.95 --check-recall 0.92 ||
    fail "face boxes below issue 19's targets on the dinner ground truth with its hard frames"
fi
note "ok"
