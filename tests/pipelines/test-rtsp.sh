#!/usr/bin/env bash
# emo-analyze against a real RTSP server (emo-rtsp-serve, gst-rtsp-server) on 127.0.0.1 that
# serves the astronaut group clip (25 s, 1280x720, tools/make-astronaut-clip.sh --scene group) once (H.264 passed through, real time), with
# emosession windows of 10 s (offline: no API key, unless the mode starts the Gemini test
# server).
#   test-rtsp.sh basic        the whole stream: exit 0, 3 whole JSON lines (10 s, 10 s, ~5 s)
#   test-rtsp.sh reconnect    the server is killed 4 s into the stream and restarted 3 s later
#                             on the same port: "lost", "reconnected", windows after the gap,
#                             the running time goes on across the gap
#   test-rtsp.sh unreachable  the good stream plus an rtsp:// URL nobody answers: the good one
#                             completes, the bad one is given up by name, exit status 1
#   test-rtsp.sh sigint       the stream and a file, SIGINT 12 s in: both sessions finish,
#                             the analyses (Gemini test server, 2 s per reply) are waited for,
#                             exit 0, only whole lines
#   test-rtsp.sh scripts      10 s of the clip: pipelines/rtsp-headless.sh writes its JSON
#                             Lines; pipelines/rtsp-serve-annotated.sh serves the annotated clip
#                             and a client decodes 1280x720 frames from it
# Measured on 2 shared cores: basic ~26 s, reconnect ~39 s, unreachable ~31 s, sigint ~18 s,
# scripts ~25 s.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
mode="${1:?usage: $0 basic|reconnect|unreachable|sigint}"
tools="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/tools"
serve="$tools/emo-rtsp-serve"
analyze="$tools/emo-analyze"
clip="$(test_clip group 25)"
for t in "$serve" "$analyze"; do [ -x "$t" ] || fail "$t not built"; done
unset GEMINI_API_KEY
pids=()  # every process started here, killed on exit
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The whole clip (625 frames, 25 s at 25 fps; 250 frames, 10 s, for the scripts), cut without
# re-encoding.
frames=625
[ "$mode" != scripts ] || frames=250
cut="$tmp/clip-$((frames / 25))s.mp4"
gst-launch-1.0 -q filesrc location="$clip" ! qtdemux ! h264parse ! identity eos-after=$frames ! \
  mp4mux ! filesink location="$cut" >"$tmp/cut.log" 2>&1 || fail "cannot cut $clip"

# start_server PORT LOG: emo-rtsp-serve on 127.0.0.1:PORT (0 = any); sets server_pid, port.
start_server() {
  "$serve" --port "$1" "$cut" >"$2" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  port=""
  for _ in $(seq 100); do
    port="$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$2")"
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "emo-rtsp-serve died: $(cat "$2")"
    sleep 0.1
  done
  fail "emo-rtsp-serve did not print its port: $(cat "$2")"
}

# wait_for_line FILE REGEX SECONDS: waits until FILE has a line matching REGEX.
wait_for_line() {
  for _ in $(seq $(($3 * 10))); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no line matching '$2' in $1 after $3 s: $(tail -n 5 "$1")"
}

# check_jsonl FILE MIN_LINES: whole, parseable lines, windows in order, offline analyses.
check_jsonl() {
  python3 - "$1" "$2" <<'PY' || fail "bad JSON Lines in $1: $(cat "$1")"
import json, sys
data = open(sys.argv[1], 'rb').read()
assert data.endswith(b'\n'), 'the last line is not whole'
w = [json.loads(l) for l in data.decode().splitlines()]
assert len(w) >= int(sys.argv[2]), f'{len(w)} lines, expected at least {sys.argv[2]}'
for i, r in enumerate(w):
    assert r['index'] == i, r['index']
    assert r['end'] > r['start'] and len(r['timeline']) == sum(r['counts'].values())
    assert r['analysis']['state'] in ('skipped', 'ok'), r['analysis']
    if i:
        assert r['start'] >= w[i - 1]['end'], 'windows overlap'
PY
}

out="$tmp/out"
session='emosession location={location} sync=false window=10 min-window=3'
start_server 0 "$tmp/server.log"
url="rtsp://127.0.0.1:$port/stream"
name="127.0.0.1-$port-stream"
jsonl="$out/$name.jsonl"
start=$(date +%s)

