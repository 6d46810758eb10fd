#!/usr/bin/env bash
# MQTT publishing against a real broker (Debian mosquitto) started here on a free 127.0.0.1 port
# with a generated config, and a real subscriber (tests/pipelines/mqtt_collect.py, paho).
# The analysis chain runs on the astronaut clip (tools/make-astronaut-clip.sh, one face on every
# frame); `emometapublish name=record` writes the file record of every frame just before
# `emometapublish name=mq method=mqtt`, so what the subscriber got is compared with it line by
# line.
#   test-mqtt.sh basic     4 s clip: every frame is a message, byte for byte the file's line;
#                          emosession publishes each window and analysis to <topic>/windows
#   test-mqtt.sh restart   12 s clip in real time, QoS 1, queue of 1000: the broker is stopped
#                          (SIGTERM) 4 s in and restarted 3 s later on the same port: the pipeline
#                          goes on, frames from after the restart arrive, dropped == missed == 0
#   test-mqtt.sh overflow  the same with max-queue=5: messages are dropped, and the dropped count
#                          equals exactly the frames the subscriber never got
#   test-mqtt.sh kill      as restart, but the broker is killed with SIGKILL (persistence saved
#                          every second): the pipeline goes on, frames from after the restart
#                          arrive, nothing is dropped; the broker may lose the few messages it had
#                          acknowledged but not delivered (at most 25 frames, 1 s, allowed)
#   test-mqtt.sh tls       TLS broker (CA and server certificate made by openssl here) with a
#                          password file: the right CA and password connect; a wrong CA and a
#                          wrong password are refused with a clear message; the password is in no
#                          log (GST_DEBUG=*:6), bus message or file
#   test-mqtt.sh bad       mqtt://no-such-host, a closed port, garbage: a clear warning and every
#                          frame goes through; fail-on-disconnect=true makes the closed port an error
#   test-mqtt.sh analyze   emo-analyze --mqtt with two files: faces and windows of each source on
#                          gst-emo/<source>/faces and gst-emo/<source>/windows
# Broker stop: SIGTERM in restart/overflow, as a service restart does (mosquitto saves its
# persistence file; the subscriber's persistent session survives), so the count is exact;
# SIGKILL in kill (persistence saved every second), where the broker may lose what it had
# acknowledged but not delivered, which no publisher can know about (README).
# Measured on 2 shared cores: basic ~10 s, restart, overflow, kill ~22 s, tls ~20 s, bad ~30 s,
# analyze ~15 s.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
mode="${1:?usage: $0 basic|restart|overflow|kill|tls|bad|analyze}"
py=/usr/bin/python3  # Debian's, with python3-paho-mqtt (not a pyenv or venv python)
[ -x "$py" ] || py=python3
collect="$EMO_SOURCE_DIR/tests/pipelines/mqtt_collect.py"
mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"  # /usr/sbin: not in every PATH
[ -x "$mosquitto" ] || fail "mosquitto not installed (tools/setup.sh)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
unset EMO_MQTT_PASSWORD GEMINI_API_KEY
start=$(date +%s)

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_broker NAME [CONFIG LINES...]: mosquitto on 127.0.0.1:$port (port chosen once, reused by
# restarts); sets broker_pid.
port="$(free_port)"
start_broker() {
  local name="$1"
  shift
  mkdir -p "$tmp/db"
  {
    echo "listener $port 127.0.0.1"
    echo "persistence true"
    echo "persistence_location $tmp/db/"
    echo "max_queued_messages 0"
    echo "log_dest stderr"
    echo "user $(id -un)"  # as root, mosquitto would switch to its own user, who cannot read $tmp
    [[ " $* " == *"allow_anonymous false"* ]] || echo "allow_anonymous true"
    printf '%s\n' "$@"
  } >"$tmp/$name.conf"
  "$mosquitto" -c "$tmp/$name.conf" >>"$tmp/$name.log" 2>&1 &
  broker_pid=$!
  pids+=("$broker_pid")
  for _ in $(seq 100); do
    "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null &&
      return 0
    kill -0 "$broker_pid" 2>/dev/null || fail "mosquitto died: $(cat "$tmp/$name.log")"
    sleep 0.1
  done
  fail "mosquitto did not listen on $port: $(cat "$tmp/$name.log")"
}

# start_sub OUT TOPIC [ARGS...]: the subscriber, once its subscription is acknowledged.
start_sub() {
  local out="$1" topic="$2"
  shift 2
  rm -f "$tmp/ready"
  "$py" "$collect" --port "$port" --topic "$topic" --out "$out" --ready "$tmp/ready" "$@" \
    2>>"$tmp/sub.err" &
  sub_pid=$!
  pids+=("$sub_pid")
  for _ in $(seq 100); do
    [ -f "$tmp/ready" ] && return 0
    kill -0 "$sub_pid" 2>/dev/null || fail "subscriber died: $(cat "$tmp/sub.err")"
    sleep 0.1
  done
  fail "subscriber not ready: $(cat "$tmp/sub.err")"
}
stop_sub() {
  sleep 0.5  # the last messages
  kill -TERM "$sub_pid" 2>/dev/null || true
  wait "$sub_pid" 2>/dev/null || true
}

clip() {  # clip SECONDS: $tmp/astronaut-SECONDS.mp4
  [ -f "$tmp/astronaut-$1.mp4" ] ||
    run_logged "$tmp/make.log" "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/astronaut-$1.mp4" "$1"
}
chain() {  # chain CLIP: the launch words up to the classifier
  echo filesrc location="$1" ! decodebin ! videoconvert ! emofacedetect ! emolandmarks ! \
    emoclassify ! emometapublish name=record location="$tmp/record.jsonl" include-landmarks=true
}

# compare OUT MESSAGES [EXPECT_DROPPED]: the subscriber's messages against the file record and
# the final counters of "mq" (its emo-publish-stats at EOS); prints "received missed dropped".
compare() {
  "$py" - "$tmp/record.jsonl" "$1" "$2" "${3:-any}" <<'PY'
import json, re, sys
record, out, messages, expect = sys.argv[1:5]
lines = {}
for l in open(record):
    o = json.loads(l)
    if o['faces']:
        lines[o['frame']] = l.rstrip('\n')
got = {}
for l in open(out):
    m = json.loads(l)
    o = json.loads(m['payload'])  # every message parses
    assert o['version'] == 1, o
    assert m['payload'] == lines.get(o['frame']), f"frame {o['frame']}: not the file's line"
    got[o['frame']] = m
stats = [l for l in open(messages) if 'from element "mq"' in l and 'event=(string)flushed' in l]
assert stats, 'no emo-publish-stats at EOS'
s = {k: v for k, v in re.findall(r'([a-z-]+)=\(guint64\)(\d+)', stats[-1])}
dropped = int(s['dropped'])
assert s['queue-length'] == '0' and s['in-flight'] == '0', stats[-1]
assert int(s['queued']) == len(lines), f"{s['queued']} queued, {len(lines)} frames with faces"
missed = sorted(set(lines) - set(got))
print(len(got), len(missed), dropped, s.get('disconnects'), s.get('connects'))
assert len(missed) == dropped, f'{len(missed)} frames missed ({missed[:10]}...), {dropped} dropped'
if expect == 'none':
    assert dropped == 0, dropped
elif expect == 'some':
    assert dropped > 0, 'nothing was dropped'
PY
}
# compare_kill OUT MESSAGES: as compare, but the broker may have lost up to 25 messages.
compare_kill() {
  "$py" - "$tmp/record.jsonl" "$1" "$2" <<'PY'
import json, re, sys
record, out, messages = sys.argv[1:4]
frames = {json.loads(l)['frame'] for l in open(record) if json.loads(l)['faces']}
got = {json.loads(json.loads(l)['payload'])['frame'] for l in open(out)}
stats = [l for l in open(messages) if 'from element "mq"' in l and 'event=(string)flushed' in l]
s = dict(re.findall(r'([a-z-]+)=\(guint64\)(\d+)', stats[-1]))
missed = sorted(frames - got)
print(len(got), len(missed), s['dropped'], s['disconnects'], s['connects'])
assert s['dropped'] == '0', stats[-1]
assert len(missed) <= 25, f'{len(missed)} frames missed: {missed}'
PY
}

case "$mode" in
  basic)
    clip 4
    start_broker broker
    start_sub "$tmp/sub.jsonl" 'gst-emo/#'
    # shellcheck disable=SC2046
    run_logged "$tmp/messages.txt" gst-launch-1.0 -m $(chain "$tmp/astronaut-4.mp4") ! tee name=t ! \
      queue ! emometapublish name=mq method=mqtt address="mqtt://127.0.0.1:$port" \
      topic=gst-emo/astro/faces ! fakesink sync=false t. ! queue ! \
      emosession name=session location="$tmp/session.jsonl" window=1 min-window=0.5 sync=false \
      address="mqtt://127.0.0.1:$port" topic=gst-emo/astro
    stop_sub
    grep '"topic": "gst-emo/astro/faces"' "$tmp/sub.jsonl" >"$tmp/faces.jsonl" || true
    read -r got missed dropped _ < <(compare "$tmp/faces.jsonl" "$tmp/messages.txt" none) ||
      fail "faces over MQTT differ from the file"
    [ "$got" -eq 100 ] || fail "$got frame messages, expected 100"
    "$py" - "$tmp/sub.jsonl" "$tmp/session.jsonl" <<'PY' || fail "session windows over MQTT"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1]) if '"gst-emo/astro/windows"' in l]
