#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# gst-emo: N live 720p H.264 streams at 25 fps analysed at once (a benchmark, not a test: it
# never fails on timing).
#
#   bench/streams.sh N [CLIP]
#
# CLIP (default ../shared/data/video/dinner-720p.mp4; without it the astronaut group scene of
# tools/make-astronaut-clip.sh) is first re-encoded once, like a camera's stream: 1280x720,
# 25 fps, H.264 without B-frames, one key frame a second (x264enc, else openh264enc), the first
# STREAMS_SECONDS + 5 s, cached in $EMO_BUILD_DIR/bench-clips/. Each stream then plays it live:
#
#   filesrc ! qtdemux ! h264parse ! avdec_h264 ! clocksync ! videoconvert ! identity name=count
#     ! queue leaky=downstream max-size-buffers=2 ! emofacedetect ! emolandmarks ! emoclassify
#     ! fakesink sync=false
#
# clocksync releases each decoded frame at its time, as a camera delivers it; the leaky queue
# is emo-analyze's for live sources: a frame the analysis is not ready for is skipped (dropped
# by the queue; QoS skips inside the elements are counted too). Modes (STREAMS_MODES):
#   decode   N processes of the pipeline without the analysis (the baseline, same run)
#   procs    N processes (build/bench/emo-pipeline-bench --live), one pipeline each
#   analyze  one `emo-analyze --realtime --sink "fakesink sync=false"` with N sources (same
#            pacing after the decoder, same leaky queue; the chain of docs/elements.md)
# Per stream: frames received (into the queue), analysed, skipped (%), per-buffer latency of
# the chain p50 / p99 (GStreamer's latency tracer: time inside emofacedetect + emolandmarks +
# emoclassify, bench/latency-stats.py), end-to-end p50 / p99 (from clocksync's release of the
# frame to the end of the chain, queue wait included; procs and decode only), peak RSS
# (VmHWM: per process; for analyze the one process), CPU seconds; the load average before and
# after, and the cores $(nproc) busy processes get for 3 s just before (on a shared machine,
# what is left for the streams). Both latencies leave out the first second of each stream (its first 25 frames: the
# decoder starting, OpenCV DNN's first run); the frame counts do not. A stream "keeps up" when
# it skips at most 2 % of its frames.
#
# Environment: STREAMS_SECONDS (default 25), STREAMS_MODES (default "decode procs analyze"),
# EMO_BUILD_DIR (default ./build, configured with -DEMO_BUILD_BENCH=ON), STREAMS_KEEP=1 keeps
# the logs (path printed), STREAMS_CHAIN (default "emofacedetect ! emolandmarks ! emoclassify").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMO_BUILD_DIR:-$here/build}"
n="${1:?usage: bench/streams.sh N [CLIP]}"
seconds="${STREAMS_SECONDS:-25}"
modes="${STREAMS_MODES:-decode procs analyze}"
chain="${STREAMS_CHAIN:-emofacedetect ! emolandmarks ! emoclassify}"
runner="$build/bench/emo-pipeline-bench"
analyze="$build/tools/emo-analyze"
for b in "$runner" "$analyze"; do
  [ -x "$b" ] || { echo "streams: $b is missing (cmake -DEMO_BUILD_BENCH=ON, build)" >&2; exit 2; }
done
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_EMO_MODEL_DIR="${GST_EMO_MODEL_DIR:-$here/models}"
tmp="$(mktemp -d)"
if [ "${STREAMS_KEEP:-0}" = 1 ]; then echo "logs in $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

# --- the camera-like clip
cache="$build/bench-clips"
mkdir -p "$cache"
src="${2:-$here/../shared/data/video/dinner-720p.mp4}"
if [ ! -r "$src" ]; then
  src="$cache/astronaut-group.mp4"
  [ -r "$src" ] || "$here/tools/make-astronaut-clip.sh" --scene group "$src" $((seconds + 5)) >/dev/null
fi
if gst-inspect-1.0 x264enc >/dev/null 2>&1; then
  enc="x264enc speed-preset=veryfast tune=zerolatency bframes=0 key-int-max=25 threads=1 bitrate=4000"
  enc_name=x264enc
elif gst-inspect-1.0 openh264enc >/dev/null 2>&1; then
  enc="openh264enc bitrate=4000000 gop-size=25"
  enc_name=openh264enc
else
  echo "streams: no H.264 encoder (x264enc of gstreamer1.0-plugins-ugly, or openh264enc)" >&2
  exit 2
fi
frames=$(((seconds + 5) * 25))
clip="$cache/$(basename "${src%.*}")-720p25-${frames}f-$enc_name.mp4"
if [ ! -s "$clip" ]; then
  # shellcheck disable=SC2086  # $enc: the encoder and its properties, split on purpose
  gst-launch-1.0 -q filesrc location="$src" ! decodebin ! videoconvert ! videoscale ! \
    videorate ! video/x-raw,format=I420,width=1280,height=720,framerate=25/1 ! \
    identity eos-after="$frames" ! $enc ! h264parse ! mp4mux ! filesink location="$clip.part"
  mv "$clip.part" "$clip"