case "$mode" in
  basic)
    rc=0
    "$analyze" --sink "$session" -o "$out" "$url" >"$tmp/analyze.log" 2>&1 || rc=$?
    cat "$tmp/analyze.log"
    [ "$rc" -eq 0 ] || fail "exit status $rc"
    grep -q "^\[$name\] streaming from $url" "$tmp/analyze.log" || fail "no 'streaming from'"
    grep -qE "^\[$name\] done: [0-9]+ frames analysed, 3 windows" "$tmp/analyze.log" ||
      fail "no 'done' line with 3 windows"
    check_jsonl "$jsonl" 3
    python3 - "$jsonl" "$tmp/analyze.log" <<'PY' || fail "unexpected windows: $(cat "$jsonl")"
import json, re, sys
w = [json.loads(l) for l in open(sys.argv[1])]
s = 1e9
assert len(w) == 3, len(w)
# 25 s of stream in running time: two full 10 s windows, then the rest (~5 s) at EOS.
assert [r['closed_by'] for r in w] == ['full', 'full', 'eos'], [r['closed_by'] for r in w]
assert abs(w[0]['duration'] / s - 10) < 0.01 and abs(w[1]['duration'] / s - 10) < 0.01
assert 3 <= w[2]['duration'] / s <= 6.5, w[2]['duration'] / s
frames = sum(r['frames'] for r in w)
done = int(re.search(r'done: (\d+) frames', open(sys.argv[2]).read()).group(1))
assert frames == done and frames >= 150, f'{frames} frames in the windows, {done} analysed'
assert sum(r['face_frames'] for r in w) > frames / 2, 'faces on fewer than half the frames'
PY
    ;;

  reconnect)
    "$analyze" --sink "$session" -o "$out" --backoff 0.5 "$url" >"$tmp/analyze.log" 2>&1 &
    analyze_pid=$!
    pids+=("$analyze_pid")
    wait_for_line "$tmp/analyze.log" "streaming from" 20
    # 4 s: well inside the first 10 s window also when a loaded machine took a few seconds of
    # running time to start streaming (at 8 s the first window had once closed before the drop).
    sleep 4
    kill -9 "$server_pid"
    wait_for_line "$tmp/analyze.log" "\] lost $url" 20
    sleep 3
    start_server "$port" "$tmp/server2.log"
    rc=0
    wait "$analyze_pid" || rc=$?
    cat "$tmp/analyze.log"
    [ "$rc" -eq 0 ] || fail "exit status $rc"
    grep -qE "^\[$name\] lost $url: .*server closed the connection.*; reconnecting in" \
      "$tmp/analyze.log" || fail "the drop was not reported"
    grep -qE "^\[$name\] reconnected to $url after [0-9]+ attempts?" "$tmp/analyze.log" ||
      fail "no 'reconnected' line"
    check_jsonl "$jsonl" 3
    python3 - "$jsonl" <<'PY' || fail "no windows across the gap: $(cat "$jsonl")"
import json, sys
w = [json.loads(l) for l in open(sys.argv[1])]
s = 1e9
gaps = [(w[i - 1]['end'] / s, w[i]['start'] / s) for i in range(1, len(w))
        if w[i]['start'] - w[i - 1]['end'] > 2 * s]
