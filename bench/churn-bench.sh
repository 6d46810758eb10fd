#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-emo: the long churn runs (a benchmark, not a test: the bounds it reports are those of the
# test, which it runs longer). The churn suite (tests/elements/test_churn.cpp, CTest
# test_churn) runs short in the self-contained tier; here with more cycles, seeks, pipelines
# and loops:
#
#   bench/churn-bench.sh              60 cycles, 200 seeks, 8 pipelines, 40 loops
#   CYCLES=.. SEEKS=.. PIPELINES=.. LOOPS=.. bench/churn-bench.sh
#
# Prints, per test, its wall time and the RSS figures it measured ("[ churn ]" lines: RSS
# after the warm-up and its growth after the last cycle / loop). Environment: EMO_BUILD_DIR
# (default ./build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMO_BUILD_DIR:-$here/build}"
bin="$build/tests/elements/test_churn"
[ -x "$bin" ] || { echo "churn-bench: build $bin first (cmake --build build --target test_churn)" >&2; exit 2; }
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_EMO_MODEL_DIR="${GST_EMO_MODEL_DIR:-$here/models}"
export EMO_CHURN_CYCLES="${CYCLES:-60}" EMO_CHURN_SEEKS="${SEEKS:-200}"
export EMO_CHURN_PIPELINES="${PIPELINES:-8}" EMO_CHURN_LOOPS="${LOOPS:-40}"
echo "churn-bench: cycles=$EMO_CHURN_CYCLES seeks=$EMO_CHURN_SEEKS pipelines=$EMO_CHURN_PIPELINES loops=$EMO_CHURN_LOOPS ($(git -C "$here" rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg))"
for t in PlayingNullCyclesKeepMemoryBounded FlushingSeeksDuringPlay \
         ParallelPipelinesGiveTheSameOutputAsOne SoakOfSeveralLoopsKeepsMemoryBounded; do
  start=$(date +%s.%N)
  if "$bin" --gtest_filter="Churn.$t" --gtest_brief=1 >"/tmp/churn-bench.$$" 2>&1; then
    status=passed
  else
    status=FAILED
  fi
  end=$(date +%s.%N)
  printf '%-42s %-6s %6.1f s  %s\n' "$t" "$status" "$(echo "$end - $start" | bc)" \
    "$(grep -h '\[ churn \]' "/tmp/churn-bench.$$" | sed 's/\[ churn \] //' | tr '\n' ' ')"
  [ "$status" = passed ] || cat "/tmp/churn-bench.$$"
done
rm -f "/tmp/churn-bench.$$"
