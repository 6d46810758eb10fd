// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: where the project's own models (emotion forests, fetched and converted networks) are
// found, for the plugin and every tool alike.
#pragma once

#include <string>

namespace emo {

/// Where a model path came from (for error messages).
enum class ModelSource {
  kEnvironment,  ///< $GST_EMO_MODEL_DIR
  kBuildTree,    ///< the source tree's models/ directory, for binaries of a build tree
  kInstalled,    ///< the install datadir compiled in (<prefix>/share/gst-emo/models)
  kRelocated,    ///< share/gst-emo/models beside an install moved with cmake --install --prefix
};

/// A resolved model path and where it came from.
struct ModelLocation {
  std::string path;
  ModelSource source;
};

/// Full path of one of the project's own models, `name` relative to the model directory (e.g.
/// "emotion.yml.gz", "blazeface/face_detection_front_128x128_barracuda.onnx",
/// "human/emotion.json"). Looked up in this order:
///
/// 1. `$GST_EMO_MODEL_DIR/<name>` when that variable is set and not empty: always, even when
///    the file is missing there (the variable overrides everything else; the load error then
///    names that path);
/// 2. for a binary (plugin, tool, application) that lies in the build tree that compiled this
///    library: `<source tree>/models/<name>`, where the committed models are and where
///    tools/fetch-models.sh puts the fetched ones, so a plain `cmake --build` needs no
///    environment variable;
/// 3. `<install prefix>/share/gst-emo/models/<name>` (the prefix configured at build time);
/// 4. `share/gst-emo/models/<name>` one to three directories above the binary, for an install
///    made with `cmake --install --prefix DIR` (plugin in DIR/lib[/<arch>]/gstreamer-1.0, tools
///    in DIR/bin).
///
/// Returns the first that exists; when none does, the build tree's path for a build-tree
/// binary and the installed path otherwise. "The binary" is the module (shared object or
/// executable) this library is linked into.
ModelLocation find_model(const std::string &name);

/// find_model(name).path.
std::string default_model_path(const std::string &name);

/// True when `path` lies in one of the directories of find_model() (any source): a file of the
/// project's own rather than the user's.
bool is_project_model_path(const std::string &path);

/// One line saying where a missing project model comes from and how to get it, by source:
/// e.g. "run tools/fetch-models.sh" for the fetched networks in a build tree.
std::string model_source_hint(const std::string &path);

}  // namespace emo