lines = [json.loads(l) for l in open(sys.argv[2])]
assert len(lines) >= 3, f'{len(lines)} windows in the file'
win = [json.loads(m['payload']) for m in msgs]
assert all(w['version'] == 1 for w in win)
closed = [w for w in win if w['event'] == 'window']
final = [w for w in win if w['event'] == 'analysis']
assert [w['index'] for w in closed] == [l['index'] for l in lines], (closed, lines)
assert len(final) == len(lines)
for f, l in zip(sorted(final, key=lambda w: w['index']), lines):
    f = dict(f); del f['event'], f['version']
    assert f == l, (f, l)  # the analysis message is the file's line
print(len(closed), 'windows,', len(final), 'analyses')
PY
    note "100 frame messages equal to the file's lines, windows and analyses on <topic>/windows"
    ;;

  restart | overflow | kill)
    clip 12
    queue=1000
    [ "$mode" != overflow ] || queue=5
    signal=TERM
    [ "$mode" != kill ] || signal=KILL
    start_broker broker "autosave_interval 1"
    start_sub "$tmp/sub.jsonl" gst-emo/faces --persistent
    # shellcheck disable=SC2046
    gst-launch-1.0 -m $(chain "$tmp/astronaut-12.mp4") ! emometapublish name=mq method=mqtt \
      address="mqtt://127.0.0.1:$port" mqtt-qos=1 max-queue=$queue ! fakesink sync=true \
      >"$tmp/messages.txt" 2>&1 &
    gst_pid=$!
    pids+=("$gst_pid")
    for _ in $(seq 200); do
      grep -q 'event=(string)connected' "$tmp/messages.txt" 2>/dev/null && break
      sleep 0.1
    done
    sleep 4
    kill -"$signal" "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
    stopped_at=$(date +%s%N)
    sleep 3
    start_broker broker "autosave_interval 1"
    restarted_at=$(date +%s%N)
    rc=0
    wait "$gst_pid" || rc=$?
    [ "$rc" -eq 0 ] || fail "the pipeline stopped (exit $rc): $(tail -5 "$tmp/messages.txt")"
    stop_sub
    grep -q 'WARNING.*MQTT: the connection to mqtt://127.0.0.1:'"$port"' was lost' \
      "$tmp/messages.txt" || fail "no warning about the lost connection"
    expect=none
    [ "$mode" != overflow ] || expect=some
    if [ "$mode" = kill ]; then
      read -r got missed dropped disconnects connects < <(compare_kill "$tmp/sub.jsonl" "$tmp/messages.txt") ||
        fail "after SIGKILL: dropped messages or too many missed"
    else
      read -r got missed dropped disconnects connects < <(compare "$tmp/sub.jsonl" "$tmp/messages.txt" $expect) ||
        fail "dropped count and missed frames disagree"
    fi
    [ "$disconnects" -ge 1 ] && [ "$connects" -ge 2 ] || fail "$disconnects disconnects, $connects connects"
    # Frames published after the restart arrived (their receive time is after it).
    after=$("$py" -c "import json,sys; print(sum(json.loads(l)['t'] > $restarted_at + 5e8 for l in open('$tmp/sub.jsonl')))")
    [ "$after" -ge 50 ] || fail "only $after messages arrived after the restart"
    note "SIG$signal: $got frames received, $missed missed, $dropped dropped (queue $queue), $after after the restart; broker down $(((restarted_at - stopped_at) / 1000000)) ms"
    ;;

  tls)
    clip 1
    password="Pw-$(date +%s%N | sha256sum | cut -c1-20)"
    cd "$tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gst-emo test CA" \
      -keyout ca.key -out ca.pem >openssl.log 2>&1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
      -keyout other.key -out other-ca.pem >>openssl.log 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key \
      -out server.csr >>openssl.log 2>&1
    printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out server.pem >>openssl.log 2>&1
    cd - >/dev/null
    "$(command -v mosquitto_passwd || echo /usr/bin/mosquitto_passwd)" -b -c "$tmp/passwords" cam1 "$password" >/dev/null 2>&1 ||
      fail "mosquitto_passwd failed"
    chmod 600 "$tmp/passwords" "$tmp/server.key"
    start_broker broker "cafile $tmp/ca.pem" "certfile $tmp/server.pem" "keyfile $tmp/server.key" \
      "allow_anonymous false" "password_file $tmp/passwords"
    EMO_MQTT_SUB_PASSWORD="$password" start_sub "$tmp/sub.jsonl" gst-emo/faces \
      --cafile "$tmp/ca.pem" --username cam1
    # run NAME CA PASSWORD: the chain publishing over TLS as cam1, GST_DEBUG=*:6 into NAME.log.
    run() {
      # shellcheck disable=SC2046
      EMO_MQTT_PASSWORD="$3" GST_DEBUG='*:6' GST_DEBUG_FILE="$tmp/$1.log" GST_DEBUG_NO_COLOR=1 \
        gst-launch-1.0 -m $(chain "$tmp/astronaut-1.mp4") ! emometapublish name=mq method=mqtt \
        address="mqtts://127.0.0.1:$port" tls-ca-file="$tmp/$2" username=cam1 ! fakesink \
        >"$tmp/$1.txt" 2>&1 || fail "$1: the pipeline failed: $(grep -m3 ERROR "$tmp/$1.txt")"
    }
    run right ca.pem "$password"
    stop_sub
    read -r got _ < <(compare "$tmp/sub.jsonl" "$tmp/right.txt" none) || fail "TLS: messages differ"
    [ "$got" -eq 25 ] || fail "TLS: $got messages, expected 25"
    run wrong-ca other-ca.pem "$password"
    grep -E 'WARNING.*MQTT: TLS handshake with mqtts://127.0.0.1:'"$port"' failed.*certificate verify failed' \
      "$tmp/wrong-ca.txt" || fail "no clear message for the wrong CA: $(grep -m2 WARN "$tmp/wrong-ca.txt")"
    run wrong-password ca.pem "not-$password"
    grep -E 'WARNING.*MQTT: mqtts://127.0.0.1:'"$port"' refused the connection: Connection Refused: (not authorised|bad user name or password)' \
      "$tmp/wrong-password.txt" ||
      fail "no clear message for the wrong password: $(grep -m2 WARN "$tmp/wrong-password.txt")"
    for f in right wrong-ca wrong-password; do
      [ "$(grep -c 'queued=(guint64)25' "$tmp/$f.txt")" -ge 1 ] || fail "$f: frames not all handled"
      [ -s "$tmp/$f.log" ] || fail "$f: no debug log"
    done
    # The password (right or wrong) is nowhere: logs at level 6, bus messages, any file here.
    hits=$(grep -rlF -e "$password" "$tmp" || true)
    [ -z "$hits" ] || fail "the password appears in: $hits"
    note "TLS: 25 messages with the right CA; wrong CA and wrong password refused by name; password in none of $(find "$tmp" -type f | wc -l) files ($(du -sh "$tmp" | cut -f1))"
    ;;

  bad)
    clip 2
    dead="$(free_port)"
    for address in mqtt://no-such-host "mqtt://127.0.0.1:$dead" garbage; do
      rm -f "$tmp/record.jsonl"
      # shellcheck disable=SC2046
      run_logged "$tmp/bad.txt" gst-launch-1.0 -m $(chain "$tmp/astronaut-2.mp4") ! \
        emometapublish name=mq method=mqtt address="$address" ! fakesink
      [ "$(wc -l <"$tmp/record.jsonl")" -eq 50 ] || fail "$address: not every frame went through"
      case "$address" in
        mqtt://no-such-host) want='MQTT: cannot resolve the broker host "no-such-host"' ;;
        garbage) want='Invalid MQTT address: "garbage" is not a broker address' ;;
        *) want="MQTT: cannot connect to mqtt://127.0.0.1:$dead: Connection refused" ;;
      esac
      grep -F "$want" "$tmp/bad.txt" | grep -q WARNING || fail "$address: no warning '$want': $(grep -m2 WARN "$tmp/bad.txt")"
      ! grep -q '^ERROR' "$tmp/bad.txt" || fail "$address: an error"
    done
    rc=0
    # shellcheck disable=SC2046
    gst-launch-1.0 -m $(chain "$tmp/astronaut-2.mp4") ! emometapublish name=mq method=mqtt \
      address="mqtt://127.0.0.1:$dead" fail-on-disconnect=true ! fakesink >"$tmp/fail.txt" 2>&1 || rc=$?
    [ "$rc" -ne 0 ] || fail "fail-on-disconnect=true: the pipeline did not fail"
    grep -q "ERROR.*MQTT: cannot connect to mqtt://127.0.0.1:$dead: Connection refused" "$tmp/fail.txt" ||
      fail "fail-on-disconnect: no clear error: $(grep -m2 ERROR "$tmp/fail.txt")"
    note "no-such-host, closed port, garbage: warned by name, 50 frames each; fail-on-disconnect: error"
    ;;

  analyze)
    clip 2
    cp "$tmp/astronaut-2.mp4" "$tmp/cam-a.mp4"
    cp "$tmp/astronaut-2.mp4" "$tmp/cam-b.mp4"
    start_broker broker
    start_sub "$tmp/sub.jsonl" 'gst-emo/#'
    run_logged "$tmp/analyze.log" "${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/tools/emo-analyze" \
      --mqtt "mqtt://127.0.0.1:$port" \
      --sink 'emosession location={location} sync=false window=1 min-window=0.5' \
      -o "$tmp/out" "$tmp/cam-a.mp4" "$tmp/cam-b.mp4"
    stop_sub
    "$py" - "$tmp/sub.jsonl" "$tmp/out" <<'PY' || fail "emo-analyze --mqtt: $(cat "$tmp/analyze.log")"
import collections, json, sys
n = collections.Counter()
for l in open(sys.argv[1]):
    m = json.loads(l)
    json.loads(m['payload'])
    n[m['topic']] += 1
print(dict(n))
for cam in ('cam-a', 'cam-b'):
    assert n[f'gst-emo/{cam}/faces'] == 50, (cam, n)
    windows = len(open(f'{sys.argv[2]}/{cam}.jsonl').read().splitlines())
    assert windows >= 1 and n[f'gst-emo/{cam}/windows'] == 2 * windows, (cam, windows, n)
PY
    grep -q '^\[cam-a\] publishing to mqtt://127.0.0.1:'"$port"' topic gst-emo/cam-a/' "$tmp/analyze.log" ||
      fail "emo-analyze did not say where it publishes: $(head -5 "$tmp/analyze.log")"
    note "emo-analyze --mqtt: faces and windows of both sources under gst-emo/<source>/"
    ;;
  *) fail "unknown mode $mode" ;;
esac
note "ok ($mode, $(($(date +%s) - start)) s)"
