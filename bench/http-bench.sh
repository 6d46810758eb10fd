#!/usr/bin/env bash
# emo-analyze --http (docs/web.md): what watching costs, on the astronaut clip looping over RTSP
# (emo-rtsp-serve --loop on 127.0.0.1; self-contained). Prints the figures of bench/RESULTS.md:
#   1. first video frame on the page: seconds from navigation to the first decoded JPEG in
#      headless Chromium (tests/tools/http_browser.py), LOADS page loads;
#   2. event latency: "entry-time" of each frame event (the frame entering the analysis) to
#      its arrival in the page (Date.now()), p50/p95 over WATCH seconds of watching;
#   3. CPU: emo-analyze's CPU seconds (utime+stime of /proc/PID/stat) over WATCH seconds,
#      without --http, and with --http and the page open (one viewer), alternated ROUNDS times;
#   4. memory: emo-analyze's VmRSS before and after VIEWERS MJPEG viewers and as many event
#      clients connect (10 at a time, 1 s each) and leave, twice.
#   bench/http-bench.sh [LOADS=5] [WATCH=30] [ROUNDS=2] [VIEWERS=100]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
loads="${1:-5}" watch="${2:-30}" rounds="${3:-2}" viewers="${4:-100}"
build="${EMO_BUILD_DIR:-$here/build}"
# shellcheck source=pipelines/env.sh
source "$here/pipelines/env.sh"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
browser=(/usr/bin/python3 "$here/tests/tools/http_browser.py")

"$here/tools/make-astronaut-clip.sh" "$tmp/astronaut.mp4" 6 >/dev/null
"$build/tools/emo-rtsp-serve" --port 0 --loop "$tmp/astronaut.mp4" >"$tmp/rtsp.log" 2>&1 &
pids+=($!)
sleep 1
url="rtsp://127.0.0.1:$(sed -n 's/^PORT //p' "$tmp/rtsp.log")/stream"
sink="emosession location={location} sync=false window=10"

# analyze LOG ARGS...: starts emo-analyze, sets apid and (with --http) http.
analyze() {
  local log="$1"
  shift
  "$build/tools/emo-analyze" -o "$tmp/out" --progress 0 --sink "$sink" "$@" "$url" >"$log" 2>&1 &
  apid=$!
  pids+=("$apid")
  http=""
  for _ in $(seq 100); do
    grep -q "streaming from" "$log" && break
    sleep 0.1
  done
  http="$(sed -n 's|^\[http\] serving \(http://[^ ]*\)/ .*|\1|p' "$log")"
}
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }  # kB
ticks="$(getconf CLK_TCK)"
stop() { kill -INT "$1"; wait "$1" 2>/dev/null || true; }

echo "== first frame and event latency"
analyze "$tmp/a.log" --http 127.0.0.1:0
sleep 3
for i in $(seq "$loads"); do
  "${browser[@]}" "$http/" --timeout 15 --wait 'v=document.querySelector(".source[data-video]")' |
    /usr/bin/python3 -c 'import json,sys; print("load", sys.argv[1], "first frame", json.load(sys.stdin)["waits"]["v"], "s")' "$i"
done
"${browser[@]}" "$http/" --timeout 15 --stay "$watch" \
  --wait 'v=document.querySelector(".source[data-video]")' \
  --eval 'stats=document.getElementById("stats").textContent' |
  /usr/bin/python3 -c 'import json,sys; print("watching", sys.argv[1], "s:", json.load(sys.stdin)["evals"]["stats"])' "$watch"
stop "$apid"

echo "== CPU of emo-analyze over $watch s (ticks of 1/$ticks s)"
for r in $(seq "$rounds"); do
  analyze "$tmp/b.log"
  sleep 3
  c0="$(cpu "$apid")"
  sleep "$watch"
  c1="$(cpu "$apid")"
  stop "$apid"
  analyze "$tmp/c.log" --http 127.0.0.1:0
  sleep 3
  "${browser[@]}" "$http/" --timeout 10 --stay "$((watch + 2))" \
    --wait 'v=document.querySelector(".source[data-video]")' >/dev/null &
  bpid=$!
  sleep 2
  d0="$(cpu "$apid")"
  sleep "$watch"
  d1="$(cpu "$apid")"
  wait "$bpid" || true
  stop "$apid"
  awk -v a="$((c1 - c0))" -v b="$((d1 - d0))" -v t="$ticks" -v w="$watch" -v r="$r" \
    'BEGIN {printf "round %d: without --http %.2f s CPU (%.1f %%), watching %.2f s (%.1f %%): %+.1f %%\n", r, a/t, 100*a/t/w, b/t, 100*b/t/w, 100*(b-a)/a}'
done

echo "== memory with $viewers viewers and event clients connecting and leaving"
analyze "$tmp/d.log" --http 127.0.0.1:0 --http-max-viewers 20 --http-max-event-clients 20
name="$(curl -s "$http/api/sources" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')"
sleep 3
echo "before: VmRSS $(rss "$apid") kB"
for pass in 1 2; do
  for b in $(seq $((viewers / 10))); do
    clients=()
    for _ in $(seq 10); do
      curl -s -o /dev/null --max-time 1 "$http/api/sources/$name/video.mjpeg" &
      clients+=($!)
      curl -s -o /dev/null --max-time 1 "$http/api/events" &
      clients+=($!)
    done
    wait "${clients[@]}" || true
  done
  sleep 2
  echo "after pass $pass ($viewers viewers + $viewers event clients): VmRSS $(rss "$apid") kB," \
    "then /api/sources answers HTTP $(curl -s -o /dev/null -w "%{http_code}" "$http/api/sources")"
done
stop "$apid"
