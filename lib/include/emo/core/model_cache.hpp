// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: one loaded model per file, shared by every user in the process.
#pragma once

#include <memory>
#include <string>

#include "emo/classify/classifier.hpp"
#include "emo/landmarks/landmarker.hpp"

namespace emo {

/// Returns the landmark model of `path`, loading it only when no live user holds it already.
///
/// The cache is keyed by the canonical path (symbolic links and `..` resolved) together with the
/// file's size and modification time, so a file replaced on disk is loaded afresh. It holds
/// only weak references: a model is freed when its last user drops it. Thread-safe; concurrent
/// first calls for one file load it once. Sharing is safe because Landmarker::fit() is const
/// and thread-safe (dlib; the LBF back-end serialises its calls internally).
/// Throws what Landmarker's constructor throws (emo::ModelError).
std::shared_ptr<const Landmarker> shared_landmarker(const std::string &path);

/// Same for emotion models: EmotionClassifier::predict() is const and thread-safe
/// (cv::ml::RTrees prediction does not modify the forest). Throws what
/// EmotionClassifier::load() throws (emo::ModelError, emo::ModelMismatch).
std::shared_ptr<const EmotionClassifier> shared_classifier(const std::string &path);

// Face detection cascades are not shared: cv::CascadeClassifier::detectMultiScale() keeps
// scratch state in the (shallow-copied) cascade and must not run concurrently. A cascade is
// small (about 1 MB), so each detector loads its own.

}  // namespace emo
