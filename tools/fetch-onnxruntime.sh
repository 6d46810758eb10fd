#!/usr/bin/env bash
# Fetches ONNX Runtime (Microsoft, MIT), gst-emo's one inference engine, from the npm registry
# at a pinned version, checks the package against the integrity value kept here and extracts
# its C/C++ API headers, its Linux x64 CPU library and its licence files into
# third_party/onnxruntime/ (git-ignored; CMake's imported target onnxruntime::onnxruntime uses
# it, `cmake --install` installs the library beside gst-emo's). Runs at set-up
# (tools/setup.sh, before the build), never at run time. Idempotent.
#
#   tools/fetch-onnxruntime.sh [DIR]     default: <repo>/third_party (extracts DIR/onnxruntime)
#
# | package                            | ORT    | files                                    |
# | ---------------------------------- | ------ | ---------------------------------------- |
# | com.github.asus4.onnxruntime 0.4.9 | 1.29.0 | Plugins/Linux/x64/libonnxruntime.so      |
# |                                    |        |   -> lib/libonnxruntime.so.1 (its SONAME) |
# |                                    |        | the framework's Headers/*.h -> include/  |
# |                                    |        | LICENSE, ThirdPartyNotices.txt           |
#
# Why this package alone (docs/onnxruntime.md): it holds the headers and the library of one
# release (1.29.0, ORT_API_VERSION 29), so the program is built against the headers of the very
# library it loads. Microsoft's onnxruntime-node (1.30.0, 1.31.1) ships a newer library but no
# headers; `npm install` of it fails here (its postinstall downloads GPU files).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$here/third_party}"

# shellcheck source=tools/npm-fetch.sh
source "$here/tools/npm-fetch.sh"
need_npm fetch-onnxruntime

headers="Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
files=(Plugins/Linux/x64/libonnxruntime.so=lib/libonnxruntime.so.1 LICENSE ThirdPartyNotices.txt)
for h in cpu_provider_factory.h onnxruntime_c_api.h onnxruntime_cxx_api.h \
  onnxruntime_cxx_inline.h onnxruntime_env_config_keys.h onnxruntime_ep_c_api.h \
  onnxruntime_ep_device_ep_metadata_keys.h onnxruntime_error_code.h \
  onnxruntime_experimental_c_api.h onnxruntime_experimental_cxx_api.h onnxruntime_float16.h \
  onnxruntime_lite_custom_op.h onnxruntime_run_options_config_keys.h \
  onnxruntime_session_options_config_keys.h; do
  files+=("$headers/$h=include/$h")
done
fetch com.github.asus4.onnxruntime 0.4.9 \
  'sha512-BkzxduSZ9IkeDP6Q8lz2TFU2ie7hSSvS7ZIfzMooExoq0CNzJnuuGaUJ7IsojBgqO4ouD1jXah8OYyJbCN29Fg==' \
  onnxruntime "${files[@]}"
