#!/usr/bin/env bash
# Label data: emo-train on a tiny subset of the research data set's CK+48 crops (EMO_DATA_DIR),
# then emo-predict with the trained models. Environment (set by CTest): EMO_BUILD_DIR,
# EMO_SOURCE_DIR, GST_EMO_MODEL_DIR; EMO_DATA_DIR (default ../shared/data beside the source).
# EMO_TOOLS_DIR overrides where the binaries are (default $EMO_BUILD_DIR/tools).
set -euo pipefail
tools="${EMO_TOOLS_DIR:-$EMO_BUILD_DIR/tools}"
predict="$tools/emo-predict"
train="$tools/emo-train"
data="${EMO_DATA_DIR:-${EMO_SHARED_DATA:-$EMO_SOURCE_DIR/../shared/data}}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$data/ck48" ] || fail "$data/ck48 not found: this test needs the research data set (label data, docs/testing.md)"

# 1. emo-train on a tiny subset (15 happiness + 15 sadness CK+48 crops), then load its model.
for label in happiness sadness; do
  mkdir -p "$tmp/data/$label"
  for f in $(ls "$data/ck48/$label" | head -n 15); do ln -s "$data/ck48/$label/$f" "$tmp/data/$label/$f"; done
done
"$train" --kind fused --output "$tmp/tiny.yml.gz" --whole-image "$tmp/data" --trees 10 --folds 3 \
  --no-progress >"$tmp/train.out" 2>"$tmp/train.err" || fail "emo-train: $(cat "$tmp/train.err")"
grep -q "confusion matrix" "$tmp/train.out" || fail "no confusion matrix: $(cat "$tmp/train.out")"
grep -q "balanced accuracy" "$tmp/train.out" || fail "no balanced accuracy"
[ -s "$tmp/tiny.yml.gz" ] || fail "no model written"
"$predict" --model "$tmp/tiny.yml.gz" --whole-image "$data/ck48/happiness/$(ls "$data/ck48/happiness" | tail -n 1)" \
  >"$tmp/out4.json" || fail "emo-predict cannot use the trained model"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); f=r["faces"][0]; assert f["label"] in ("happiness","sadness") and set(f["scores"])=={"happiness","sadness"}, r' \
  "$tmp/out4.json" || fail "bad prediction with the tiny model: $(cat "$tmp/out4.json")"

grep -q "^fused model: rtrees over geometry,embedding,scores (409 values)" "$tmp/train.out" ||
  fail "--kind fused did not train the fused model: $(cat "$tmp/train.out")"
grep -q "CNN alone, zero-shot" "$tmp/train.out" || fail "no zero-shot CNN figures"
# 2. The landmark-only forest kind still trains and predicts.
"$train" --kind forest --output "$tmp/tiny-forest.yml.gz" --whole-image "$tmp/data" --trees 10 \
  --folds 0 --no-progress >/dev/null 2>"$tmp/train5.err" || fail "emo-train --kind forest: $(cat "$tmp/train5.err")"
"$predict" --model "$tmp/tiny-forest.yml.gz" --whole-image "$data/ck48/happiness/$(ls "$data/ck48/happiness" | tail -n 1)" \
  | grep -q '"label":"\(happiness\|sadness\)"' || fail "emo-predict cannot use the forest"

echo "PASS"
