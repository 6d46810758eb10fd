#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of gst-emo (g++), then the GoogleTest
# suites (test_lib, test_session, test_gemini, test_elements) and short pipelines
# (pipeline-astronaut: the full chain on a 2 s clip; pipeline-inspect) under it. Any report
# (heap overflow, use after free, signed overflow, misaligned access, ...) aborts its test.
# test_churn (caps changes, cycles, seeks, parallel pipelines, soak) runs under it too.
#
#   tools/sanitize.sh                 configure + build into build-asan, run the tests
#   EMO_ASAN_DIR=DIR tools/sanitize.sh [ctest args...]
#
# Leak checking is off: GStreamer and GLib keep their type and registry data until exit. The
# pipelines run the build tree's plugin in the ordinary gst-launch-1.0, so the sanitizer
# runtimes are preloaded there (LD_PRELOAD) and the registry is scanned in-process.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMO_ASAN_DIR:-$here/build-asan}"
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMO_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" "${launcher[@]}" >/dev/null
cmake --build "$build" -j "${EMO_JOBS:-2}" --target test_lib test_session test_gemini \
  test_elements test_churn gstemo emo-gemini-test-server
asan="$(g++ -print-file-name=libasan.so)"
ubsan="$(g++ -print-file-name=libubsan.so)"
# detect_odr_violation=0: the element test binaries link the static libemo that the plugin
# they load links too, so libemo's const globals (kDlibScale, ...) exist twice, equal.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export GST_REGISTRY_FORK=no
cd "$build"
# The gtest binaries link the runtimes themselves; gst-launch-1.0 / gst-inspect-1.0 get them
# preloaded (pipeline tests only).
ctest --output-on-failure -R '^(test_lib|test_session|test_gemini|test_elements|test_churn)$' "$@"
LD_PRELOAD="$asan:$ubsan" ctest --output-on-failure -R '^(pipeline-astronaut|pipeline-inspect)$' "$@"
echo "sanitize: the GoogleTest suites and the pipelines pass under ASan + UBSan ($build)"
