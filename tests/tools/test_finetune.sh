#!/usr/bin/env bash
# emo-train --kind finetuned end to end (python3-torch; the default --freeze 1+2, two heads in
# one ONNX model): one command from <label>/<images>
# folders (20 happiness + 20 surprise CK+48 crops, 1 epoch, 3 grouped folds) gives an ONNX
# model and sidecar that OpenCV DNN loads and emo-predict runs; the temporary crop dump is
# removed; a python without torch is a clear error. Label data: needs the research data set.
# Environment (set by CTest): EMO_BUILD_DIR, EMO_SOURCE_DIR, GST_EMO_MODEL_DIR; EMO_DATA_DIR
# (default ../shared/data beside the source tree).
set -euo pipefail
tools="${EMO_TOOLS_DIR:-$EMO_BUILD_DIR/tools}"
data="${EMO_DATA_DIR:-${EMO_SHARED_DATA:-$EMO_SOURCE_DIR/../shared/data}}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
py=/usr/bin/python3

for label in happiness surprise; do
  mkdir -p "$tmp/data/$label"
  for f in $(ls "$data/ck48/$label" | head -n 20); do ln -s "$data/ck48/$label/$f" "$tmp/data/$label/$f"; done
done
mkdir "$tmp/scratch"

# 1. One command: crops, folds, fine-tuning with cross-validation, the final model.
TMPDIR="$tmp/scratch" "$tools/emo-train" --kind finetuned --whole-image "$tmp/data" \
  --labels surprise,happiness --epochs 1 --folds 3 --no-progress --output "$tmp/tiny.onnx" \
  >"$tmp/train.out" 2>"$tmp/train.err" || fail "emo-train --kind finetuned: $(tail -n 20 "$tmp/train.err")"
grep -q "^fine-tuned (1 epochs, 1+2 blocks frozen), grouped CV: accuracy" "$tmp/train.out" ||
  fail "no cross-validated figures: $(cat "$tmp/train.out")"
grep -Eq "^happiness +[0-9.]+ +[0-9.]+ +- +20$" "$tmp/train.out" ||
  fail "no per-class recall per source for happiness: $(cat "$tmp/train.out")"
[ -z "$(ls -A "$tmp/scratch")" ] || fail "temporary dump left behind: $(ls "$tmp/scratch")"

# 2. The sidecar names the model and our labels in --labels order; OpenCV DNN loads the ONNX
#    and gives 2 scores summing to 1 and a 256-value embedding for a 64x64 grey input.
$py - "$tmp/tiny.json" <<'PY' || fail "bad model: $(cat "$tmp/tiny.json")"
import json, os, sys
import cv2, numpy as np
spec = json.load(open(sys.argv[1]))
assert spec["labels"] == ["surprise", "happiness"], spec["labels"]
assert spec["model"] == "tiny.onnx" and spec["input"]["width"] == 64, spec
assert "1 epochs" in spec["source"], spec["source"]
net = cv2.dnn.readNetFromONNX(os.path.join(os.path.dirname(sys.argv[1]), spec["model"]))
net.setInput(np.random.default_rng(1).uniform(-1, 1, (1, 1, 64, 64)).astype(np.float32))
scores, emb = net.forward(["scores", "embedding"])
assert scores.shape == (1, 2) and abs(scores.sum() - 1) < 1e-4, scores
assert emb.shape == (1, 256), emb.shape
PY

# 3. emo-predict runs it (a held-back crop of the same people is fine here: this checks the path).
crop="$data/ck48/happiness/$(ls "$data/ck48/happiness" | tail -n 1)"
"$tools/emo-predict" --model "$tmp/tiny.json" --whole-image "$crop" >"$tmp/pred.json" ||
  fail "emo-predict --model tiny.json"
$py -c 'import json,sys; f=json.load(open(sys.argv[1]))["faces"][0]; assert set(f["scores"])=={"surprise","happiness"} and f["label"] in f["scores"], f' \
  "$tmp/pred.json" || fail "bad prediction: $(cat "$tmp/pred.json")"

