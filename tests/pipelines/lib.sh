# shellcheck shell=bash disable=SC2034  # its variables are used by the tests sourcing it
# Sourced by the pipeline tests: strict mode, the environment CTest gives (with defaults for a
# manual run from the source tree), a temporary directory removed on exit and small helpers.
set -euo pipefail
EMO_SOURCE_DIR="${EMO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# The research data set, for the tests labelled `data` only (docs/testing.md): EMO_DATA_DIR,
# else its older name EMO_SHARED_DATA, else ../shared/data beside the source tree.
EMO_DATA_DIR="${EMO_DATA_DIR:-${EMO_SHARED_DATA:-$EMO_SOURCE_DIR/../shared/data}}"
EMO_SHARED_DATA="$EMO_DATA_DIR"
# GST_PLUGIN_PATH and GST_EMO_MODEL_DIR: CTest's, else the defaults of the pipelines/ scripts.
# shellcheck source=pipelines/env.sh
source "$EMO_SOURCE_DIR/pipelines/env.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
test_name="$(basename "$0" .sh)"

fail() {
  echo "FAIL $test_name: $*" >&2
  exit 1
}
note() { echo "$test_name: $*"; }

# need_data PATH: PATH under the data set, or a failure saying where the data comes from.
need_data() {
  [ -e "$EMO_DATA_DIR/$1" ] ||
    fail "$EMO_DATA_DIR/$1 not found: this test needs the research data set (label data; EMO_DATA_DIR, default ../shared/data beside the project; docs/testing.md says where it comes from)"
  echo "$EMO_DATA_DIR/$1"
}

# test_clip SCENE SECONDS: prints the path of an astronaut clip (tools/make-astronaut-clip.sh
# --scene SCENE, 1280x720, 25 fps; its drawn face boxes beside it as .jsonl), made once per
# build tree in $EMO_BUILD_DIR/test-clips and again when the generator changes; parallel tests
# wait for the one making it.
test_clip() {
  local dir="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/test-clips" name="$1-$2s"
  local stamp
  mkdir -p "$dir"
  stamp="$(cat "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$EMO_SOURCE_DIR/tools/astronaut-scenes.py" | md5sum)"
  (
    flock 9
    if [ "$(cat "$dir/$name.stamp" 2>/dev/null)" != "$stamp" ]; then
      rm -f "$dir/$name.mp4" "$dir/$name.stamp"
      "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" --scene "$1" --truth "$dir/$name.jsonl" \
        "$dir/$name.tmp.mp4" "$2" >"$dir/$name.log" 2>&1 || { cat "$dir/$name.log" >&2; exit 1; }
      mv "$dir/$name.tmp.mp4" "$dir/$name.mp4"
      echo "$stamp" >"$dir/$name.stamp"
    fi
  ) 9>"$dir/.lock" || fail "cannot make the $1 clip"
  echo "$dir/$name.mp4"
}

# summarize [--json] MESSAGES: pipelines/summarize-messages.py over `gst-launch-1.0 -m` output.
summarize() { python3 "$EMO_SOURCE_DIR/pipelines/summarize-messages.py" "$@"; }

# run_logged LOG CMD...: runs CMD with stdout and stderr into LOG; shows LOG's tail on failure.
run_logged() {
  local log="$1" rc=0
  shift
  "$@" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$log" >&2
    fail "exit code $rc: $*"
  fi
}

# raw_frames FILE OUT.rgb: decodes FILE's video to packed RGB in OUT.rgb; prints "W H FRAMES".
raw_frames() {
  gst-launch-1.0 -v filesrc location="$1" ! decodebin ! videoconvert ! \
    video/x-raw,format=RGB ! filesink location="$2" >"$tmp/raw.log" 2>&1 ||
    fail "cannot decode $1: $(grep -A1 ERROR "$tmp/raw.log" | head -2)"
  python3 - "$tmp/raw.log" "$2" <<'PY'
import os, re, sys
caps = [l for l in open(sys.argv[1]) if 'GstFileSink' in l and 'caps = video/x-raw' in l][-1]
w = int(re.search(r'width=\(int\)(\d+)', caps).group(1))
h = int(re.search(r'height=\(int\)(\d+)', caps).group(1))
size = os.path.getsize(sys.argv[2])
print(w, h, size // (w * h * 3))
PY
}

# start_gemini_server [OPTIONS...]: starts the Gemini test server (tests/support) on a random
# port of 127.0.0.1 with OPTIONS (see its --help), stopped on exit; sets gemini_endpoint.
start_gemini_server() {
  local server="${EMO_BUILD_DIR:-$EMO_SOURCE_DIR/build}/tests/support/emo-gemini-test-server"
  [ -x "$server" ] || fail "$server not built"
  "$server" "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
  gemini_server_pid=$!
  trap 'kill "$gemini_server_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
  local i port=""
  for i in $(seq 100); do
    port="$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$tmp/server.out")"
    [ -n "$port" ] && break
    kill -0 "$gemini_server_pid" 2>/dev/null || fail "test server died: $(cat "$tmp/server.err")"
    sleep 0.1
  done
  [ -n "$port" ] || fail "test server did not print its port"
  gemini_endpoint="http://127.0.0.1:$port"
}
