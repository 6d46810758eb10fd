#!/usr/bin/env bash
# emo-analyze --http (docs/web.md) on the astronaut clip looping over RTSP (emo-rtsp-serve
# --loop on 127.0.0.1), self-contained (no shared data):
#   test_http.sh page   headless Chromium (DevTools protocol, tests/tools/http_browser.py) loads
#                       the page: the video shows frames (decoded JPEGs, a video region that is
#                       not blank), a face's emotion appears, a session window appears with its
#                       Gemini reading (the local Gemini test server); the screenshot is kept
#                       (EMO_HTTP_SCREENSHOT=PATH copies it, e.g. docs/images/web-page.png). ~35 s
#   test_http.sh api    a second camera added (POST) and ended (DELETE: EOS, last window
#                       written, analyses waited for) while the first keeps streaming; bad
#                       requests get their 4xx and change nothing (unknown source, malformed
#                       JSON, a URI that is not rtsp/file/v4l2, a body over 4096 bytes, no JSON
#                       content type, too many MJPEG viewers); credentials of a URI never reach
#                       the API; a camera nobody answers is "reconnecting" (attempt k of n)
#                       and ends on DELETE; a late events client gets past frames. ~45 s
#   test_http.sh token  --http-token-env: 401 and no frame or event without the token (Bearer
#                       or login cookie); the token never in the output; --http PORT binds
#                       127.0.0.1. ~15 s
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$EMO_SOURCE_DIR/tests/pipelines/lib.sh"
mode="${1:?usage: $0 page|api|token}"
tools="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/tools"
analyze="$tools/emo-analyze"
serve="$tools/emo-rtsp-serve"
browser=(/usr/bin/python3 "$EMO_SOURCE_DIR/tests/tools/http_browser.py")
for t in "$serve" "$analyze"; do [ -x "$t" ] || fail "$t not built"; done
command -v curl >/dev/null || fail "curl is not installed (tools/setup.sh installs it)"
unset GEMINI_API_KEY
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/astronaut.mp4" 6 >/dev/null
"$serve" --port 0 --loop "$tmp/astronaut.mp4" >"$tmp/rtsp.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  rtsp_port="$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$tmp/rtsp.log")"
  [ -n "$rtsp_port" ] && break
  sleep 0.1
done
[ -n "$rtsp_port" ] || fail "emo-rtsp-serve did not start: $(cat "$tmp/rtsp.log")"
url="rtsp://127.0.0.1:$rtsp_port/stream"
name="127.0.0.1-$rtsp_port-stream"

# start_analyze LOG ARGS...: emo-analyze --http on a free port; sets http (the base URL).
start_analyze() {
  local log="$1"
  shift
  "$analyze" --http "${http_spec:-127.0.0.1:0}" -o "$tmp/out" --progress 0 "$@" >"$log" 2>&1 &
  analyze_pid=$!
  pids+=("$analyze_pid")
  http=""
  for _ in $(seq 100); do
    http="$(sed -n 's|^\[http\] serving \(http://[^ ]*\)/ .*|\1|p' "$log")"
    [ -n "$http" ] && return 0
    kill -0 "$analyze_pid" 2>/dev/null || fail "emo-analyze died: $(cat "$log")"
    sleep 0.1
  done
  fail "emo-analyze did not say where it serves: $(cat "$log")"
}

# status METHOD PATH [CURL ARGS...]: prints the HTTP status; the body goes to $tmp/body.
status() {
  local method="$1" path="$2"
  shift 2
  curl -s -o "$tmp/body" -w '%{http_code}' -X "$method" "$@" "$http$path"
}

# expect CODE METHOD PATH [CURL ARGS...]
expect() {
  local want="$1" got
  shift
  got="$(status "$@")"
  [ "$got" = "$want" ] || fail "$1 $2: HTTP $got, expected $want: $(head -c 300 "$tmp/body")"
}

