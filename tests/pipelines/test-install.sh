#!/usr/bin/env bash
# `cmake --install --prefix DIR` puts the plugin in DIR/lib/gstreamer-1.0, every model in
# DIR/share/gst-emo/models, the headers of the installed libraries (only those) in
# DIR/include/gst-emo-1.0, the libraries with gst-emo-1.0.pc, gstemometa-1.0.pc and the CMake
# package GstEmo in DIR/lib, GstEmo-1.0.gir/.typelib and the licence, ONNX Runtime's library
# (DIR/lib/libonnxruntime.so.1) and licence; the plugin and the tools find that library with
# no LD_LIBRARY_PATH (their RPATH) and run the chain. Then, with nothing but
# GST_PLUGIN_PATH, PKG_CONFIG_PATH (or CMAKE_PREFIX_PATH), GI_TYPELIB_PATH and LD_LIBRARY_PATH
# pointing there: gst-inspect-1.0 finds every element of the installed plugin, emoclassify finds
# its default model without configuration, consumers built both ways - `pkg-config --cflags
# --libs gst-emo-1.0` and `find_package(GstEmo)` - (the C++ example, a small user of the CV
# library, a C user of libgstemometa) link and analyse a real clip, and the Python example reads
# the same faces through the installed typelib.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
prefix="$tmp/prefix"
run_logged "$tmp/install.txt" cmake --install "$EMO_BUILD_DIR" --prefix "$prefix"
[ -f "$prefix/lib/gstreamer-1.0/libgstemo.so" ] || fail "plugin not installed under the prefix"
for m in emotion-ferplus-e2e.json emotion-ferplus-e2e.onnx emotion-ensemble.json emotion-ensemble.onnx emotion-finetuned.json emotion-finetuned.onnx emotion-fused.yml.gz emotion-cnn.onnx emotion-cnn.json emotion.yml.gz happy-sad.yml.gz; do
  [ -f "$prefix/share/gst-emo/models/$m" ] || fail "model $m not installed"
done
[ -x "$prefix/share/gst-emo/tools/emo-finetune.py" ] || fail "emo-finetune.py (emo-train --kind finetuned) not installed"
pc="$(find "$prefix" -name gst-emo-1.0.pc | head -1)"
[ -n "$pc" ] || fail "gst-emo-1.0.pc not installed"
for header in emo/gst/face_meta.hpp emo/classify/classifier.hpp emo/landmarks/landmarker.hpp \
  gst/emo/face-meta.h; do
  [ -f "$prefix/include/gst-emo-1.0/$header" ] || fail "$header not installed"
done
# Only headers whose libraries are installed: emo-session and emo-gemini are internal.
for internal in emo/session emo/gemini; do
  [ ! -e "$prefix/include/gst-emo-1.0/$internal" ] || fail "$internal headers installed"
done
for file in share/gst-emo/models/blazeface/face_detection_front_128x128_barracuda.onnx \
  share/gst-emo/models/blazeface/face_detection_back_256_rect.onnx \
  share/gst-emo/models/blazeface-sidecars/face_detection_back_256_rect.json \
  share/gst-emo/models/human/emotion.json share/gst-emo/models/human/emotion.bin \
  share/gir-1.0/GstEmo-1.0.gir lib/girepository-1.0/GstEmo-1.0.typelib \
  lib/libgstemometa-1.0.so.0 lib/cmake/GstEmo/GstEmoConfig.cmake share/doc/gst-emo/LICENSE; do
  [ -f "$prefix/$file" ] || fail "$file not installed"
done
# The licence the sources declare (SPDX LGPL-2.1-or-later): the LGPL 2.1 text.
grep -q "GNU LESSER GENERAL PUBLIC LICENSE" "$EMO_SOURCE_DIR/LICENSE" &&
  grep -q "Version 2.1, February 1999" "$EMO_SOURCE_DIR/LICENSE" || fail "LICENSE is not the LGPL 2.1"
other="$(grep -rhoE 'SPDX-License-Identifier: [^ */]+' "$EMO_SOURCE_DIR"/{lib,plugins,tools,examples} |
  sort -u | grep -v 'LGPL-2.1-or-later$' || true)"
[ -z "$other" ] || fail "sources declaring another licence: $other"
export GST_PLUGIN_PATH="$prefix/lib/gstreamer-1.0" GST_REGISTRY="$tmp/registry.bin"

# ONNX Runtime (the inference engine) is installed beside gst-emo's libraries with its licence,
# and the installed plugin and tools find it, and libgstemometa, through their RPATH alone: no
# LD_LIBRARY_PATH (the build tree's must not be seen either).
[ -f "$prefix/lib/libonnxruntime.so.1" ] || fail "libonnxruntime.so.1 not installed"
for f in LICENSE ThirdPartyNotices.txt; do
  [ -f "$prefix/share/doc/gst-emo/onnxruntime/$f" ] || fail "ONNX Runtime's $f not installed"
