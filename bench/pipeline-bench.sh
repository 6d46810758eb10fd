#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-emo pipeline benchmark: a benchmark, not a test (it never fails on timing).
#
#   bench/pipeline-bench.sh [CLIP]        default ../shared/data/video/dinner-720p.mp4
#
# In one run it reports:
#   1. throughput: fps, CPU seconds, peak RSS and frames with >= 1 face for decode only,
#      gst-plugins-bad `facedetect`, our `emofacedetect`, the chain
#      `emofacedetect ! emolandmarks ! emoclassify`, and the chain + `emooverlay`; ratios of
#      ours against facedetect and against decode only;
#   2. latency: per-buffer latency (median, p99) of each analysis element and of the chain,
#      from GStreamer's latency tracer on a live run (fakesink sync=true);
#   3. multi: how many simultaneous real-time streams (N pipelines in one process, sync=true,
#      a QoS-enabled sink like a video sink) run without dropping a frame, N = 1.. until the
#      first N that drops;
#   4. live: a live-like source (identity sync=true) teed into a display branch and a
#      `queue leaky=downstream max-size-buffers=1` analysis branch: frames displayed vs
#      analysed and the display's lateness; and the same with the analysis inline for contrast.
#
# Environment (all optional):
#   EMO_BUILD_DIR        build tree configured with -DEMO_BUILD_BENCH=ON (default ./build)
#   BENCH_PARTS          sections to run (default "throughput latency multi live")
#   BENCH_SECONDS        throughput: play only the first S seconds (default 0 = whole clip)
#   LIVE_SECONDS         latency and live sections: seconds played in real time (default 20)
#   MULTI_SECONDS        multi section: seconds per N (default 20); MULTI_MAX (default 6)
#   EMO_DETECT_PROPS, EMO_LANDMARKS_PROPS, EMO_CLASSIFY_PROPS, EMO_OVERLAY_PROPS,
#   FACEDETECT_PROPS     extra properties for those elements (e.g. EMO_DETECT_PROPS="max-faces=4")
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMO_BUILD_DIR:-$here/build}"
clip="$(realpath "${1:-$here/../shared/data/video/dinner-720p.mp4}")"
parts="${BENCH_PARTS:-throughput latency multi live}"
seconds="${BENCH_SECONDS:-0}"
live_seconds="${LIVE_SECONDS:-20}"
multi_seconds="${MULTI_SECONDS:-20}"
multi_max="${MULTI_MAX:-6}"
runner="$build/bench/emo-pipeline-bench"
if [ ! -x "$runner" ]; then
  echo "pipeline-bench: $runner is missing; build with" >&2
  echo "  cmake -S . -B build -DEMO_BUILD_BENCH=ON && cmake --build build -j2" >&2
  exit 2
fi
[ -r "$clip" ] || { echo "pipeline-bench: cannot read $clip" >&2; exit 2; }
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_EMO_MODEL_DIR="${GST_EMO_MODEL_DIR:-$here/models}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

detect="emofacedetect ${EMO_DETECT_PROPS:-}"
chain="$detect ! emolandmarks ${EMO_LANDMARKS_PROPS:-} ! emoclassify ${EMO_CLASSIFY_PROPS:-}"
overlay="emooverlay ${EMO_OVERLAY_PROPS:-}"
facedetect="videoconvert ! video/x-raw,format=RGB ! facedetect display=false updates=none ${FACEDETECT_PROPS:-}"
src="filesrc location=\"$clip\" ! decodebin"

