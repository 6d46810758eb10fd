// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: training and identity-grouped cross-validation of fused (geometry + CNN)
// models and of the CNN alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "emo/classify/fused.hpp"
#include "training.hpp"

namespace emo_tools {

/// What a fused model is trained from. `Dataset::x` holds the FusedInputs columns.
struct FusedSetup {
  std::shared_ptr<const emo::CnnModel> cnn;
  std::string cnn_sidecar;  ///< as stored in the model file (relative to it)
  emo::FusedInputs inputs;
  emo::FusedParams params;
};

/// Trains on rows `rows` of `d` (all when empty).
emo::FusedModel train_fused_on(const Dataset &d, const std::vector<int> &rows,
                               const std::vector<std::string> &labels, const FusedSetup &setup);

/// Identity-grouped k-fold cross-validation of a fused model (folds as cross_validate).
void cross_validate_fused(const Dataset &d, const std::vector<std::string> &labels, int k,
                          const FusedSetup &setup, unsigned seed, int threads, Confusion &all,
                          Confusion &whole, Confusion &detect);

/// The CNN alone, zero-shot: `scores` holds its class scores per sample (columns in the
/// CNN's label order); each class of `labels` is predicted from the CNN class of the same
/// name (CNN classes without a match, e.g. fear when training without it, are ignored).
void evaluate_cnn(const Dataset &d, const cv::Mat &scores,
                  const std::vector<std::string> &cnn_labels,
                  const std::vector<std::string> &labels, Confusion &all, Confusion &whole,
                  Confusion &detect);

}  // namespace emo_tools
