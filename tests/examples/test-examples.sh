#!/usr/bin/env bash
# The C++ example (typed reader emo::gst::read_faces) and the Python example (GObject
# introspection only: GstEmo, the typelib of libgstemometa-1.0) on the same real clip: identical
# frame and face lines; both find the same faces, boxes, landmarks and labels on the same frames, every
# face has 68 landmarks and a label of the model, and emoclassify's "emo-faces" bus messages
# agree with the metadata.
#   test-examples.sh astronaut   the 2 s astronaut clip: one happy face per frame; also --session
#   test-examples.sh group       the first 100 frames of the astronaut group clip (1280x720, two
#                                and three faces a frame, one of them frowning, a cut)
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/../pipelines/lib.sh"
clip="${1:?usage: $0 astronaut|group}"
app="$EMO_BUILD_DIR/examples/emo-example-app"
app_py="$EMO_SOURCE_DIR/examples/python/emo-example-app.py"
model="$GST_EMO_MODEL_DIR/emotion.yml.gz"
[ -x "$app" ] || fail "$app not built"
# The Python example needs the Debian GObject introspection bindings (python3-gi,
# python3-gst-1.0), which a python3 first in PATH (e.g. pyenv) may not see.
py=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import gi; gi.require_version("GstVideo", "1.0"); gi.require_version("GstEmo", "1.0")' 2>/dev/null; then
    py="$candidate"
    break
  fi
done
[ -n "$py" ] || fail "no python3 with GObject introspection (Debian python3-gst-1.0) and GstEmo"
# The Python example reads the faces through gi.repository (GstEmo) only: no ctypes, no hash().
imports="$(grep -E '^(import|from) ' "$app_py" | sort -u | tr '\n' ' ')"
[ "$imports" = "from gi.repository import GLib, Gst, GstEmo  # noqa: E402 import argparse import gi import signal import sys import threading " ] ||
  fail "unexpected imports in the Python example: $imports"
! grep -nE 'ctypes|hash\(' "$app_py" || fail "the Python example uses ctypes or hash()"
unset GEMINI_API_KEY # emosession, when present, stays offline

# Both apps must see the same faces, so detection runs on the streaming thread: with the
# default background detection, which frame a detection lands on depends on the machine's load.
same=(--detect-property async-detection=false)
case "$clip" in
  astronaut)
    video="$tmp/astronaut.mp4"
    run_logged "$tmp/make.txt" "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$video" 2
    frames=50 args=("${same[@]}")
    ;;
  group)
    video="$(test_clip group 25)"
    # A detection every 6 frames (the examples pass it on to emofacedetect).
    frames=100 args=("${same[@]}" --detect-property detection-interval=6 --max-frames 100)
    ;;
  *) fail "unknown clip $clip" ;;
esac

run_logged "$tmp/cpp.txt" "$app" "${args[@]}" "$video"
run_logged "$tmp/py.txt" "$py" "$app_py" "${args[@]}" "$video"
grep -E '^(frame|face) ' "$tmp/cpp.txt" >"$tmp/cpp-faces.txt" || true
grep -E '^(frame|face) ' "$tmp/py.txt" >"$tmp/py-faces.txt" || true
if ! cmp -s "$tmp/cpp-faces.txt" "$tmp/py-faces.txt"; then
  diff -u "$tmp/cpp-faces.txt" "$tmp/py-faces.txt" | head -20 >&2 || true
  fail "C++ (read_faces) and Python (GI) read different faces"
fi

python3 - "$clip" "$frames" "$model" "$tmp/cpp.txt" "$tmp/py.txt" <<'PY' || fail "wrong analysis"
import gzip, re, sys
clip, frames, model, cpp, py = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

# The model's own labels: the "labels:" sequence of the OpenCV YAML model file.
labels, inside = [], False
for line in gzip.open(model, 'rt'):
    if line.startswith('labels:'):
        inside = True
    elif inside and line.strip().startswith('- '):
        labels.append(line.strip()[2:])
    elif inside:
        break
assert labels, f'no labels in {model}'

def fields(line):
    return dict(kv.split('=', 1) for kv in line.split()[1:] if '=' in kv)

def parse(path):
    out = {'frames': [], 'faces': [], 'messages': [], 'summary': None}
    for line in open(path):
        kind = line.split(' ', 1)[0]
        if kind == 'frame': out['frames'].append(fields(line))
        elif kind == 'face': out['faces'].append(fields(line))
        elif kind == 'message': out['messages'].append(fields(line))
        elif kind == 'summary': out['summary'] = fields(line)
    return out

