#!/usr/bin/env bash
# `cmake --install --prefix DIR` puts the plugin in DIR/lib/gstreamer-1.0, the default models in
# DIR/share/gst-emo/models, the headers in DIR/include/gst-emo-1.0 and the libraries with
# gst-emo-1.0.pc in DIR/lib. Then, with nothing but GST_PLUGIN_PATH and PKG_CONFIG_PATH
# pointing there: gst-inspect-1.0 finds every element of the installed plugin, emoclassify finds
# its default model without configuration, and applications built with
# `pkg-config --cflags --libs gst-emo-1.0` (the C++ example and a small user of the CV library)
# link and analyse a real clip.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
prefix="$tmp/prefix"
run_logged "$tmp/install.txt" cmake --install "$EMO_BUILD_DIR" --prefix "$prefix"
[ -f "$prefix/lib/gstreamer-1.0/libgstemo.so" ] || fail "plugin not installed under the prefix"
for m in emotion-fused.yml.gz emotion-cnn.onnx emotion-cnn.json emotion.yml.gz happy-sad.yml.gz; do
  [ -f "$prefix/share/gst-emo/models/$m" ] || fail "model $m not installed"
done
pc="$(find "$prefix" -name gst-emo-1.0.pc | head -1)"
[ -n "$pc" ] || fail "gst-emo-1.0.pc not installed"
for header in emo/gst/face_meta.hpp emo/classify/classifier.hpp emo/landmarks/landmarker.hpp; do
  [ -f "$prefix/include/gst-emo-1.0/$header" ] || fail "$header not installed"
done
export GST_PLUGIN_PATH="$prefix/lib/gstreamer-1.0" GST_REGISTRY="$tmp/registry.bin"
PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_PATH
unset GST_EMO_MODEL_DIR

# Every element of the installed plugin (the four of the core chain at least), loaded from it.
run_logged "$tmp/plugin.txt" gst-inspect-1.0 "$prefix/lib/gstreamer-1.0/libgstemo.so"
mapfile -t elements < <(sed -n 's/^ *\(emo[a-z]*\): .*/\1/p' "$tmp/plugin.txt")
for required in emofacedetect emolandmarks emoclassify emooverlay; do
  printf '%s\n' "${elements[@]}" | grep -qx "$required" || fail "$required not in the plugin"
done
for element in "${elements[@]}"; do
  run_logged "$tmp/$element.txt" gst-inspect-1.0 "$element"
  grep -q "$prefix/lib/gstreamer-1.0/libgstemo.so" "$tmp/$element.txt" ||
    fail "$element was not loaded from the installed plugin"
done
GST_DEBUG=emoclassify:4 run_logged "$tmp/run.txt" gst-launch-1.0 videotestsrc num-buffers=2 ! \
  emoclassify ! fakesink
grep -q "loaded emotion model .*share/gst-emo/models/emotion-fused.yml.gz" "$tmp/run.txt" ||
  fail "emoclassify did not load the installed default model: $(grep -m1 ERROR "$tmp/run.txt")"

# Consumers built against the installed prefix only (-I/-L from pkg-config, no build tree).
flags="$(pkg-config --cflags --libs gst-emo-1.0)" || fail "pkg-config cannot resolve gst-emo-1.0"
case "$flags" in *"$EMO_SOURCE_DIR"* | *"$EMO_BUILD_DIR"*) fail "pkg-config points into the tree" ;; esac
# shellcheck disable=SC2086  # the flags are a list of words
run_logged "$tmp/cxx-app.txt" c++ -std=c++17 -O1 -o "$tmp/emo-example-app" \
  "$EMO_SOURCE_DIR/examples/cpp/emo-example-app.cpp" $flags
cat >"$tmp/cv-consumer.cpp" <<'CPP'
// The CV core without GStreamer: detector, landmarks, features and the installed model.
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include "emo/classify/classifier.hpp"
#include "emo/detect/detector.hpp"
#include "emo/classify/features.hpp"
#include "emo/landmarks/landmarker.hpp"
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  const cv::Mat luma = cv::imread(argv[1], cv::IMREAD_GRAYSCALE);
  emo::FaceDetector detector;
  const emo::Landmarker landmarker;
  const emo::EmotionClassifier classifier = emo::EmotionClassifier::load(argv[2]);
  for (const emo::Box &box : detector.detect(luma, emo::DetectorParams{})) {
    const std::vector<emo::Point> points = landmarker.fit(luma, box);
    const emo::Prediction p = classifier.predict(emo::compute_features(points));
    std::printf("face %d,%d,%d,%d landmarks=%zu label=%s\n", box.x, box.y, box.width, box.height,
                points.size(), p.label.c_str());
  }
  return 0;
}
CPP
# shellcheck disable=SC2086
run_logged "$tmp/cxx-cv.txt" c++ -std=c++17 -O1 -o "$tmp/cv-consumer" "$tmp/cv-consumer.cpp" $flags

astronaut="/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
run_logged "$tmp/cv.txt" "$tmp/cv-consumer" "$astronaut" \
  "$prefix/share/gst-emo/models/emotion.yml.gz"
grep -qx 'face .* landmarks=68 label=happiness' "$tmp/cv.txt" ||
  fail "the CV consumer did not find the happy astronaut: $(cat "$tmp/cv.txt")"
run_logged "$tmp/make.txt" "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/astronaut.mp4" 1
run_logged "$tmp/app.txt" "$tmp/emo-example-app" --max-frames 10 "$tmp/astronaut.mp4"
[ "$(grep -c '^face .* landmarks=68 .* label=happiness ' "$tmp/app.txt")" -eq 10 ] ||
  fail "the installed example did not read 10 happy faces: $(tail -n 3 "$tmp/app.txt")"
grep -q '^summary frames=10 face-frames=10 faces=10 emo-faces-messages=10 ' "$tmp/app.txt" ||
  fail "unexpected summary: $(grep '^summary' "$tmp/app.txt")"
note "installed ${#elements[@]} elements, models, headers and gst-emo-1.0.pc; built and ran" \
  "two consumers from the prefix"
