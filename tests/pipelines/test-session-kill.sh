#!/usr/bin/env bash
# SIGKILL in the middle of a session run: the JSON Lines file holds only whole, parseable lines.
# Two runs against a fast test server: the astronaut group clip (25 s, 1280x720, one to three
# faces) through the full chain with 2 s windows
# (killed once 3 lines are written), and a stress run of 0.2 s windows over a fast test source
# (a line about every few milliseconds; killed after 2 s). Then the windows still waiting for
# their reply when the process dies: a server that answers too late, a kill once 3 windows wait
# in the journal (FILE.pending), and emo-session-resend, which sends them again.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
clip="$(test_clip group 25)"
start_gemini_server --reply "ok"
export GEMINI_API_KEY="test-key-kill"

# kill_when FILE LINES SECONDS CMD...: runs CMD, SIGKILLs it once FILE has LINES lines or after
# SECONDS, whichever comes first; fails when CMD ended by itself.
kill_when() {
  local file="$1" lines="$2" seconds="$3" pid
  shift 3
  "$@" >"$tmp/run.log" 2>&1 &
  pid=$!
  for _ in $(seq $((seconds * 20))); do
    [ "$(wc -l <"$file" 2>/dev/null || echo 0)" -ge "$lines" ] && break
    kill -0 "$pid" 2>/dev/null || fail "the pipeline ended before the kill: $(tail -3 "$tmp/run.log")"
    sleep 0.05
  done
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
}

check_whole() {
  python3 - "$1" "$2" <<'PY' || fail "$1: not only whole lines"
import json, sys
data = open(sys.argv[1], 'rb').read()
assert data.endswith(b'\n'), 'the file ends inside a line'
lines = data.decode().splitlines()
assert len(lines) >= int(sys.argv[2]), f'only {len(lines)} lines'
for i, line in enumerate(lines):
    record = json.loads(line)
    assert record['analysis']['state'] == 'ok', f'line {i + 1}: {record["analysis"]}'
print(f'{sys.argv[1]}: {len(lines)} whole lines')
PY
}

kill_when "$tmp/clip.jsonl" 3 100 gst-launch-1.0 filesrc location="$clip" ! decodebin ! \
  videoconvert ! emofacedetect ! emolandmarks ! emoclassify ! \
  emosession window=2 min-window=1 endpoint="$gemini_endpoint" location="$tmp/clip.jsonl" \
  sync=false
check_whole "$tmp/clip.jsonl" 3

kill_when "$tmp/stress.jsonl" 1000000 2 gst-launch-1.0 videotestsrc is-live=false ! \
  video/x-raw,width=32,height=24,framerate=1000/1 ! \
  emosession window=0.2 sample-interval=0.05 min-window=0.1 endpoint="$gemini_endpoint" \
  location="$tmp/stress.jsonl" sync=false
check_whole "$tmp/stress.jsonl" 10

kill "$gemini_server_pid"
start_gemini_server --reply "late" --delay-ms 600000
kill_when "$tmp/slow.jsonl.pending" 3 100 gst-launch-1.0 filesrc location="$clip" ! decodebin ! \
  videoconvert ! emofacedetect ! emolandmarks ! emoclassify ! \
  emosession window=2 min-window=1 endpoint="$gemini_endpoint" location="$tmp/slow.jsonl" \
  sync=false
[ "$(wc -l <"$tmp/slow.jsonl")" -eq 0 ] || fail "a window without its reply reached the file"
kill "$gemini_server_pid"
start_gemini_server --reply "Recovered."
resend="${EMO_TOOLS_DIR:-$EMO_BUILD_DIR/tools}/emo-session-resend"
"$resend" -k test-key-kill -e "$gemini_endpoint" "$tmp/slow.jsonl" >"$tmp/resend.txt" \
  2>"$tmp/resend.err" || fail "emo-session-resend exited $?: $(cat "$tmp/resend.err")"
grep -q "ended before their analysis" "$tmp/resend.err" || fail "$(cat "$tmp/resend.err")"
[ ! -e "$tmp/slow.jsonl.pending" ] || fail "the journal is still there after the re-send"
check_whole "$tmp/slow.jsonl" 3
python3 - "$tmp/slow.jsonl" <<'PY' || fail "recovered windows wrong"
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
indexes = [r['index'] for r in records]
assert indexes == list(range(len(indexes))), indexes
assert all(r['analysis']['text'] == 'Recovered.' for r in records)
assert len({r['session'] for r in records}) == 1
PY
note "ok"
