#!/usr/bin/env bash
# Label data: tools/emo-calibrate-surprise.py on the CK+48 crops of the research data set
# (EMO_DATA_DIR): the brow raise over each subject's baseline separates surprise from the other
# six classes, and the threshold it learns is emoclassify's default min-brow-raise (gst-inspect).
# Environment (set by CTest): EMO_BUILD_DIR, EMO_SOURCE_DIR, GST_EMO_MODEL_DIR; EMO_DATA_DIR.
set -euo pipefail
data="${EMO_DATA_DIR:-${EMO_SHARED_DATA:-$EMO_SOURCE_DIR/../shared/data}}"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -d "$data/ck48" ] || fail "$data/ck48 not found: this test needs the research data set (label data, docs/testing.md)"
out="$(/usr/bin/python3 "$EMO_SOURCE_DIR/tools/emo-calibrate-surprise.py" --data "$data" \
  --emo-predict "${EMO_TOOLS_DIR:-$EMO_BUILD_DIR/tools}/emo-predict")" || fail "the tool exited $?"
echo "$out"
default="$(gst-inspect-1.0 emoclassify | grep -A2 '^  min-brow-raise' | sed -n 's/.*Default: *\([0-9.]*\).*/\1/p')"
[ -n "$default" ] || fail "no min-brow-raise default in gst-inspect-1.0 emoclassify"
/usr/bin/python3 - "$out" "$default" <<'PY' || fail "unexpected calibration (element default $default)"
import re, sys
out, default = sys.argv[1], float(sys.argv[2])
m = re.search(r"raise over the subject's baseline: threshold ([0-9.-]+) \(balanced accuracy ([0-9.]+)", out)
assert m and float(m.group(2)) >= 0.88, m and m.groups()
m = re.search(r"min-brow-raise \(rounded\): ([0-9.]+)", out)
assert m and abs(float(m.group(1)) - default) < 1e-9, ("not the element's default", m and m.group(1), default)
m = re.search(r"surprise recall ([0-9.]+) -> ([0-9.]+) with the rule", out)
assert m and float(m.group(2)) >= 0.85, m and m.groups()
PY
