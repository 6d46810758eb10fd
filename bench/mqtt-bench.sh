#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# MQTT publishing cost, measured against a real mosquitto started here on a free 127.0.0.1 port,
# on the astronaut clip (one face per frame, tools/make-astronaut-clip.sh) through the chain:
#   1. cost per frame: the time a buffer spends in the last element of
#        emofacedetect ! emolandmarks ! emoclassify ! <X> ! fakesink sync=false
#      from GStreamer's latency tracer (flags=element), for X = identity (the baseline: what
#      any passthrough element costs), emometapublish writing the file to /dev/null, and
#      emometapublish method=mqtt at QoS 0 and 1; two rounds in alternating order, ratios to
#      identity in the same round;
#   2. end-to-end latency frame timestamp -> subscriber (bench/mqtt-latency.py), real time.
# Not a test: figures only (bench/RESULTS.md).
#   BENCH_SECONDS   clip length (default 10)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=pipelines/env.sh
source "$here/pipelines/env.sh"
py=/usr/bin/python3
mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"  # /usr/sbin: not in every PATH
[ -x "$py" ] || py=python3
seconds="${BENCH_SECONDS:-10}"
tmp="$(mktemp -d)"
trap 'kill "$broker" 2>/dev/null || true; rm -rf "$tmp"' EXIT
clip="$tmp/astronaut.mp4"
"$here/tools/make-astronaut-clip.sh" "$clip" "$seconds" >/dev/null
port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser %s\n' "$port" "$(id -un)" >"$tmp/b.conf"
"$mosquitto" -c "$tmp/b.conf" >"$tmp/b.log" 2>&1 &
broker=$!
sleep 0.5

echo "== gst-emo MQTT benchmark: $(date -Iseconds)"
echo "machine: $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "branch: $(git -C "$here" rev-parse --abbrev-ref HEAD) $(git -C "$here" rev-parse --short HEAD)"
echo "clip: astronaut, $((seconds * 25)) frames 512x512, one face each; broker mosquitto $("$mosquitto" -h 2>/dev/null | head -1 | awk '{print $3}')"
echo
echo "== 1. time per buffer in the last element (latency tracer), sync=false"
declare -A cases=(
  [identity]="identity name=pub"
  [file]="emometapublish name=pub location=/dev/null"
  [mqtt-qos0]="emometapublish name=pub method=mqtt address=mqtt://127.0.0.1:$port topic=bench/faces mqtt-qos=0"
  [mqtt-qos1]="emometapublish name=pub method=mqtt address=mqtt://127.0.0.1:$port topic=bench/faces mqtt-qos=1"
)
for round in 1 2; do
  order=(identity file mqtt-qos0 mqtt-qos1)
  [ "$round" -eq 1 ] || order=(mqtt-qos1 mqtt-qos0 file identity)
  declare -A median=()
  for c in "${order[@]}"; do
    log="$tmp/$c.log"
    # shellcheck disable=SC2086
    GST_TRACERS="latency(flags=element)" GST_DEBUG="GST_TRACER:7" GST_DEBUG_NO_COLOR=1 \
      GST_DEBUG_FILE="$log" gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! \
      videoconvert ! emofacedetect ! emolandmarks ! emoclassify ! ${cases[$c]} ! \
      fakesink sync=false >/dev/null 2>&1
    # Per-buffer time in "pub" (ns), from the tracer's element-latency records.
    line="$("$py" - "$log" <<'PY'
import re, sys
t = sorted(int(m) / 1e3 for m in re.findall(
    r'element=\(string\)pub, src=\(string\)[^,]+, time=\(guint64\)(\d+)', open(sys.argv[1]).read()))
q = lambda p: t[min(len(t) - 1, int(p * (len(t) - 1) + 0.5))]
print(f'buffers={len(t)} median_us={q(0.5):.1f} p90_us={q(0.9):.1f} p99_us={q(0.99):.1f} '
      f'mean_us={sum(t) / len(t):.1f}')
PY
)"
    median[$c]="$(echo "$line" | sed -E 's/.*median_us=([0-9.]+).*/\1/')"
    printf 'round %d %-10s %s\n' "$round" "$c" "$line"
  done
  "$py" -c "
m = {k: float(v) for k, v in (a.split('=') for a in '$(for k in "${!median[@]}"; do printf '%s=%s ' "$k" "${median[$k]}"; done)'.split())}
print('round $round medians over identity: ' + ', '.join(f'{k} {m[k] / m[\"identity\"]:.1f}x (+{m[k] - m[\"identity\"]:.0f} us)' for k in ('file', 'mqtt-qos0', 'mqtt-qos1')))"
done
echo
echo "== 2. end-to-end latency, frame timestamp -> subscriber (real time, identity sync=true)"
for qos in 0 1; do
  "$py" "$here/bench/mqtt-latency.py" "$clip" "$port" "$qos"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