# 3b. --prior is in the written model: with happiness x 1e6 a surprise crop comes out happiness.
surprised="$data/ck48/surprise/$(ls "$data/ck48/surprise" | tail -n 1)"
"$tools/emo-train" --whole-image "$tmp/data" --labels surprise,happiness --epochs 1 --folds 0 \
  --prior happiness=1e6 --no-progress --output "$tmp/prior.onnx" >/dev/null 2>"$tmp/prior.err" ||
  fail "emo-train --prior: $(tail -n 5 "$tmp/prior.err")"
"$tools/emo-predict" --model "$tmp/tiny.json" --whole-image "$surprised" | grep -q '"label":"surprise"' ||
  fail "the model without a prior does not call $surprised surprise"
"$tools/emo-predict" --model "$tmp/prior.json" --whole-image "$surprised" | grep -q '"label":"happiness"' ||
  fail "--prior happiness=1e6 is not in the written model"

# 4. A python without torch (a torch module that fails to import): exit 2 and what to install.
mkdir -p "$tmp/notorch/torch"
echo 'raise ImportError("No module named torch (test)")' >"$tmp/notorch/torch/__init__.py"
rc=0
PYTHONPATH="$tmp/notorch" "$tools/emo-train" --whole-image "$tmp/data" --epochs 1 --folds 0 \
  --no-progress --output "$tmp/x.onnx" >/dev/null 2>"$tmp/notorch.err" || rc=$?
[ "$rc" -eq 2 ] || fail "without torch: exit status $rc, expected 2: $(cat "$tmp/notorch.err")"
grep -q "needs PyTorch .*apt install python3-torch" "$tmp/notorch.err" ||
  fail "without torch: $(cat "$tmp/notorch.err")"
[ ! -e "$tmp/x.onnx" ] || fail "without torch: a model was written"

# 5. A model file name that is not .onnx/.json: usage error before any work.
rc=0
"$tools/emo-train" --whole-image "$tmp/data" --output "$tmp/x.yml.gz" >/dev/null 2>"$tmp/ext.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "FILE.onnx" "$tmp/ext.err" || fail "bad --output: $rc $(cat "$tmp/ext.err")"
# 6. --ferplus: a FER+-shaped folder (split/label/ferN.png + labels.csv with 10 votes and
#    dup_group) made of CK+48 crops. Train images train; valid and test are only measured,
#    without the test image whose dup_group is also in train; votes are the soft targets.
fer="$tmp/fer"
echo "split,file,fer2013_row,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF,label,dup_group" >"$fer.csv"
n=0
for label in happiness surprise; do
  k=0
  for f in $(ls "$data/ck48/$label" | head -n 16); do
    n=$((n + 1)) k=$((k + 1))
    split=train
    [ $k -gt 10 ] && split=valid
    [ $k -gt 13 ] && split=test
    mkdir -p "$fer/$split/$label"
    name=$(printf 'fer%07d.png' $n)
    ln -s "$data/ck48/$label/$f" "$fer/$split/$label/$name"
    if [ $label = happiness ]; then votes="1,8,1,0"; else votes="2,0,8,0"; fi
    group=$n; [ $n = 14 ] && group=1  # fer0000014 (test) is "identical" to fer0000001 (train)
    echo "$split,$split/$label/$name,$n,$votes,0,0,0,0,0,0,$label,$group" >>"$fer.csv"
  done
done
mv "$fer.csv" "$fer/labels.csv"
"$tools/emo-train" --ferplus "$fer" --whole-image "$tmp/data" --labels surprise,happiness \
  --epochs 1 --folds 3 --freeze 1 --no-progress --output "$tmp/fer.onnx" >"$tmp/fer.out" \
  2>"$tmp/fer.err" || fail "emo-train --ferplus: $(tail -n 20 "$tmp/fer.err")"