# state_of NAME: the source's state in /api/sources ("" when not listed).
state_of() {
  curl -s "$http/api/sources" | /usr/bin/python3 -c "
import json, sys
print(next((s['state'] for s in json.load(sys.stdin) if s['name'] == sys.argv[1]), ''))" "$1"
}

# wait_state NAME STATE SECONDS
wait_state() {
  for _ in $(seq $(($3 * 5))); do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  fail "$1 is not $2 after $3 s but '$(state_of "$1")'"
}

case "$mode" in
  page)
    start_gemini_server --reply "She looks delighted; a warm, steady smile." --delay-ms 300
    pids+=("$gemini_server_pid")
    trap cleanup EXIT
    session="emosession location={location} sync=false window=4 min-window=1"
    session+=" endpoint=$gemini_endpoint api-key=test-key"
    start_analyze "$tmp/analyze.log" --sink "$session" "$url"
    wait_state "$name" streaming 20
    rc=0
    "${browser[@]}" "$http/" --timeout 40 --stay 1 --size 1280x960 --screenshot "$tmp/page.png" \
      --wait 'video=document.querySelector(".source[data-video]")' \
      --wait 'emotion=document.querySelector(".faces .emotion[data-emotion]")' \
      --wait 'reading=document.querySelector(".windows li[data-analysis=ok] .reading")?.textContent.length > 0' \
      --wait 'chart=document.querySelector(".timeline .uplot")' \
      --eval 'video=document.querySelector(".source").dataset.video' \
      --eval 'emotion=document.querySelector(".faces .emotion").dataset.emotion' \
      --eval 'reading=document.querySelector(".windows li[data-analysis=ok] .reading").textContent' \
      --eval 'box=JSON.stringify(document.querySelector(".video").getBoundingClientRect())' \
      --eval 'stats=document.getElementById("stats").textContent' \
      --eval 'text=document.body.innerText' >"$tmp/browser.json" || rc=$?
    cat "$tmp/browser.json"
    [ "$rc" -eq 0 ] || fail "the page did not show everything within 40 s"
    # The video's region of the screenshot holds a picture, not a blank or black box.
    /usr/bin/python3 - "$tmp/browser.json" "$tmp/page.png" <<'PY' || fail "the page does not show what it should (above)"
