#!/usr/bin/env bash
# End-to-end test of emo-predict on the astronaut portrait (emo-train: test_train.sh, label
# data). Environment (set by CTest): EMO_BUILD_DIR, EMO_SOURCE_DIR, GST_EMO_MODEL_DIR.
# EMO_TOOLS_DIR overrides where the binaries are (default $EMO_BUILD_DIR/tools).
set -euo pipefail
tools="${EMO_TOOLS_DIR:-$EMO_BUILD_DIR/tools}"
predict="$tools/emo-predict"
astronaut=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. One JSON line, one face, 68 landmarks, happiness, the default model's 6 classes (the
#    FaceExpressionNet trained end to end on FER+, emotion-ferplus-e2e.json).
"$predict" "$astronaut" >"$tmp/out.json" || fail "emo-predict exited $? on $astronaut"
[ "$(wc -l <"$tmp/out.json")" -eq 1 ] || fail "expected one line: $(cat "$tmp/out.json")"
python3 - "$tmp/out.json" <<'PY' || fail "bad astronaut output: $(cat "$tmp/out.json")"
import json, sys
r = json.loads(open(sys.argv[1]).read())
faces = r["faces"]
assert len(faces) == 1, faces
f = faces[0]
assert f["landmarks"] == 68, f
assert f["label"] == "happiness", f
assert sorted(f["scores"]) == ["anger", "disgust", "happiness", "neutral", "sadness", "surprise"], f
assert abs(sum(f["scores"].values()) - 1) < 1e-3 and f["confidence"] == max(f["scores"].values())
assert all(f["box"][k] > 0 for k in ("width", "height"))
# The facial-action measures of the surprise check (inter-ocular units): a smiling adult face
# with its brows at rest (0.2-0.5) and its lips apart in the smile (teeth showing).
a = f["actions"]
assert 0.2 < a["brow-raise"] < 0.5 and 0.0 <= a["mouth-open"] < 0.6 and 0.05 < a["eye-open"] < 0.4, a
PY

# 1b. The same code path with the other kinds of model: the zero-shot CNN, the fused model
# (forest over geometry + CNN), the landmark forest and the prototype's HAPPY/SAD forest.
for m in "emotion-cnn.json happiness 7" "emotion-fused.yml.gz happiness 6" "emotion.yml.gz happiness 6" "happy-sad.yml.gz HAPPY 2"; do
  set -- $m
  "$predict" --model "$GST_EMO_MODEL_DIR/$1" "$astronaut" >"$tmp/kind.json" ||
    fail "emo-predict --model $1 exited $?"
  python3 - "$tmp/kind.json" "$2" "$3" <<'PY' || fail "--model $1: $(cat "$tmp/kind.json")"
import json, sys
f = json.loads(open(sys.argv[1]).read())["faces"]
assert len(f) == 1 and f[0]["label"] == sys.argv[2] and len(f[0]["scores"]) == int(sys.argv[3]), f
PY
done

# 2. An unreadable file: an error line and a non-zero exit; the other file still gets its line.
echo "not an image" >"$tmp/broken.jpg"
set +e
"$predict" "$tmp/broken.jpg" "$astronaut" >"$tmp/out2.json" 2>"$tmp/err2"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "unreadable file: exit status 0"
python3 - "$tmp/out2.json" "$tmp/broken.jpg" <<'PY' || fail "bad output: $(cat "$tmp/out2.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, lines
assert lines[0] == {"file": sys.argv[2], "error": "unreadable image"}, lines[0]
assert len(lines[1]["faces"]) == 1, lines[1]
PY

# 2b. A 20000 x 20000 PNG (about 400 KB, generated here): refused from its header with a clear
#     line, never decoded (it would take 400 MB as 8-bit grey); the next image still works.
python3 - "$tmp/huge.png" <<'PY'
import struct, sys, zlib
w = h = 20000
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
z = zlib.compressobj(9)
row = b"\0" * (w + 1)  # filter byte + one grey byte per pixel
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
    f.write(chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
set +e
/usr/bin/time -f "%M" -o "$tmp/huge.rss" "$predict" "$tmp/huge.png" "$astronaut" >"$tmp/out_huge.json" 2>"$tmp/err_huge"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "huge image: exit status $rc, expected 1: $(cat "$tmp/err_huge")"
python3 - "$tmp/out_huge.json" "$tmp/huge.png" <<'PY' || fail "huge image: $(cat "$tmp/out_huge.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, lines
assert lines[0]["file"] == sys.argv[2], lines[0]
assert "image too large: 20000 x 20000 = 400000000 pixels" in lines[0]["error"], lines[0]
assert "--max-pixels" in lines[0]["error"], lines[0]
assert len(lines[1]["faces"]) == 1, lines[1]
PY
rss_kb="$(tail -n 1 "$tmp/huge.rss")"
[ "$rss_kb" -lt 350000 ] || fail "huge image: peak RSS ${rss_kb} KB, was it decoded?"
"$predict" --max-pixels 1000 "$astronaut" >"$tmp/out_small_limit.json" 2>/dev/null && fail "--max-pixels 1000 accepted a 512x512 image"
grep -q "512 x 512 = 262144 pixels, more than the limit of 1000" "$tmp/out_small_limit.json" ||
  fail "--max-pixels: $(cat "$tmp/out_small_limit.json")"

# 3. A missing model: exit 2, the path in the message.
set +e
"$predict" --model "$tmp/no-such-model.yml.gz" "$astronaut" >/dev/null 2>"$tmp/err3"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "missing model: exit status $rc, expected 2"
grep -q "$tmp/no-such-model.yml.gz" "$tmp/err3" || fail "missing model: path not in: $(cat "$tmp/err3")"

echo "PASS"
