#!/usr/bin/env bash
# pipelines/annotate-file.sh on a real 2 s clip (the astronaut portrait) writes a playable
# H.264 MP4 of the same size and frame count, and really draws on it: against a run with every
# overlay layer off (written as Matroska, which covers the .mkv path), the pixels around the
# face box change much more than the rest of the frame.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
annotate="$EMO_SOURCE_DIR/pipelines/annotate-file.sh"
run_logged "$tmp/make.txt" "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/in.mp4" 2
run_logged "$tmp/annotate.txt" env EMO_MESSAGES="$tmp/messages.txt" "$annotate" \
  "$tmp/in.mp4" "$tmp/out.mp4"
cat "$tmp/annotate.txt"
run_logged "$tmp/plain.txt" env EMO_OVERLAY_PROPS="draw-boxes=false draw-landmarks=false \
draw-labels=false" "$annotate" "$tmp/in.mp4" "$tmp/plain.mkv"

# Container and codec, without decoding: H.264 in MP4 and in Matroska.
run_logged "$tmp/mp4.txt" gst-launch-1.0 -v filesrc location="$tmp/out.mp4" ! qtdemux ! \
  video/x-h264 ! fakesink
grep -q "video/x-h264.*width=(int)512, height=(int)512" "$tmp/mp4.txt" ||
  fail "out.mp4 has no 512x512 H.264 video"
run_logged "$tmp/mkv.txt" gst-launch-1.0 -v filesrc location="$tmp/plain.mkv" ! \
  matroskademux ! video/x-h264 ! fakesink
read -r iw ih in_frames < <(raw_frames "$tmp/in.mp4" "$tmp/in.rgb")
read -r ow oh out_frames < <(raw_frames "$tmp/out.mp4" "$tmp/out.rgb")
read -r pw ph plain_frames < <(raw_frames "$tmp/plain.mkv" "$tmp/plain.rgb")
note "input ${iw}x${ih} $in_frames frames, output ${ow}x${oh} $out_frames, plain ${pw}x${ph} $plain_frames"
[ "$iw $ih $in_frames" = "$ow $oh $out_frames" ] || fail "output size or frame count differs"
[ "$iw $ih $in_frames" = "$pw $ph $plain_frames" ] || fail "plain size or frame count differs"

# The first face box from the bus messages; compare the middle frame around it.
summarize --json "$tmp/messages.txt" >"$tmp/summary.json"
python3 - "$tmp/summary.json" "$iw" "$ih" "$in_frames" "$tmp/out.rgb" "$tmp/plain.rgb" <<'PY' ||
import json, sys
s = json.load(open(sys.argv[1]))
w, h, n = (int(a) for a in sys.argv[2:5])
faces = [fr['faces'][0] for fr in s['per_frame'] if fr['faces']]
assert faces, 'no face found'
f = faces[0]
frame = n // 2
def load(path):
    with open(path, 'rb') as fh:
        fh.seek(frame * w * h * 3)
        return fh.read(w * h * 3)
out, plain = load(sys.argv[5]), load(sys.argv[6])
# The face box grown by 40 px: box lines, landmarks and the label tag all lie within it.
x0, y0, x1, y1 = f['x'] - 40, f['y'] - 40, f['x'] + f['width'] + 40, f['y'] + f['height'] + 40
inside = outside = 0.0
n_in = n_out = 0
for y in range(0, h, 2):
    for x in range(0, w, 2):
        i = (y * w + x) * 3
        d = sum(abs(out[i + c] - plain[i + c]) for c in range(3))
        if x0 <= x < x1 and y0 <= y < y1:
            inside += d; n_in += 1
        else:
            outside += d; n_out += 1
inside, outside = inside / n_in, outside / n_out
print(f'mean abs RGB difference to the undrawn run: {inside:.1f} near the face, {outside:.1f} elsewhere')
assert inside > 10 and inside > 5 * outside, 'the overlay did not change the face area'
PY
  fail "output is not annotated"
note "ok"