assert len(gaps) == 1, f'expected one gap of more than 2 s, got {gaps}'
before = [r for r in w if r['end'] / s <= gaps[0][0]]
after = [r for r in w if r['start'] / s >= gaps[0][1]]
assert before and after, 'no windows on both sides of the gap'
assert before[-1]['closed_by'] in ('segment', 'gap'), before[-1]['closed_by']
# The pipeline's running time went on: the restarted stream (25 s again) ends well after 25 s.
assert after[-1]['end'] / s > 30, f"last window ends at {after[-1]['end'] / s} s"
assert sum(r['frames'] for r in after) >= 100, 'too few frames after the reconnect'
PY
    ;;

  unreachable)
    # A port that nobody listens on: bound by the kernel for a moment, then closed.
    dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    bad="rtsp://127.0.0.1:$dead/nothing"
    rc=0
    "$analyze" --sink "$session" -o "$out" --retries 2 --backoff 0.5 "$bad" "$url" \
      >"$tmp/analyze.log" 2>&1 || rc=$?
    cat "$tmp/analyze.log"
    [ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (one source failed)"
    grep -qE "^\[127.0.0.1-$dead-nothing\] giving up on $bad after 3 attempts \(it never answered\)" \
      "$tmp/analyze.log" || fail "the unreachable camera was not reported by name"
    grep -qE "^\[127.0.0.1-$dead-nothing\] failed:" "$tmp/analyze.log" || fail "no 'failed' line"
    grep -qE "^\[$name\] done: [0-9]+ frames analysed, 3 windows" "$tmp/analyze.log" ||
      fail "the good source did not complete"
    grep -q "^2 sources, 1 failed" "$tmp/analyze.log" || fail "no summary line"
    check_jsonl "$jsonl" 3
    ;;

  sigint)
    start_gemini_server --reply "Se os ve tranquilos." --delay-ms 2000
    pids+=("$gemini_server_pid")
    trap cleanup EXIT  # start_gemini_server set its own
    # min-window=1: the file (analysed at whatever speed the shared cores allow) has a window
    # even when few of its frames were analysed before the SIGINT.
    "$analyze" --sink "$session min-window=1 endpoint=$gemini_endpoint api-key=test-key eos-timeout=20" \
      -o "$out" "$url" "$cut" >"$tmp/analyze.log" 2>&1 &
    analyze_pid=$!
    pids+=("$analyze_pid")
    wait_for_line "$tmp/analyze.log" "\[$name\] streaming from" 20
    sleep 12
    kill -INT "$analyze_pid"
    rc=0
    wait "$analyze_pid" || rc=$?
    cat "$tmp/analyze.log"
    [ "$rc" -eq 0 ] || fail "exit status $rc after SIGINT"
    grep -q "^stopping:" "$tmp/analyze.log" || fail "SIGINT not acknowledged"
    for n in "$name" clip-25s; do
      grep -qE "^\[$n\] done:" "$tmp/analyze.log" || fail "$n did not finish cleanly"
      check_jsonl "$out/$n.jsonl" 1
      python3 - "$out/$n.jsonl" "$tmp/analyze.log" "$n" <<'PY' || fail "$n: session cut short"
import json, re, sys
w = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
windows = int(re.search(r'\[%s\] done: \d+ frames analysed, (\d+) windows' % re.escape(sys.argv[3]), log).group(1))
# Every window posted is in the file, with its reply: the pending analyses were waited for.
assert len(w) == windows, f'{len(w)} lines, {windows} windows posted'
assert w, 'no window'
for r in w:
    assert r['analysis']['state'] == 'ok' and r['analysis']['text'] == 'Se os ve tranquilos.', r['analysis']
PY
    done
    ;;
  scripts)
    EMO_SESSION_PROPS="window=10 min-window=3" run_logged "$tmp/headless.log" \
      "$EMO_SOURCE_DIR/pipelines/rtsp-headless.sh" "$url" "$tmp/headless.jsonl"
    check_jsonl "$tmp/headless.jsonl" 1
    "$EMO_SOURCE_DIR/pipelines/rtsp-serve-annotated.sh" "$cut" 0 >"$tmp/annotated.log" 2>&1 &
    pids+=("$!")
    wait_for_line "$tmp/annotated.log" "^PORT [0-9]+" 20
    aport="$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$tmp/annotated.log")"
    # A stock client: 24 frames, then EOS. Its exit code is not the check: rtspsrc (1.22) can
    # race its own PAUSE against its TEARDOWN when it is shut down, and then posts "Could not
    # send message" after the server has answered the TEARDOWN and closed the connection
    # (seen once in CI). What must hold is that the frames came and the stream ended in EOS
    # with no error before the shutdown.
    gst-launch-1.0 -v rtspsrc location="rtsp://127.0.0.1:$aport/stream" protocols=tcp ! \
      rtph264depay ! h264parse ! avdec_h264 ! identity eos-after=24 ! fakesink name=client \
      >"$tmp/client.log" 2>&1 || true
    grep -q 'GstFakeSink:client.GstPad:sink: caps = video/x-raw.*width=(int)1280, height=(int)720' \
      "$tmp/client.log" || fail "no 1280x720 frames from the annotated stream: $(tail "$tmp/client.log")"
    sed '/^Setting pipeline to NULL/q' "$tmp/client.log" >"$tmp/client-run.log"
    grep -q '^Got EOS from element "pipeline0"' "$tmp/client-run.log" ||
      fail "the client did not reach EOS: $(tail "$tmp/client.log")"
    ! grep -q '^ERROR' "$tmp/client-run.log" ||
      fail "the client failed before its shutdown: $(grep -A3 '^ERROR' "$tmp/client-run.log")"
    ;;
  *) fail "unknown mode $mode" ;;
esac
note "ok ($mode, $(($(date +%s) - start)) s)"
