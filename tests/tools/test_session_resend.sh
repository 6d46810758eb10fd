#!/usr/bin/env bash
# emo-session-resend end to end: an offline emosession run writes 3 "skipped" windows; the tool
# lists them (--dry-run), re-sends them to a failing test server into a new file (--output:
# "failed", retryable, input untouched), then to a working one in place (atomic rewrite: "ok",
# the stored prompts sent unchanged, a foreign line kept where it was), and finds nothing left.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$EMO_SOURCE_DIR/tests/pipelines/lib.sh"
resend="${EMO_TOOLS_DIR:-$EMO_BUILD_DIR/tools}/emo-session-resend"
file="$tmp/session.jsonl"
unset GEMINI_API_KEY
run_logged "$tmp/offline.log" gst-launch-1.0 videotestsrc num-buffers=150 ! \
  video/x-raw,width=64,height=48,framerate=25/1 ! \
  emosession window=2 min-window=1 context="el examen" location="$file" sync=false
echo "not a session line" >>"$file"
[ "$(grep -c '"state":"skipped"' "$file")" -eq 3 ] || fail "offline run: $(cat "$file")"
before="$(md5sum <"$file")"

"$resend" --dry-run "$file" >"$tmp/dry.txt" 2>"$tmp/dry.err" || fail "--dry-run exited $?"
[ "$(grep -c -- '-> re-send' "$tmp/dry.txt")" -eq 3 ] || fail "dry run: $(cat "$tmp/dry.txt")"
grep -q "kept as it is" "$tmp/dry.err" || fail "the foreign line is not reported"
rc=0
"$resend" "$file" >/dev/null 2>"$tmp/nokey.err" || rc=$?
if [ "$rc" -ne 2 ] || ! grep -q "no API key" "$tmp/nokey.err"; then
  fail "without a key: exit $rc, $(cat "$tmp/nokey.err")"
fi

start_gemini_server --fail-first 1000 --fail-status 503
rc=0
"$resend" -k test-key-resend -e "$gemini_endpoint" -r 0 -o "$tmp/failed.jsonl" "$file" \
  >"$tmp/failed.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "against a failing server: exit $rc, expected 1"
[ "$(md5sum <"$file")" = "$before" ] || fail "--output changed the input"
python3 - "$tmp/failed.jsonl" <<'PY' || fail "failed re-send not recorded"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 4 and lines[3] == 'not a session line'
for l in lines[:3]:
    a = json.loads(l)['analysis']
    assert a['state'] == 'failed' and a['http_status'] == 503 and a['retryable'], a
PY

kill "$gemini_server_pid"
start_gemini_server --reply "Mucho animo con el examen." --requests-log "$tmp/requests.jsonl"
"$resend" -k test-key-resend -e "$gemini_endpoint" "$file" >"$tmp/ok.txt" ||
  fail "against a working server: exit $?: $(cat "$tmp/ok.txt")"
python3 - "$file" "$tmp/requests.jsonl" <<'PY' || fail "in-place re-send wrong"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
requests = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()]
assert len(lines) == 4 and lines[3] == 'not a session line', lines
records = [json.loads(l) for l in lines[:3]]
assert [r['index'] for r in records] == [0, 1, 2]
for r in records:
    assert r['analysis']['state'] == 'ok' and r['analysis']['text'] == 'Mucho animo con el examen.'
    assert r['timeline'] == ['none', 'none'], r['timeline']
assert len(requests) == 3 and all(q['api_key'] == 'test-key-resend' for q in requests)
sent = sorted(q['body']['contents'][0]['parts'][0]['text'] for q in requests)
assert sent == sorted(r['prompt']['user_text'] for r in records), 'prompts not sent unchanged'
assert all('el examen' in t for t in sent)
PY
"$resend" --dry-run "$file" | grep -q "^0 window(s) to re-send" || fail "windows left to re-send"
note "ok"