# field LINE KEY: the value of KEY=... in a `key=value` line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# run LABEL SECONDS DESCRIPTION [OPTION...]: runs emo-pipeline-bench; output in $tmp/LABEL.
run() {
  if ! "$runner" --label "$1" --seconds "$2" "${@:4}" "$3" >"$tmp/$1" 2>"$tmp/$1.err"; then
    echo "pipeline-bench: $1 failed:" >&2
    grep -v "persistence.cpp" "$tmp/$1.err" >&2 || true
    return 1
  fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "== gst-emo pipeline benchmark: $(date -Iseconds)"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clip: $clip  ($(gst-launch-1.0 --version | sed -n 1p))"
echo "branch: $(git -C "$here" rev-parse --abbrev-ref HEAD 2>/dev/null) $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"

if [[ " $parts " == *" throughput "* ]]; then
  span="whole clip"
  [ "$seconds" = 0 ] || span="first $seconds s"
  echo
  echo "== 1. throughput ($span, sync=false)"
  names=(decode facedetect emofacedetect chain chain+overlay)
  descs=(
    "$src ! fakesink name=out sync=false"
    "$src ! $facedetect ! fakesink name=out sync=false"
    "$src ! videoconvert ! $detect ! fakesink name=out sync=false"
    "$src ! videoconvert ! $chain ! fakesink name=out sync=false"
    "$src ! videoconvert ! $chain ! $overlay ! fakesink name=out sync=false"
  )
  printf "%-14s %7s %8s %8s %7s %11s %11s\n" case frames fps wall_s cpu_s peak_rss_MB face_frames
  declare -A fps faces
  for i in "${!names[@]}"; do
    n="${names[$i]}"
    run "$n" "$seconds" "${descs[$i]}" || continue
    r="$(grep '^run ' "$tmp/$n")"
    s="$(grep '^sink ' "$tmp/$n" | head -1)"
    fps[$n]="$(field "$r" fps)"
    faces[$n]="$(field "$s" face_frames)"
    printf "%-14s %7s %8s %8s %7s %11s %11s\n" "$n" "$(field "$r" frames)" "${fps[$n]}" \
      "$(field "$r" wall_s)" "$(field "$r" cpu_s)" \
      "$(awk -v k="$(field "$r" maxrss_kb)" 'BEGIN { printf "%.0f", k / 1024 }')" "${faces[$n]}"
  done
  echo "ratios (fps): emofacedetect/facedetect $(ratio "${fps[emofacedetect]:-0}" "${fps[facedetect]:-0}")," \
    "chain/facedetect $(ratio "${fps[chain]:-0}" "${fps[facedetect]:-0}")," \
    "chain/decode $(ratio "${fps[chain]:-0}" "${fps[decode]:-0}")," \
    "chain+overlay/decode $(ratio "${fps[chain+overlay]:-0}" "${fps[decode]:-0}")"
  echo "frames with >= 1 face: facedetect ${faces[facedetect]:-n/a}, emofacedetect" \
    "${faces[emofacedetect]:-n/a}, chain ${faces[chain]:-n/a}" \
    "(ours/facedetect $(ratio "${faces[chain]:-0}" "${faces[facedetect]:-0}"))"
fi

if [[ " $parts " == *" latency "* ]]; then
  echo
  echo "== 2. per-buffer latency, live run (first $live_seconds s, fakesink sync=true), latency tracer"
  log="$tmp/latency.log"
  if GST_TRACERS="latency(flags=element)" GST_DEBUG="GST_TRACER:7" GST_DEBUG_NO_COLOR=1 \
    GST_DEBUG_FILE="$log" run latency "$live_seconds" \
    "$src ! videoconvert ! $chain ! fakesink name=out sync=true"; then
    python3 "$here/bench/latency-stats.py" "$log" emofacedetect0 emolandmarks0 emoclassify0
    r="$(grep '^run ' "$tmp/latency")"
    echo "frames reaching the sink: $(field "$r" frames), dropped by QoS: $(field "$r" qos_dropped)"
  fi
fi

if [[ " $parts " == *" multi "* ]]; then
  echo
  echo "== 3. simultaneous real-time streams (first $multi_seconds s each, sync=true, qos, max-lateness 20 ms)"
  run expected "$multi_seconds" "$src ! fakesink name=out sync=false"
  # GstBaseSink's "rendered" leaves out the preroll buffer (481 frames reach the pad, 480 are
  # "rendered"), so the baseline is the same sink count on a run without analysis.
  expected="$(field "$(grep '^sink ' "$tmp/expected")" rendered)"
  echo "expected frames per stream (rendered by a sink without analysis): $expected"
  best=0
  for n in $(seq 1 "$multi_max"); do
    desc=""
    for k in $(seq 1 "$n"); do
      desc+="$src ! videoconvert ! $chain ! fakesink name=s$k sync=true qos=true max-lateness=20000000 "
    done
    run "multi$n" "$multi_seconds" "$desc" || break
    ok=1
    while read -r line; do
      [ "$(field "$line" rendered)" = "$expected" ] || ok=0
    done < <(grep '^sink ' "$tmp/multi$n")
    r="$(grep '^run ' "$tmp/multi$n")"
    [ "$(field "$r" qos_dropped)" = 0 ] || ok=0
    rendered="$(grep '^sink ' "$tmp/multi$n" | sed -n 's/.* rendered=\([0-9]*\).*/\1/p' | paste -sd/)"
    p99="$(grep '^sink ' "$tmp/multi$n" | sed -n 's/.* late_p99_ms=\([^ ]*\).*/\1/p' | paste -sd/)"
    echo "N=$n rendered $rendered of $expected each, qos_dropped $(field "$r" qos_dropped)," \
      "late p99 ms $p99, cpu_s $(field "$r" cpu_s): $([ $ok = 1 ] && echo real time || echo DROPS)"
    [ $ok = 1 ] || break
    best=$n
  done
  echo "simultaneous real-time streams sustained: $best"
fi

if [[ " $parts " == *" live "* ]]; then
  echo
  echo "== 4. live source (identity sync=true, first $live_seconds s): display branch vs analysis"
  live_src="$src ! identity sync=true ! videoconvert"
  display="fakesink name=display sync=true qos=true max-lateness=20000000"
  run leaky "$live_seconds" "$live_src ! tee name=t \
    t. ! queue max-size-buffers=3 ! $display \
    t. ! queue leaky=downstream max-size-buffers=1 ! $chain ! fakesink name=analysis sync=false async=false" \
    --live
  run inline "$live_seconds" "$live_src ! $chain ! $display" --live
  for v in leaky inline; do
    d="$(grep 'name=display' "$tmp/$v")"
    a="$(grep 'name=analysis' "$tmp/$v" || true)"
    [ -n "$a" ] || a="$d"
    echo "$v: displayed $(field "$d" rendered) of $(field "$d" frames) frames reaching the display" \
      "(late-dropped $(field "$d" dropped))," \
      "analysed $(field "$a" frames); display lateness median $(field "$d" late_median_ms) ms," \
      "p99 $(field "$d" late_p99_ms) ms, max $(field "$d" late_max_ms) ms"
  done
fi

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