fi

live_src="filesrc location=\"$clip\" ! qtdemux ! h264parse ! avdec_h264 ! clocksync ! videoconvert"
entry="identity name=count ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0"

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | head -1; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
pct() { awk -v s="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.1f", 100 * s / r; else print "n/a" }'; }
# chain_latency LOG K: "p50 p99" (ms) of the chain of stream K (elements named ...K-1).
chain_latency() {
  local k=$(($2 - 1))
  python3 "$here/bench/latency-stats.py" --skip 25 "$1" "emofacedetect$k" "emolandmarks$k" "emoclassify$k" |
    awk '/element=chain/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                          print v["median_ms"], v["p99_ms"] }'
}
# summary LABEL CPU_S RECEIVED ANALYSED: CPU per frame and the streams at 25 fps that many
# cores would carry at that cost with nothing else running (an estimate from CPU time, which a
# loaded machine inflates much less than wall-clock figures). Every received frame is decoded,
# only the analysed ones analysed: with the decode mode's CPU a frame (same run), the analysis
# costs (CPU - decode x received) / analysed a frame, and a stream decode + analysis. CPU and
# frames from each process's first frame on (procs, decode), from the second at which every
# source of emo-analyze streamed (analyze): without loading the models.
decode_ms=""
summary() {
  awk -v l="$1" -v c="$2" -v r="$3" -v a="$4" -v d="$decode_ms" -v cores="$(nproc)" 'BEGIN {
    if (a <= 0) exit
    if (l == "decode" || d == "") {
      ms = 1000 * c / a
      printf "%s: %.1f CPU s for %d frames = %.2f ms CPU a frame", l, c, a, ms
    } else {
      an = (1000 * c - d * r) / a
      ms = d + an
      printf "%s: %.1f CPU s, %d frames received, %d analysed: analysis %.2f ms CPU a frame + decoding %.2f = %.2f ms", l, c, r, a, an, d, ms
    }
    printf "; %d cores carry %.1f such streams at 25 fps\n", cores, cores * 1000 / (25 * ms) }'
  if [ "$1" = decode ]; then decode_ms="$(awk -v c="$2" -v a="$4" 'BEGIN { if (a > 0) print 1000 * c / a }')"; fi
}
header() {
  printf "%-9s %6s %8s %8s %9s %9s %9s %9s %9s %7s %6s\n" stream received analysed skipped "skip_%" \
    chain_p50 chain_p99 e2e_p50 e2e_p99 rss_MB cpu_s
}

echo "== gst-emo: $n live streams ($(date -u +%H:%M) UTC, $(git -C "$here" rev-parse --abbrev-ref HEAD 2>/dev/null) $(git -C "$here" rev-parse --short HEAD 2>/dev/null), $(nproc) cores)"
echo "clip: $clip (from $(basename "$src"), $enc_name), $seconds s per run"
# What the machine gives right now: CPU seconds that $(nproc) busy processes get in 3 s.
spin="$(python3 - "$(nproc)" <<'PY'
import multiprocessing as mp, sys, time
def spin(q):
    t = time.time()
    while time.time() - t < 3:
        pass
    q.put(time.process_time())
if __name__ == "__main__":
    q = mp.Queue()
    ps = [mp.Process(target=spin, args=(q,)) for _ in range(int(sys.argv[1]))]
    t = time.time()
    [p.start() for p in ps]
    cpu = sum(q.get() for _ in ps)
    [p.join() for p in ps]
    print("%.2f" % (cpu / (time.time() - t)))
PY
)"
echo "cores available: $spin of $(nproc) ($(nproc) busy processes for 3 s; load $(loadavg))"