grep -q "FER+ train 20 (votes, weight 1), valid 6 and test 5 measured only (1 duplicates" \
  "$tmp/fer.out" || fail "--ferplus splits: $(cat "$tmp/fer.out")"
grep -Eq "^final model, FER\+ test .*: accuracy [0-9.]+ \(5 images\); recall surprise" \
  "$tmp/fer.out" || fail "no FER+ test figures: $(cat "$tmp/fer.out")"
grep -q "FER+ train 20 (votes, weight 1)" "$tmp/fer.json" || fail "sidecar: $(cat "$tmp/fer.json")"
rc=0
"$tools/emo-train" --kind forest --ferplus "$fer" --output "$tmp/x.yml.gz" >/dev/null \
  2>"$tmp/ferforest.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "needs --kind finetuned" "$tmp/ferforest.err" ||
  fail "--ferplus --kind forest: $rc $(cat "$tmp/ferforest.err")"
# 7. --freeze all on face-api's network (fetched at set-up): a new fully connected layer on its
#    embedding, OpenCV DNN runs the written model (112x112 grey); then --crops trains again
#    from the kept dump (no extraction) and gives the same figures.
faceapi="$EMO_SOURCE_DIR/models/faceapi/faceapi-expression.json"
"$tools/emo-train" --cnn "$faceapi" --freeze all --whole-image "$tmp/data" \
  --labels surprise,happiness --folds 3 --no-progress --dump-crops "$tmp/dump" \
  --output "$tmp/lin.onnx" >"$tmp/lin.out" 2>"$tmp/lin.err" ||
  fail "emo-train --freeze all: $(tail -n 20 "$tmp/lin.err")"
grep -q "^new fully connected layer on the fixed embedding (l2 0.001, balance 1), grouped CV: accuracy" \
  "$tmp/lin.out" || fail "--freeze all figures: $(cat "$tmp/lin.out")"
"$tools/emo-predict" --model "$tmp/lin.json" --whole-image "$surprised" | grep -q '"label":"surprise"' ||
  fail "the --freeze all model does not call $surprised surprise"
"$tools/emo-train" --cnn "$faceapi" --freeze all --crops "$tmp/dump" --labels surprise,happiness \
  --folds 3 >"$tmp/again.out" 2>&1 || fail "--crops: $(tail -n 20 "$tmp/again.out")"
[ "$(grep -A3 '^new fully connected' "$tmp/lin.out")" = "$(grep -A3 '^new fully connected' "$tmp/again.out")" ] ||
  fail "--crops gives other figures: $(cat "$tmp/again.out")"
# 8. --oof (tools/emo-finetune.py directly, for ensembles): every folder image's out-of-fold
#    probabilities, keyed by its path, rows summing to 1, their argmax the CV's accuracy.
"$py" "$EMO_SOURCE_DIR/tools/emo-finetune.py" "$tmp/dump" --labels surprise,happiness \
  --onnx "$EMO_SOURCE_DIR/models/faceapi/faceapi-expression.onnx" --freeze all \
  --oof "$tmp/oof.npz" >"$tmp/oof.out" 2>&1 || fail "--oof: $(tail -n 20 "$tmp/oof.out")"
acc=$(sed -n 's/^new fully connected.*grouped CV: accuracy \([0-9.]*\),.*/\1/p' "$tmp/oof.out")
"$py" - "$tmp/oof.npz" "$tmp/dump/samples.csv" "$acc" <<'PY' || fail "--oof file: $(cat "$tmp/oof.out")"
import csv, sys
import numpy as np
z = np.load(sys.argv[1])
n = sum(1 for r in csv.reader(open(sys.argv[2])) if r[1] in ("surprise", "happiness") and r[4] == "0")
acc = float((z["prob"].argmax(1) == z["y"]).mean())
assert len(z["files"]) == n == len(z["prob"]), (len(z["files"]), n)
assert np.allclose(z["prob"].sum(1), 1, atol=1e-5)
assert abs(acc - float(sys.argv[3])) < 1e-3, (acc, sys.argv[3])
PY
echo "PASS"
