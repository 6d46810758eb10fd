#!/usr/bin/env bash
# Installs every Debian package gst-emo needs (idempotent; sudo only when not root), then
# configures and builds the project into ./build (or $EMO_BUILD_DIR).
#
#   tools/setup.sh            install missing packages, configure, build
#   EMO_JOBS=4 tools/setup.sh build with 4 jobs (default 2)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMO_BUILD_DIR:-$here/build}"

# libpango1.0-dev, libcairo2-dev, fonts-dejavu-core: the session panel of emooverlay (Pango
# text, accents included); pango1.0-tools: its test compares against pango-view.
# python3-torch: emo-train --kind finetuned (the default model's training) and its test
# tools-finetune; on a bare bookworm it adds 30 packages, 56 MB to download, 284 MB installed
# (measured: about 2 s download from the mirror, 5.5 s unpacking, 5 s byte-compiling).
# chromium, curl, python3-websocket (the DevTools protocol): the browser and API tests of
# emo-analyze --http (tests/tools/test_http.sh); gstreamer1.0-x: its textoverlay writes the
# session's state on the page's video.
packages=(
  build-essential cmake pkg-config git
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-opencv
  libgstrtspserver-1.0-dev python3-gst-1.0
  gobject-introspection libgirepository1.0-dev gir1.2-gst-plugins-base-1.0
  libopencv-dev libopencv-contrib-dev opencv-data
  libdlib-dev libdlib-data
  libsoup-3.0-dev libjson-glib-dev libgdk-pixbuf-2.0-dev
  libpango1.0-dev libcairo2-dev pango1.0-tools fonts-dejavu-core
  clang libclang-rt-14-dev time
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-skimage python3-numpy python3-onnx python3-opencv python3-torch
  openssl
  libmosquitto-dev mosquitto mosquitto-clients python3-paho-mqtt
  chromium curl python3-websocket gstreamer1.0-x
)

# npm: the machine's Node.js (often not Debian's, e.g. NodeSource's nodejs, which ships npm and
# conflicts with Debian's npm package) is used when present; Debian's npm only when none is.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$here/tools/fetch-onnxruntime.sh"
"$here/tools/fetch-models.sh"
"$here/tools/fetch-web.sh"

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${EMO_JOBS:-2}"
echo "setup: built in $build"
