#!/usr/bin/env bash
# The astronaut group clip (25 s: one to three faces, cuts, a cross-fade, 1.5 s without a face
# every 13.5 s) through the full chain into `emosession window=10 min-window=3` with the Gemini
# test server: 3 windows (10 s, 10 s, 5 s), 3 analyses, 3 JSON lines; the requests carry the
# key in the header and the context and timeline in the body, and the key is nowhere else.
#   test-session-clip.sh false   full speed (sync=false)
#   test-session-clip.sh true    real time (sync=true, ~25 s)
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
sync="${1:-false}"
clip="$(test_clip group 25)"
reply="Parece una cena tranquila; me alegra verte sonreir."
start_gemini_server --reply "$reply" --requests-log "$tmp/requests.jsonl"
key="test-key-5f1c9e7a2b"
start=$(date +%s)
GEMINI_API_KEY="$key" run_logged "$tmp/messages.txt" gst-launch-1.0 -m filesrc location="$clip" ! \
  decodebin ! videoconvert ! emofacedetect ! emolandmarks ! emoclassify ! \
  emosession window=10 min-window=3 context="una cena con amigos" endpoint="$gemini_endpoint" \
  location="$tmp/session.jsonl" sync="$sync"
note "sync=$sync: $(($(date +%s) - start)) s"
windows=$(grep -c 'emo-session-window,' "$tmp/messages.txt" || true)
analyses=$(grep -c 'emo-session-analysis,' "$tmp/messages.txt" || true)
[ "$windows" -eq 3 ] || fail "$windows emo-session-window messages, expected 3"
[ "$analyses" -eq 3 ] || fail "$analyses emo-session-analysis messages, expected 3"
! grep -q "$key" "$tmp/messages.txt" "$tmp/session.jsonl" || fail "the API key leaked"
python3 - "$tmp/session.jsonl" "$tmp/requests.jsonl" "$reply" "$key" <<'PY' || fail "unexpected session output"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
requests = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()]
reply, key = sys.argv[3], sys.argv[4]
assert len(lines) == 3, f'{len(lines)} JSON lines, expected 3'
w = [json.loads(l) for l in lines]
s = 1e9
for i, (start, dur, end) in enumerate([(0, 10, 'full'), (10, 10, 'full'), (20, 5, 'eos')]):
    assert w[i]['index'] == i and abs(w[i]['start'] / s - start) < 0.1, w[i]['start']
    assert abs(w[i]['duration'] / s - dur) < 0.5, f"window {i}: {w[i]['duration'] / s} s"
    assert w[i]['closed_by'] == end, w[i]['closed_by']
    assert len(w[i]['timeline']) == round(dur + 0.49), len(w[i]['timeline'])
    assert sum(w[i]['counts'].values()) == len(w[i]['timeline'])
    assert w[i]['analysis']['state'] == 'ok' and w[i]['analysis']['text'] == reply, w[i]['analysis']
# Faces seen on the samples: with an emotion (face_share) or without one ("unknown", the gate
# of emoclassify, counted apart in unsure_frames).
faces = sum(1 - x['counts'].get('none', 0) / len(x['timeline']) for x in w) / 3
assert faces > 0.5, f'faces on {faces:.0%} of the samples'
assert all(x['dominant'] != 'unknown' for x in w), 'unknown as the dominant emotion'
assert len(requests) == 3, f'{len(requests)} requests'
for r in requests:
    assert r['api_key'] == key and r['path'].endswith('/models/gemini-2.5-flash:generateContent')
    text = r['body']['contents'][0]['parts'][0]['text']
    assert 'una cena con amigos' in text
    assert any(', '.join(x['timeline']) in text for x in w), 'timeline not in the request'
    assert 'empático' in r['body']['systemInstruction']['parts'][0]['text']
for x in w:
    print(f"window {x['index']}: {x['duration'] / s:.1f} s, dominant {x['dominant']}, "
          f"face on {x['face_share']:.0%}: {' '.join(x['timeline'][:8])} ...")
PY
note "ok"