# run_procs LABEL DESCRIPTION_TAIL: N emo-pipeline-bench processes at once.
run_procs() {
  local label="$1" tail="$2" k pids=()
  echo
  echo "-- $label: $n processes, load before $(loadavg)"
  for k in $(seq 1 "$n"); do
    GST_TRACERS="latency(flags=element)" GST_DEBUG="GST_TRACER:7" GST_DEBUG_NO_COLOR=1 \
      GST_DEBUG_FILE="$tmp/$label-$k.trace" \
      "$runner" --live --seconds "$seconds" --warmup 1 --label "$label$k" \
      "$live_src ! $entry ! $tail ! fakesink name=out sync=false" >"$tmp/$label-$k" 2>"$tmp/$label-$k.err" &
    pids+=($!)
  done
  for k in "${!pids[@]}"; do wait "${pids[$k]}" || echo "stream $((k + 1)) failed: $(tail -3 "$tmp/$label-$((k + 1)).err")"; done
  echo "load after $(loadavg)"
  header
  local keep=0
  for k in $(seq 1 "$n"); do
    local out="$tmp/$label-$k" r s e received analysed skipped p50=- p99=-
    r="$(grep '^run ' "$out" || true)"
    [ -n "$r" ] || continue
    s="$(grep '^sink ' "$out")"
    received="$(field "$(grep '^count ' "$out")" buffers)"
    analysed="$(field "$s" frames)"
    if [ "$label" != decode ]; then
      e="$(grep 'name=emoclassify' "$out")"
      analysed=$(($(field "$e" processed)))
      read -r p50 p99 < <(chain_latency "$tmp/$label-$k.trace" 1)
    fi
    skipped=$((received - analysed))
    printf "%-9s %6s %8s %8s %9s %9s %9s %9s %9s %7s %6s\n" "$label$k" "$received" "$analysed" \
      "$skipped" "$(pct "$skipped" "$received")" "$p50" "$p99" "$(field "$s" late_median_ms)" \
      "$(field "$s" late_p99_ms)" "$(mb "$(field "$r" maxrss_kb)")" "$(field "$r" cpu_s)"
    awk -v s="$skipped" -v r="$received" 'BEGIN { exit !(r > 0 && s <= 0.02 * r) }' && keep=$((keep + 1))
  done
  echo "$label: $keep of $n streams skip <= 2 % of their frames"
  summary "$label" "$(cat "$tmp/$label"-[0-9]* | sed -n 's/^run .* steady_cpu_s=\([^ ]*\).*/\1/p' | paste -sd+ | bc)" \
    "$(cat "$tmp/$label"-[0-9]* | sed -n 's/^count .* buffers=\([0-9]*\).*/\1/p' | paste -sd+ | bc)" \
    "$(cat "$tmp/$label"-[0-9]* | grep "$([ "$label" = decode ] && echo '^sink ' || echo 'name=emoclassify')" |
      sed -n 's/.* \(frames\|processed\)=\([0-9]*\).*/\2/p' | paste -sd+ | bc)"
}

if [[ " $modes " == *" decode "* ]]; then run_procs decode "identity"; fi
if [[ " $modes " == *" procs "* ]]; then run_procs procs "$chain"; fi

if [[ " $modes " == *" analyze "* ]]; then
  echo
  echo "-- analyze: one emo-analyze, $n sources, load before $(loadavg)"
  sources=()
  for k in $(seq 1 "$n"); do sources+=("$clip"); done
  GST_TRACERS="latency(flags=element)" GST_DEBUG="GST_TRACER:7" GST_DEBUG_NO_COLOR=1 \
    GST_DEBUG_FILE="$tmp/analyze.trace" \
    "$analyze" --realtime --progress 0 --outdir "$tmp/out" --sink "fakesink sync=false" \
    "${sources[@]}" >"$tmp/analyze" 2>"$tmp/analyze.err" &
  pid=$!
  # The run's seconds count from the moment every source streams (the models are loaded).
  for _ in $(seq 1 600); do
    [ "$(grep -c '\] streaming from ' "$tmp/analyze" 2>/dev/null)" -ge "$n" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep "$seconds"
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || echo "emo-analyze exited with $? ($(tail -2 "$tmp/analyze.err"))"
  echo "load after $(loadavg)"
  grep -m1 '^\[stats\] models' "$tmp/analyze" || true
  grep -E '^\[stats\] (peak|since)' "$tmp/analyze" || true
  header
  # Sources are named after the clip: NAME, NAME-2, NAME-3, ... in the order given, and their
  # elements numbered in that order (emofacedetect0 is the first source's).
  base="$(basename "${clip%.*}")"
  while read -r line; do
    name="$(sed -n 's/^\[\([^]]*\)\].*/\1/p' <<<"$line")"
    k=1
    [ "$name" = "$base" ] || k="${name##*-}"
    received="$(sed -n 's/.*frames: \([0-9]*\) received.*/\1/p' <<<"$line")"
    analysed="$(sed -n 's/.* \([0-9]*\) analysed.*/\1/p' <<<"$line")"
    skipped=$((received - analysed))
    p50=- p99=-
    read -r p50 p99 < <(chain_latency "$tmp/analyze.trace" "$k")
    printf "%-9s %6s %8s %8s %9s %9s %9s %9s %9s %7s %6s\n" "analyze$k" "$received" "$analysed" \
      "$skipped" "$(pct "$skipped" "$received")" "$p50" "$p99" - - - -
  done < <(grep -E '^\[[^]]*\] frames: [0-9]+ received' "$tmp/analyze") | sort -V >"$tmp/analyze.rows"
  cat "$tmp/analyze.rows"
  keep="$(awk '$2 > 0 && $4 <= 0.02 * $2' "$tmp/analyze.rows" | wc -l)"
  echo "analyze: $keep of $n streams skip <= 2 % of their frames"
  steady="$(grep '^\[stats\] since every source streamed' "$tmp/analyze" || true)"
  summary analyze "$(sed -n 's/.* CPU \([0-9.]*\) s, .*/\1/p' <<<"$steady")" \
    "$(sed -n 's/.* \([0-9]*\) frames received.*/\1/p' <<<"$steady")" \
    "$(sed -n 's/.* \([0-9]*\) analysed$/\1/p' <<<"$steady")"
fi
