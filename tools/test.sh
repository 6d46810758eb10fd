#!/usr/bin/env bash
# The project's test command (README, docs/testing.md): sets up and builds (tools/setup.sh),
# then runs the tests with CTest, in two tiers:
#   self-contained  needs only what the project makes or its set-up installs; always runs
#   data            CTest label `data`: needs the research data set in EMO_DATA_DIR (default
#                   ../shared/data beside the project; EMO_SHARED_DATA is its older name)
# With the data set there: one CTest run of both tiers. Without it: the self-contained tier
# alone (ctest -LE data), then a note of what did not run, why, and where the data comes from,
# then CTest's summary line again. CI=true: a missing data set is a failure.
# Every run first checks that each test outside the label `data` gets EMO_DATA_DIR = an empty
# folder (tests/CMakeLists.txt), so a test that needs the data without the label fails.
# Extra arguments go to ctest (e.g. -R harness, -L data).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
t0=$(date +%s)
"$here/tools/setup.sh"
t1=$(date +%s)
build="${EMO_BUILD_DIR:-$here/build}"
cd "$build"

data="${EMO_DATA_DIR:-${EMO_SHARED_DATA:-$here/../shared/data}}"
# What the data tests read (the data set's README lists it all).
missing=()
for p in video/dinner-720p.mp4 ck48/happiness faces-wild/happiness models/lbf-5pt.yaml; do
  [ -e "$data/$p" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  data="$(cd "$data" && pwd)"
  export EMO_DATA_DIR="$data" EMO_SHARED_DATA="$data"
fi

# The tiers as configured: the data tests, and any other test that would see the data.
tiers="$(ctest --show-only=json-v1 | python3 -c '
import json, os, sys
data, leaks = [], []
for t in json.load(sys.stdin)["tests"]:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    if "data" in props.get("LABELS", []):
        data.append(t["name"])
        continue
    env = dict(e.split("=", 1) for e in props.get("ENVIRONMENT", []))
    d = env.get("EMO_DATA_DIR", "")
    if not d or env.get("EMO_SHARED_DATA") != d or not os.path.isdir(d) or os.listdir(d):
        leaks.append(t["name"])
print(" ".join(data))
print(" ".join(leaks))
')"
data_tests="$(sed -n 1p <<<"$tiers")"
leaks="$(sed -n 2p <<<"$tiers")"
if [ -n "$leaks" ]; then
  echo "tools/test.sh: these tests are not labelled data but do not get EMO_DATA_DIR = an empty folder: $leaks" >&2
  echo "  (add them with emo_add_gtest/emo_add_script_test, or call emo_use_tiers() in their directory)" >&2
  exit 1
fi
n_data=$(wc -w <<<"$data_tests")

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
rc=0
if [ ${#missing[@]} -eq 0 ]; then
  echo "tools/test.sh: both tiers; the data set is $data"
  ctest --output-on-failure -j 2 "$@" 2>&1 | tee "$log" || rc=$?
else
  echo "tools/test.sh: the self-contained tier only: no research data set at $data"
  ctest --output-on-failure -j 2 -LE data "$@" 2>&1 | tee "$log" || rc=$?
fi
t2=$(date +%s)
summary="$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)"
echo
echo "tools/test.sh: set-up and build $((t1 - t0)) s, tests $((t2 - t1)) s"
if [ ${#missing[@]} -ne 0 ]; then
  cat <<EOF
tools/test.sh: $n_data tests of the data tier did not run (CTest label data: $data_tests).
  Why: they need the research data set, and $data has no ${missing[*]}
  (set EMO_DATA_DIR to where it is; default ../shared/data beside the project).
  What they check: accuracy floors on a real dinner clip, training and cross-validation on
  face photos, the photo-set detection rate and the 5-point LBF model (docs/testing.md).
  Where it comes from (public sources, docs/testing.md): CK+48 crops of the Extended
  Cohn-Kanade data set (github.com/Rizquez/facial-emotion-detection, assets/CK+48), face
  photos of github.com/muxspace/facial_expressions, FER2013 with Microsoft's FER+ labels
  (github.com/microsoft/FERPlus), the dinner clip videos/Video_2.mp4 of
  github.com/yjwong1999/SimpleFR (re-encoded to 720p), the webcam clips of
  github.com/KwaiVGI/LivePortrait and the 5-point LBF model of github.com/meefik/opencv_facemark.
EOF
  if [ "${CI:-}" = true ]; then
    echo "tools/test.sh: CI=true: the data set is missing, so CI did not run everything: failure"
    rc=1
  fi
fi
[ -z "$summary" ] || echo "$summary"
exit "$rc"