for name, path in (('C++', cpp), ('Python', py)):
    r = parse(path)
    assert r['summary'] is not None, f'{name}: no summary'
    assert len(r['frames']) == frames, f"{name}: {len(r['frames'])} frames, expected {frames}"
    assert int(r['summary']['frames']) == frames
    # emo-faces messages: one per frame, same timestamps and face counts as the metadata.
    per_frame = {f['pts']: int(f['faces']) for f in r['frames']}
    per_msg = {m['pts']: int(m['faces']) for m in r['messages']}
    assert per_msg == per_frame, f'{name}: emo-faces messages disagree with the metadata'
    # Tracks seen on each frame: a face without a label ("-") is allowed only on a frame that
    # starts a shot (emoclassify labels those from the next frame on), where every track is new.
    tracks = {}
    for f in r['faces']:
        tracks.setdefault(int(f['index']), set()).add(f['track'])
    for f in r['faces']:
        assert f['landmarks'] == '68', f'{name}: {f}'
        if f['label'] == '-':
            i = int(f['index'])
            assert not tracks[i] & tracks.get(i - 1, set()), f'{name}: unlabelled {f}'
            continue
        if f['label'] == 'unknown':
            # emoclassify's gate: no emotion (too small, turned, blurred or flat scores), the
            # scores kept and the confidence 0 (docs/emotion-labels.md).
            assert float(f['confidence']) == 0, f'{name}: {f}'
        else:
            assert f['label'] in labels, f"{name}: label {f['label']} not among {labels}"
            assert 0 < float(f['confidence']) <= 1, f'{name}: {f}'
        x, y, w, h = map(int, f['box'].split(','))
        px, py_ = map(float, f['p0'].split(','))
        assert x - w / 2 <= px <= x + 1.5 * w and y - h / 2 <= py_ <= y + 1.5 * h, f'{name}: {f}'
    if name == 'Python':
        assert r['summary']['model-labels'].split(',') == labels, r['summary']

r = parse(cpp)
counts = [int(f['faces']) for f in r['frames']]
if clip == 'astronaut':
    assert counts == [1] * frames, f'faces per frame: {counts}'
    for f in r['faces']:
        # The first frame starts the shot: its face is labelled from the next frame on.
        assert f['label'] == ('happiness' if f['index'] != '0' else '-'), f
        x, y, w, h = map(int, f['box'].split(','))
        assert 150 <= x + w / 2 <= 300 and 50 <= y + h / 2 <= 200, f'box {f} not on the face'
else:
    # The first 100 frames: two faces on the first 75, three on the next 25.
    assert sum(1 for c in counts if c) >= 30, f'faces per frame: {counts}'
    assert max(counts) >= 2, f'never two faces: {counts}'
    assert len({f['label'] for f in r['faces']}) >= 2, 'one label for every face'
    labelled = sum(1 for f in r['faces'] if f['label'] in labels)
    assert labelled >= len(r['faces']) // 2, f'{labelled} of {len(r["faces"])} faces labelled'
print(f"{clip}: {frames} frames, {len(r['faces'])} faces, C++ and Python agree; labels {labels}")
PY

if [ "$clip" = astronaut ]; then
  # The optional session: with emosession installed, its window and analysis messages arrive
  # (min-window=0 keeps the 2 s partial window at EOS); without it, a plain fakesink run.
  run_logged "$tmp/session.txt" "$app" --session --session-property min-window=0 "$video"
  if gst-inspect-1.0 emosession >/dev/null 2>&1; then
    grep -q '^session emo-session-window ' "$tmp/session.txt" || fail "no emo-session-window"
    grep -q '^session emo-session-analysis ' "$tmp/session.txt" || fail "no emo-session-analysis"
    note "emosession: $(grep -c '^session ' "$tmp/session.txt") session messages"
  else
    grep -q 'no emosession element; running without a session' "$tmp/session.txt" ||
      fail "--session without emosession did not say so"
    grep -q "^summary frames=$frames .*session-messages=0" "$tmp/session.txt" ||
      fail "--session without emosession did not run the analysis"
    note "no emosession element: --session ran with fakesink"
  fi
fi
note "$clip: C++ and Python examples agree"
