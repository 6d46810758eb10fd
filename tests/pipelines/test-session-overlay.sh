#!/usr/bin/env bash
# The session on the video, through pipelines/session-file.sh itself: the astronaut clip
# (tools/make-astronaut-clip.sh, 8 s) with the Gemini test server answering in Spanish, windows
# of 2 s, the annotated video written to a file (EMO_SESSION_VIDEO). Checks, on the decoded
# frames, that the status line ("REC") and Gemini's reading appear at the bottom of the frame
# where and when they should, by matching the text rendered independently by pango-view at the
# panel's sizes (emo/render/session_panel.hpp: status height/24 bold, reading height/30), and
# that the accented "¿Cómo" matches better than "¿Como" (the accent is on the frame).
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
export LC_ALL=C.UTF-8  # the reply and the pango-view texts are UTF-8
py=/usr/bin/python3  # Debian's, with python3-opencv
command -v pango-view >/dev/null || fail "pango-view not found (Debian package pango1.0-tools)"
"$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/astronaut.mp4" 8 >/dev/null
reply="¿Cómo te sientes? Sonríes con calma; me alegra verte así, mañana será un gran día."
# The reply as a Gemini body in a file: the server's --reply goes through the C locale.
$py -c 'import json, sys; print(json.dumps({"candidates": [{"content": {"role": "model",
  "parts": [{"text": sys.argv[1]}]}, "finishReason": "STOP"}], "modelVersion": "gemini-2.5-flash"}))' \
  "$reply" >"$tmp/reply.json"
start_gemini_server --raw-body-file "$tmp/reply.json"
GEMINI_API_KEY=test-key EMO_SESSION_VIDEO="$tmp/annotated.mp4" \
  EMO_SESSION_PROPS="window=2 min-window=1 endpoint=$gemini_endpoint" \
  run_logged "$tmp/script.log" "$EMO_SOURCE_DIR/pipelines/session-file.sh" \
  "$tmp/astronaut.mp4" "una foto" "$tmp/session.jsonl"
cp "$tmp/annotated.mp4" "${EMO_KEEP_VIDEO:-/dev/null}" 2>/dev/null || true
grep -q "analysis 0 (ok): " "$tmp/script.log" || fail "no reply printed: $(tail -3 "$tmp/script.log")"
read -r w h n < <(raw_frames "$tmp/annotated.mp4" "$tmp/frames.rgb")
note "annotated video: ${w}x${h}, $n frames"
[ "$n" -eq 200 ] || fail "$n frames, expected 200"
status_px=$($py -c "print(max(12.0, $h / 24.0))")
reading_px=$($py -c "print(max(11.0, $h / 30.0))")
pv() {  # pv TEXT FONT OUT.png
  pango-view -q --margin=0 --background=black --foreground=white --font="$2" --text="$1" -o "$3"
}
pv "REC" "DejaVu Sans Bold ${status_px}px" "$tmp/rec.png"
pv "¿Cómo te sientes?" "DejaVu Sans ${reading_px}px" "$tmp/accented.png"
pv "¿Como te sientes?" "DejaVu Sans ${reading_px}px" "$tmp/plain.png"
$py - "$tmp" "$w" "$h" "$n" <<'PY' || fail "the session panel is not as expected"
import sys
import cv2
import numpy as np
tmp, w, h, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
frames = np.fromfile(f'{tmp}/frames.rgb', np.uint8).reshape(n, h, w, 3)
def score(frame, name):
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    t = cv2.imread(f'{tmp}/{name}.png', cv2.IMREAD_GRAYSCALE)
    r = cv2.matchTemplate(grey, t, cv2.TM_CCOEFF_NORMED)
    _, best, _, at = cv2.minMaxLoc(r)
    return best, at
fps = 25
for i in (int(1.5 * fps), int(3 * fps), int(5 * fps)):  # REC on the status line, bottom half
    s, at = score(frames[i], 'rec')
    print(f'frame {i}: REC {s:.3f} at {at}')
    assert s > 0.8 and at[1] > h / 2, (i, s, at)
for i in range(0, int(0.8 * fps), 5):           # before any window closed: no reading
    s, _ = score(frames[i], 'accented')
    print(f'frame {i}: reading {s:.3f} (none expected)')
    assert s < 0.6, (i, s)
# The accent's own pixels: ink in "¿Cómo" but not in "¿Como" (pango-view's two renders).
accented = cv2.imread(f'{tmp}/accented.png', cv2.IMREAD_GRAYSCALE).astype(int)
plain = cv2.imread(f'{tmp}/plain.png', cv2.IMREAD_GRAYSCALE).astype(int)
accent = (accented - plain) > 32
assert accent.sum() >= 6, accent.sum()
for i in range(int(5 * fps), n, 10):            # after the first reply: the reading
    s, (x, y) = score(frames[i], 'accented')
    grey = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY)[y:y + accent.shape[0], x:x + accent.shape[1]]
    on, off = grey[accent].mean(), grey[(accented < 32) & (plain < 32)].mean()
    print(f'frame {i}: "¿Cómo te sientes?" {s:.3f} at {(x, y)}; accent pixels {on:.0f}, '
          f'background {off:.0f}')
    assert s > 0.85 and y > h / 2, (i, s, (x, y))
    assert on > off + 60, f'frame {i}: the accent is not drawn ({on:.0f} against {off:.0f})'
PY
note "ok"
