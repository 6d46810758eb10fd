// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze: the `[stats]` lines - how the pipelines of the process share each model file,
// and the process's peak memory.
//
// The sharing comes from the `stats` property of the analysis elements (GstEmoAnalysisFilter:
// `model`, `model-loaded`, `model-users`, figures of the whole process), so it is what the
// plugin itself holds, whatever library copy the tool links.
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace emo_analyze {

/// One model file in use by the analysis elements of the given pipelines.
struct ModelSharing {
  std::string path;     ///< canonical path of the file
  std::string element;  ///< factory of the elements using it ("emolandmarks")
  guint loaded = 0;     ///< copies of the file loaded in the process
  guint users = 0;      ///< elements of the process using them
};

/// The model files of the started analysis elements in `pipelines` (bins searched
/// recursively), one row per file, in the order the elements are found.
std::vector<ModelSharing> model_sharing(const std::vector<GstElement *> &pipelines);

/// "models: shape_predictor_68_face_landmarks.dat (emolandmarks) loaded 1, users 3; ...";
/// "models: none" when `rows` is empty.
std::string format_model_sharing(const std::vector<ModelSharing> &rows);

/// The process's peak resident set (VmHWM of /proc/self/status), in kB; 0 when unknown.
long peak_rss_kb();

/// CPU time (user + system) of the process so far, in seconds.
double cpu_seconds();

}  // namespace emo_analyze