done
for bin in "$prefix/lib/gstreamer-1.0/libgstemo.so" "$prefix/bin/emo-predict" "$prefix/bin/emo-train"; do
  env -u LD_LIBRARY_PATH ldd "$bin" >"$tmp/ldd.txt" 2>&1 || fail "ldd $bin: $(cat "$tmp/ldd.txt")"
  ! grep -q "not found" "$tmp/ldd.txt" || fail "$bin: $(grep "not found" "$tmp/ldd.txt")"
  for lib in libonnxruntime.so.1 libgstemometa-1.0.so.0; do
    want="$(realpath "$prefix/lib/$lib")"
    got="$(sed -n "s|^[[:space:]]*$lib => \(.*\) (0x.*|\1|p" "$tmp/ldd.txt")"
    [ -z "$got" ] && [ "$lib" = libgstemometa-1.0.so.0 ] && continue  # tools without it
    [ -n "$got" ] && [ "$(realpath "$got")" = "$want" ] ||
      fail "$bin loads $lib from '$got', not from the prefix"
  done
done
env -u LD_LIBRARY_PATH gst-inspect-1.0 "$prefix/lib/gstreamer-1.0/libgstemo.so" >"$tmp/plugin-no-ld.txt" 2>&1 ||
  fail "the installed plugin does not load without LD_LIBRARY_PATH: $(tail -n 3 "$tmp/plugin-no-ld.txt")"
grep -q "emofacedetect" "$tmp/plugin-no-ld.txt" || fail "no emofacedetect without LD_LIBRARY_PATH"
# BlazeFace and the default emotion CNN run on ONNX Runtime from the prefix.
env -u LD_LIBRARY_PATH -u GST_EMO_MODEL_DIR GST_DEBUG=emoclassify:4 gst-launch-1.0 -q videotestsrc num-buffers=2 ! \
  emofacedetect ! emolandmarks ! emoclassify ! fakesink >"$tmp/run-no-ld.txt" 2>&1 ||
  fail "the chain without LD_LIBRARY_PATH: $(grep -m1 -i error "$tmp/run-no-ld.txt")"
grep -q "loaded emotion model .*share/gst-emo/models/emotion-ferplus-e2e.json" "$tmp/run-no-ld.txt" ||
  fail "emoclassify did not load the default CNN without LD_LIBRARY_PATH"
# ONNX Runtime's telemetry stays off (docs/onnxruntime.md): the run wrote nothing in HOME
# (its device id and event cache) nor in TMPDIR (mat-debug-PID.log, .ses).
mkdir -p "$tmp/home" "$tmp/tmpdir"
env -u LD_LIBRARY_PATH -u ORT_DISABLE_TELEMETRY HOME="$tmp/home" TMPDIR="$tmp/tmpdir" \
  gst-launch-1.0 -q videotestsrc num-buffers=2 ! emofacedetect ! emoclassify ! fakesink \
  >"$tmp/run-telemetry.txt" 2>&1 || fail "the telemetry run: $(tail -n 3 "$tmp/run-telemetry.txt")"
[ ! -e "$tmp/home/.cache/Microsoft" ] && [ -z "$(ls -A "$tmp/tmpdir")" ] ||
  fail "ONNX Runtime wrote files: $(find "$tmp/home/.cache/Microsoft" "$tmp/tmpdir" -mindepth 1 2>/dev/null | head -n 5)"
PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_PATH
# The build tree's typelib and library must not be seen: only the prefix's.
export GI_TYPELIB_PATH="$prefix/lib/girepository-1.0" LD_LIBRARY_PATH="$prefix/lib"
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
grep -q "loaded emotion model .*share/gst-emo/models/emotion-ferplus-e2e.json" "$tmp/run.txt" ||
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
# Every installed header compiles on its own flags (no header of a library left out).
find "$prefix/include/gst-emo-1.0" -name '*.hpp' -printf '#include "%P"\n' >"$tmp/headers.cpp"
# shellcheck disable=SC2086
run_logged "$tmp/cxx-headers.txt" c++ -std=c++17 -fsyntax-only "$tmp/headers.cpp" $flags
# A C user of libgstemometa-1.0: writes a face with every structure and reads it back.
cat >"$tmp/meta-consumer.c" <<'C'
#include <gst/emo/face-meta.h>
#include <stdio.h>
int main(void) {
  gst_init(NULL, NULL);
  GstBuffer *buf = gst_buffer_new_allocate(NULL, 16, NULL);
  GstVideoRegionOfInterestMeta *roi = gst_emo_buffer_add_face(buf, 1, 2, 30, 40, 5);
  const gfloat points[] = {3.f, 4.f};
  const gchar *labels[] = {"happiness", NULL};
  const gdouble scores[] = {1.0};
  gst_emo_face_meta_set_landmarks(roi, points, 2, "dlib-ert");
  gst_emo_face_meta_set_emotion(roi, "happiness", 0, 1.0, labels, scores, 1);
  gst_emo_face_meta_set_tracking(roi, 9, TRUE);
  gst_emo_face_meta_set_detection(roi, 0.5, points, 2, "test");
  GPtrArray *faces = gst_emo_buffer_get_faces(buf);
  g_ptr_array_set_free_func(faces, (GDestroyNotify)gst_emo_face_free);
  for (guint i = 0; i < faces->len; ++i) {
    const GstEmoFace *f = g_ptr_array_index(faces, i);
    guint n;
    gst_emo_face_get_landmarks(f, &n);
    printf("face id=%d track=%ld landmarks=%u label=%s detection=%.2f\n", gst_emo_face_get_id(f),
           (long)gst_emo_face_get_track_id(f), n / 2, gst_emo_face_get_emotion_label(f),
           gst_emo_face_get_detection_confidence(f));
  }
  g_ptr_array_unref(faces);
  gst_buffer_unref(buf);
  return 0;
}
C
meta_flags="$(pkg-config --cflags --libs gstemometa-1.0)" || fail "no gstemometa-1.0.pc"
# shellcheck disable=SC2086
run_logged "$tmp/cc-meta.txt" cc -O1 -o "$tmp/meta-consumer" "$tmp/meta-consumer.c" $meta_flags
run_logged "$tmp/meta.txt" "$tmp/meta-consumer"
grep -qx 'face id=5 track=9 landmarks=1 label=happiness detection=0.50' "$tmp/meta.txt" ||
  fail "the C consumer read: $(cat "$tmp/meta.txt")"

# The same consumers through the CMake package: find_package(GstEmo) from the prefix only.
mkdir -p "$tmp/cmake-consumer"
cp "$EMO_SOURCE_DIR/examples/cpp/emo-example-app.cpp" "$tmp/meta-consumer.c" "$tmp/cmake-consumer/"
cat >"$tmp/cmake-consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(consumer C CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(GstEmo 0.1 REQUIRED)
add_executable(emo-example-app emo-example-app.cpp)
target_link_libraries(emo-example-app PRIVATE GstEmo::emo-gst)
add_executable(meta-consumer meta-consumer.c)
target_link_libraries(meta-consumer PRIVATE GstEmo::gstemometa)
file(WRITE "${CMAKE_BINARY_DIR}/model-dir.txt" "${GstEmo_MODEL_DIR}")
CMAKE
run_logged "$tmp/cmake-configure.txt" cmake -S "$tmp/cmake-consumer" -B "$tmp/cmake-build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
run_logged "$tmp/cmake-build.txt" cmake --build "$tmp/cmake-build" -j2
grep -q "$prefix/share/gst-emo/models" "$tmp/cmake-build/model-dir.txt" ||
  fail "GstEmo_MODEL_DIR: $(cat "$tmp/cmake-build/model-dir.txt")"
run_logged "$tmp/meta-cmake.txt" "$tmp/cmake-build/meta-consumer"
cmp -s "$tmp/meta.txt" "$tmp/meta-cmake.txt" || fail "the CMake-built C consumer differs"

astronaut="/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
run_logged "$tmp/cv.txt" "$tmp/cv-consumer" "$astronaut" \
  "$prefix/share/gst-emo/models/emotion.yml.gz"
grep -qx 'face .* landmarks=68 label=happiness' "$tmp/cv.txt" ||
  fail "the CV consumer did not find the happy astronaut: $(cat "$tmp/cv.txt")"
run_logged "$tmp/make.txt" "$EMO_SOURCE_DIR/tools/make-astronaut-clip.sh" "$tmp/astronaut.mp4" 1
run_logged "$tmp/app.txt" "$tmp/emo-example-app" --max-frames 10 "$tmp/astronaut.mp4"
# 9 of 10: the first frame starts the shot, its face is labelled from the next frame on.
[ "$(grep -c '^face .* landmarks=68 .* label=happiness ' "$tmp/app.txt")" -eq 9 ] ||
  fail "the installed example did not read 9 happy faces: $(tail -n 3 "$tmp/app.txt")"
grep -q '^face index=0 .* landmarks=68 .* label=- ' "$tmp/app.txt" ||
  fail "the installed example labelled the shot's first frame: $(head -n 3 "$tmp/app.txt")"
grep -q '^summary frames=10 face-frames=10 faces=10 emo-faces-messages=10 ' "$tmp/app.txt" ||
  fail "unexpected summary: $(grep '^summary' "$tmp/app.txt")"
run_logged "$tmp/app-cmake.txt" "$tmp/cmake-build/emo-example-app" --max-frames 10 \
  "$tmp/astronaut.mp4"
[ "$(grep -c '^face .* landmarks=68 .* label=happiness ' "$tmp/app-cmake.txt")" -eq 9 ] ||
  fail "the CMake-built example did not read 9 happy faces: $(tail -n 3 "$tmp/app-cmake.txt")"
# Python through the installed typelib (GstEmo-1.0) only.
py=/usr/bin/python3
run_logged "$tmp/app-py.txt" "$py" "$EMO_SOURCE_DIR/examples/python/emo-example-app.py" \
  --max-frames 10 "$tmp/astronaut.mp4"
[ "$(grep -c '^face .* landmarks=68 .* label=happiness ' "$tmp/app-py.txt")" -eq 9 ] ||
  fail "the Python example with the installed typelib: $(tail -n 3 "$tmp/app-py.txt")"
note "installed ${#elements[@]} elements, models, headers, .pc files, CMake package and" \
  "typelib; built consumers with pkg-config and find_package(GstEmo) and ran them and Python"
