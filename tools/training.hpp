// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: training set, class balancing and identity-grouped cross-validation.
#pragma once

#include <functional>
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

/// Trains a model on the rows `train` of a data set and returns the class it predicts for each
/// of the rows `test`, in order.
using FoldPredictor =
    std::function<std::vector<int>(const std::vector<int> &train, const std::vector<int> &test)>;

/// The class `model` (anything with predict(std::vector<float>) returning an emo::Prediction)
/// predicts for each of the rows `rows` of `d`, in order.
template <typename Model>
std::vector<int> predict_rows(const Model &model, const Dataset &d, const std::vector<int> &rows) {
  std::vector<int> predicted;
  predicted.reserve(rows.size());
  for (int i : rows) {
    const float *row = d.x.ptr<float>(i);
    predicted.push_back(model.predict(std::vector<float>(row, row + d.x.cols)).class_id);
  }
  return predicted;
}

/// Identity-grouped k-fold cross-validation of any model (folds from grouped_folds() with
/// `seed`); folds run on up to `threads` threads. Fills `all` and the per-source matrices
/// (whole-image and detected faces).
void cross_validate_with(const Dataset &d, int k, unsigned seed, int threads,
                         const FoldPredictor &predict, Confusion &all, Confusion &whole,
                         Confusion &detect);

/// Identity-grouped k-fold cross-validation; folds are trained on up to `threads` threads.
/// Fills `all` and the per-source matrices (whole-image and detected faces).
void cross_validate(const Dataset &d, const std::vector<std::string> &labels, int k,
                    const TrainSetup &setup, int threads, Confusion &all, Confusion &whole,
                    Confusion &detect);

}  // namespace emo_tools