import json, sys
import cv2
r = json.load(open(sys.argv[1]))['evals']
box = json.loads(r['box'])
img = cv2.imread(sys.argv[2])
x, y, w, h = (int(box[k]) for k in ('x', 'y', 'width', 'height'))
region = img[y:y + h, x:x + w]
assert region.size and region.std() > 20, f'video region {x},{y} {w}x{h} std {region.std():.1f}'
assert r['emotion'], r
assert 'She looks delighted' in r['reading'], r['reading']
assert 'Window 0' in r['text'], r['text']
w, h = (int(v) for v in r['video'].split('x'))
assert w <= 640 and h <= 360 and w > 0, r['video']
print(f'video {r["video"]}, emotion {r["emotion"]}, region std {region.std():.1f}')
PY
    grep -q "test-key" "$tmp/analyze.log" && fail "the API key reached the output"
    if [ -n "${EMO_HTTP_SCREENSHOT:-}" ]; then cp "$tmp/page.png" "$EMO_HTTP_SCREENSHOT"; fi
    ;;
  api)
    start_analyze "$tmp/analyze.log" --http-max-viewers 1 \
      --sink "emosession location={location} sync=false window=3 min-window=1" "$url"
    wait_state "$name" streaming 20
    before="$(curl -s "$http/api/sources" | /usr/bin/python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin)))')"
    # Bad requests: each gets its 4xx and changes nothing.
    expect 404 DELETE /api/sources/nobody
    expect 404 GET /api/sources/nobody/video.mjpeg
    expect 400 POST /api/sources -H 'Content-Type: application/json' --data '{"uri": '
    grep -q "malformed JSON" "$tmp/body" || fail "no reason for malformed JSON: $(cat "$tmp/body")"
    expect 400 POST /api/sources -H 'Content-Type: application/json' --data '{"uri": "http://x/y"}'
    expect 400 POST /api/sources -H 'Content-Type: application/json' --data '{"uri": "/etc/passwd"}'
    expect 422 POST /api/sources -H 'Content-Type: application/json' \
      --data '{"uri": "file:///nonexistent/clip.mp4"}'
    head -c 5000 /dev/zero | tr '\0' 'a' >"$tmp/big"
    expect 413 POST /api/sources -H 'Content-Type: application/json' --data-binary "@$tmp/big"
    expect 415 POST /api/sources --data "{\"uri\": \"$url\"}"
    expect 405 PUT /api/sources
    # One viewer is the cap here: a second one gets 429.
    curl -s -o "$tmp/viewer1.mjpeg" --max-time 6 "$http/api/sources/$name/video.mjpeg" &
    viewer=$!
    sleep 2
    expect 429 GET "/api/sources/$name/video.mjpeg" --max-time 5
    wait "$viewer" || true
    grep -q "Content-Type: image/jpeg" "$tmp/viewer1.mjpeg" || fail "the viewer got no JPEG part"
    after="$(curl -s "$http/api/sources" | /usr/bin/python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin)))')"
    [ "$before" = "$after" ] || fail "a bad request changed the sources: $before -> $after"
    # Events while the second camera comes and goes.
    curl -sN --max-time 40 "$http/api/events" >"$tmp/events.txt" &
    events=$!
    expect 201 POST /api/sources -H 'Content-Type: application/json' \
      --data "{\"uri\": \"rtsp://viewer:pa55word@127.0.0.1:$rtsp_port/stream\"}"
    second="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$tmp/body")"
    [ "$second" = "$name-2" ] || fail "the second camera is named '$second'"
    grep -q "pa55word" "$tmp/body" && fail "the URI's password reached the API"
    wait_state "$second" streaming 20
    sleep 5  # two windows of the second camera
    frames_before="$(grep -c "\"source\":\"$name\"" "$tmp/events.txt" || true)"
    expect 202 DELETE "/api/sources/$second"
    wait_state "$second" finished 30
    sleep 2
    frames_after="$(grep -c "\"source\":\"$name\"" "$tmp/events.txt" || true)"
    [ "$frames_after" -gt "$frames_before" ] || fail "the first camera stopped sending events"
    [ "$(state_of "$name")" = streaming ] || fail "the first camera is $(state_of "$name")"
    grep -q "^\[$second\] done: .* windows -> " "$tmp/analyze.log" ||
      fail "the second camera did not finish cleanly: $(grep "^\[$second\]" "$tmp/analyze.log")"
    # Every window the second camera closed (its "window" events) is in its file, each once,
    # with a final analysis state (offline: skipped), the last line whole.
    /usr/bin/python3 - "$tmp/out/$second.jsonl" "$tmp/events.txt" "$second" <<'PY' ||
