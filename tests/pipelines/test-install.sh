#!/usr/bin/env bash
# `cmake --install --prefix DIR` puts the plugin in DIR/lib/gstreamer-1.0 and the default models
# in DIR/share/gst-emo/models; gst-inspect-1.0 then finds every element with GST_PLUGIN_PATH
# pointing there, and emoclassify finds its default model without any configuration.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
prefix="$tmp/prefix"
run_logged "$tmp/install.txt" cmake --install "$EMO_BUILD_DIR" --prefix "$prefix"
[ -f "$prefix/lib/gstreamer-1.0/libgstemo.so" ] || fail "plugin not installed under the prefix"
[ -f "$prefix/share/gst-emo/models/emotion.yml.gz" ] || fail "default model not installed"
export GST_PLUGIN_PATH="$prefix/lib/gstreamer-1.0" GST_REGISTRY="$tmp/registry.bin"
unset GST_EMO_MODEL_DIR
for element in emofacedetect emolandmarks emoclassify emooverlay; do
  run_logged "$tmp/$element.txt" gst-inspect-1.0 "$element"
  grep -q "$prefix/lib/gstreamer-1.0/libgstemo.so" "$tmp/$element.txt" ||
    fail "$element was not loaded from the installed plugin"
done
GST_DEBUG=emoclassify:4 run_logged "$tmp/run.txt" gst-launch-1.0 videotestsrc num-buffers=2 ! \
  emoclassify ! fakesink
grep -q "loaded emotion model .*share/gst-emo/models/emotion.yml.gz" "$tmp/run.txt" ||
  fail "emoclassify did not load the installed default model: $(grep -m1 ERROR "$tmp/run.txt")"
note "installed into a temporary prefix and used from there"
