// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: training set, class balancing and identity-grouped cross-validation.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/classifier.hpp"
#include "evaluate.hpp"

namespace emo_tools {

/// The usable samples as a training set.
struct Dataset {
  cv::Mat x;                        ///< N x emo::kFeatureLength CV_32F
  std::vector<int> y;               ///< class ids
  std::vector<std::string> groups;  ///< identities
  std::vector<bool> whole;          ///< whole-image (true) or detected face (false)
};

/// How the forest is trained: the library's settings plus the tool's class balancing.
struct TrainSetup {
  emo::TrainParams params;
  /// Replicate samples of the smaller classes (drawn at random, seeded) until every class has
  /// as many as the largest one. Unlike class priors, this also shapes fully grown trees.
  bool oversample = false;
};

/// Trains a classifier on rows `rows` of `d` (all rows when empty).
emo::EmotionClassifier train_on(const Dataset &d, const std::vector<int> &rows,
                                const std::vector<std::string> &labels, const TrainSetup &setup);

/// Identity-grouped k-fold cross-validation; folds are trained on up to `threads` threads.
/// Fills `all` and the per-source matrices (whole-image and detected faces).
void cross_validate(const Dataset &d, const std::vector<std::string> &labels, int k,
                    const TrainSetup &setup, int threads, Confusion &all, Confusion &whole,
                    Confusion &detect);

}  // namespace emo_tools
