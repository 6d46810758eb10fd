#!/usr/bin/env bash
# A small site on one computer: 4 RTSP cameras (emo-rtsp-serve, one server per camera, each
# playing a clip once), analysed by two emo-analyze processes that stand for two machines (two
# cameras each), both publishing faces and session windows to one MQTT broker, and
# pipelines/mqtt-windows.py printing one line per window across all cameras.
#
#   pipelines/mqtt-site.sh [CLIP]      default: the first 30 s of the research data set's dinner clip
#                                      ($EMO_DATA_DIR, default ../shared/data: video/dinner-720p.mp4)
#                                      when it is there, else a 30 s astronaut clip
# Environment: MQTT_URL=mqtt://host:port  use that broker instead of starting mosquitto here
#              SITE_WINDOW=10             emosession window, seconds
#              SITE_OUT=out/site          where the JSON Lines files (the durable record) go
# Without GEMINI_API_KEY the analyses are "skipped" (offline); the windows are published anyway.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=pipelines/env.sh
source "$here/env.sh"
emo_require_plugin "$0"
tools="$emo_build/tools"
py=/usr/bin/python3
mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"  # /usr/sbin: not in every PATH
[ -x "$py" ] || py=python3
out="${SITE_OUT:-$emo_root/out/site}"
window="${SITE_WINDOW:-10}"
tmp="$(mktemp -d)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$out"

clip="${1:-}"
if [ -z "$clip" ]; then
  dinner="${EMO_DATA_DIR:-$emo_root/../shared/data}/video/dinner-720p.mp4"
  if [ -f "$dinner" ]; then
    clip="$tmp/dinner-30s.mp4"  # 720 frames (30 s at 23.976 fps), H.264 passed through
    gst-launch-1.0 -q filesrc location="$dinner" ! qtdemux ! h264parse ! identity eos-after=720 ! \
      mp4mux ! filesink location="$clip"
  else
    clip="$tmp/astronaut-30s.mp4"
    "$emo_root/tools/make-astronaut-clip.sh" "$clip" 30 >/dev/null
  fi
fi

if [ -z "${MQTT_URL:-}" ]; then
  port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser %s\n' "$port" "$(id -un)" >"$tmp/broker.conf"
  "$mosquitto" -c "$tmp/broker.conf" >"$tmp/broker.log" 2>&1 &
  pids+=("$!")
  MQTT_URL="mqtt://127.0.0.1:$port"
  sleep 0.5
fi
broker_host="$(echo "$MQTT_URL" | sed -E 's#^mqtts?://([^:/]+).*#\1#')"
broker_port="$(echo "$MQTT_URL" | sed -nE 's#^mqtts?://[^:/]+:([0-9]+).*#\1#p')"
echo "# broker $MQTT_URL"

"$py" "$here/mqtt-windows.py" --host "$broker_host" --port "${broker_port:-1883}" --prefix site &
pids+=("$!")
sleep 1

urls=()
for cam in cam1 cam2 cam3 cam4; do
  "$tools/emo-rtsp-serve" --port 0 --mount "/$cam" "$clip" >"$tmp/$cam.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 100); do
    grep -q '^URL ' "$tmp/$cam.log" && break
    sleep 0.1
  done
  urls+=("$(sed -n 's/^URL //p' "$tmp/$cam.log")")
  echo "# $cam: ${urls[-1]}"
done

session="emosession location={location} sync=false window=$window min-window=3"
analyze() {  # analyze MACHINE URL...: one "machine"
  local machine="$1"
  shift
  "$tools/emo-analyze" --mqtt "$MQTT_URL" --mqtt-topic site --progress 0 --sink "$session" \
    -o "$out/$machine" "$@" >"$out/$machine.log" 2>&1
}
analyze machine-a "${urls[0]}" "${urls[1]}" &
a_pid=$!
analyze machine-b "${urls[2]}" "${urls[3]}" &
b_pid=$!
rc=0
wait "$a_pid" || rc=$?
wait "$b_pid" || rc=$?
sleep 1  # the last windows reach the subscriber
echo "# emo-analyze exit status: $rc; logs and JSON Lines in $out"
exit "$rc"
