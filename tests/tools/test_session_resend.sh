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
assert sent == sorted(r['context'].join(r['prompt']['user_text_parts']) for r in records), 'prompts not sent unchanged'
assert all('el examen' in t for t in sent)
PY
"$resend" --dry-run "$file" | grep -q "^0 window(s) to re-send" || fail "windows left to re-send"

# Hostile lines (issue 13): nested 100 000 levels deep, INT64_MIN/MAX times, counts that are a
# string, an array or an object, in the file and in a killed run's journal. Each is named and
# kept; none crashes the tool or makes json-glib complain; the good journal window is re-sent.
hostile="$tmp/hostile.jsonl"
python3 - "$file" "$hostile" <<'PY'
import json, sys
good = json.loads(open(sys.argv[1]).read().splitlines()[0])
deep = '{"session":' + '[' * 100000 + ']' * 100000 + '}'
def variant(index, **changes):
    r = dict(good, index=index, session="killed-run")
    r.update(changes)
    return json.dumps(r)
with open(sys.argv[2], "w") as f:
    f.write(json.dumps(good) + "\n" + deep + "\n")
with open(sys.argv[2] + ".pending", "w") as f:
    f.write(deep + "\n")
    f.write(variant(7, start=-2**63, end=2**63 - 1) + "\n")
    f.write(variant(8, counts={"none": "2"}) + "\n")
    f.write(variant(9, counts={"none": [2]}) + "\n")
    f.write(variant(10, counts={"none": {"n": 2}}) + "\n")
    f.write(variant(11, analysis=dict(good["analysis"], state="pending")) + "\n")
PY
"$resend" --dry-run "$hostile" >"$tmp/hostile.txt" 2>"$tmp/hostile.err" ||
  fail "hostile lines: exit $?: $(cat "$tmp/hostile.err")"
grep -q "hostile.jsonl:2 kept as it is: JSON nested deeper than 64 levels" "$tmp/hostile.err" ||
  fail "deep line in the file not named: $(cat "$tmp/hostile.err")"
for n in 1 2 3 4 5; do
  grep -q "hostile.jsonl.pending:$n kept as it is" "$tmp/hostile.err" ||
    fail "journal line $n not named: $(cat "$tmp/hostile.err")"
done
grep -q 'pending:2 kept as it is: member "start"' "$tmp/hostile.err" || fail "INT64 times accepted"
[ "$(grep -c 'is not a count' "$tmp/hostile.err")" -eq 3 ] || fail "mistyped counts accepted"
! grep -q "CRITICAL" "$tmp/hostile.err" || fail "json-glib complained: $(cat "$tmp/hostile.err")"
grep -q "^killed-run/11: pending -> re-send" "$tmp/hostile.txt" ||
  fail "the good journal window is not listed: $(cat "$tmp/hostile.txt")"
# Re-sent in place: the journal goes, its bad lines are kept beside it, the deep line stays.
"$resend" -k test-key-resend -e "$gemini_endpoint" "$hostile" >/dev/null 2>"$tmp/hostile2.err" ||
  fail "hostile re-send: exit $?: $(cat "$tmp/hostile2.err")"
[ ! -e "$hostile.pending" ] || fail "journal not removed"
[ "$(wc -l <"$hostile.pending.rejected")" -eq 5 ] || fail "rejected journal lines not all kept"
[ "$(sed -n 2p "$hostile" | wc -c)" -gt 200000 ] || fail "the deep line of the file was lost"
grep -q '"index":11' "$hostile" || fail "the journal window was not moved into the file"

# A hostile server: a reply nested 100 000 levels deep is a failed analysis, not a crash.
kill "$gemini_server_pid"
python3 -c "print('{\"candidates\":' + '[' * 100000 + ']' * 100000 + '}')" >"$tmp/deep-reply.json"
start_gemini_server --raw-body-file "$tmp/deep-reply.json"
python3 - "$file" "$tmp/deep-in.jsonl" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[0])
r["analysis"]["state"] = "pending"
open(sys.argv[2], "w").write(json.dumps(r) + "\n")
PY
rc=0
"$resend" -k test-key-resend -e "$gemini_endpoint" -r 0 "$tmp/deep-in.jsonl" >"$tmp/deep.txt" 2>&1 || rc=$?
grep -q "failed: malformed reply: JSON nested deeper than 64 levels" "$tmp/deep.txt" ||
  fail "deep reply (exit $rc): $(cat "$tmp/deep.txt")"
grep -q '"state":"failed"' "$tmp/deep-in.jsonl" || fail "deep reply not recorded as failed"
note "ok"