import json, sys
data = open(sys.argv[1], 'rb').read()
assert data.endswith(b'\n'), 'the last line is not whole'
w = [json.loads(l) for l in data.decode().splitlines()]
events = [json.loads(l[6:]) for l in open(sys.argv[2]) if l.startswith('data: {')]
closed = [e['index'] for e in events if e.get('event') == 'window' and e['source'] == sys.argv[3]]
assert len(w) >= 2, f'{len(w)} windows'
assert [r['index'] for r in w] == list(range(len(w))), [r['index'] for r in w]
assert set(closed) <= {r['index'] for r in w}, (closed, len(w))
assert all(r['analysis']['state'] == 'skipped' for r in w), [r['analysis']['state'] for r in w]
print(f'{len(w)} windows of the removed camera written ({len(closed)} window events), last closed by {w[-1]["closed_by"]}')
PY
      fail "bad JSON Lines of the second camera"
    grep -q '"event":"state".*"state":"finished"' "$tmp/events.txt" || fail "no finished state event"
    expect 200 DELETE "/api/sources/$second"
    expect 404 GET "/api/sources/$second"
    sleep 1
    kill "$events" 2>/dev/null || true
    grep -q "^event: removed" "$tmp/events.txt" || fail "no removed event"
    # A client that connects late gets a frame a second of the past (for the page's timeline).
    timeout 2 curl -sN "$http/api/events" >"$tmp/late.txt" || true
    n="$(grep -A1 "^event: history" "$tmp/late.txt" | grep -c "\"source\":\"$name\"" || true)"
    [ "$n" -ge 5 ] || fail "only $n history events for a late client"
    # A camera nobody answers: "reconnecting", attempt k of n; DELETE ends it meanwhile.
    expect 201 POST /api/sources -H 'Content-Type: application/json' \
      --data '{"uri": "rtsp://127.0.0.1:1/nobody"}'
    wait_state 127.0.0.1-1-nobody reconnecting 15
    curl -s "$http/api/sources/127.0.0.1-1-nobody" | grep -q '"attempt":[1-9],"retries":5' ||
      fail "no attempt of the reconnecting camera: $(curl -s "$http/api/sources/127.0.0.1-1-nobody")"
    expect 202 DELETE /api/sources/127.0.0.1-1-nobody
    wait_state 127.0.0.1-1-nobody finished 15
    [ "$(state_of "$name")" = streaming ] || fail "the first camera is $(state_of "$name")"
    grep -q "pa55word" "$tmp/events.txt" "$tmp/analyze.log" && fail "the URI's password leaked"
    ;;
  token)
    export EMO_TEST_HTTP_TOKEN="tok-$RANDOM-$RANDOM-secret"
    http_spec=0  # a port alone: the loopback address
    start_analyze "$tmp/analyze.log" --http-token-env EMO_TEST_HTTP_TOKEN \
      --sink "fakesink sync=false" "$url"
    [[ "$http" == http://127.0.0.1:* ]] || fail "--http PORT serves $http, not 127.0.0.1"
    for path in / /api/sources /api/events "/api/sources/$name/video.mjpeg" /app.js; do
      expect 401 GET "$path" --max-time 5
      grep -q "image/jpeg\|event: \|\"name\"" "$tmp/body" && fail "GET $path without token leaked data"
    done
    expect 401 POST /api/sources -H 'Content-Type: application/json' --data "{\"uri\": \"$url\"}"
    expect 401 DELETE "/api/sources/$name"
    expect 401 GET /api/sources -H "Authorization: Bearer wrong"
    expect 200 GET /api/sources -H "Authorization: Bearer $EMO_TEST_HTTP_TOKEN"
    grep -q "\"$name\"" "$tmp/body" || fail "the sources with the token: $(cat "$tmp/body")"
    # The login form: a wrong token is refused, the right one sets a cookie (not the token).
    expect 401 POST /login --data "token=wrong"
    expect 303 POST /login --data-urlencode "token=$EMO_TEST_HTTP_TOKEN" -c "$tmp/cookies"
    grep -q "emo_session" "$tmp/cookies" || fail "no session cookie"
    grep -q "$EMO_TEST_HTTP_TOKEN" "$tmp/cookies" && fail "the cookie holds the token"
    expect 200 GET / -b "$tmp/cookies"
    grep -q "gst-emo live" "$tmp/body" || fail "the page with the cookie"
    timeout 5 curl -sN -b "$tmp/cookies" "$http/api/events" >"$tmp/events.txt" || true
    grep -q "^event: state" "$tmp/events.txt" || fail "no events with the cookie"
    grep -q "$EMO_TEST_HTTP_TOKEN" "$tmp/analyze.log" && fail "the token reached the output"
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac
note "$mode passed"
