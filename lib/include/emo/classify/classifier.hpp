// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: emotion classification with an OpenCV random forest.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/ml.hpp>

namespace emo {

/// One emotion prediction.
struct Prediction {
  int class_id = -1;          ///< index into EmotionClassifier::labels()
  std::string label;          ///< labels()[class_id], e.g. "happiness"
  float confidence = 0.f;     ///< scores[class_id]: share of the trees that voted for it, [0, 1]
  std::vector<float> scores;  ///< per-class vote share, same order as labels(), sums to 1
};

/// The prediction of per-class `scores` (one per label, same order): the best class, its
/// label and score. Empty scores give an empty prediction (class_id -1).
Prediction prediction_from_scores(std::vector<float> scores,
                                  const std::vector<std::string> &labels);

/// Forest training settings (cv::ml::RTrees).
struct TrainParams {
  int trees = 200;              ///< number of trees (the prototype used 200)
  int max_depth = 20;           ///< maximum tree depth
  int min_sample_count = 2;     ///< minimum samples in a node to split it
  int active_vars = 0;          ///< features tried per split; 0 = sqrt(feature count)
  bool balance_classes = true;  ///< weight classes inversely to their frequency (priors)
  int seed = 42;                ///< RNG seed, for reproducible models
};

/// An emotion classifier: a cv::ml::RTrees forest over emo::compute_features() vectors.
///
/// File format: an OpenCV FileStorage YAML file (`.yml`, or `.yml.gz` compressed) holding
///   format: "gst-emo-emotion-model", feature_version: int, landmark_count: int,
///   landmark_layout: "ibug-68", feature_length: int, labels: [strings],
///   forest: { the cv::ml::RTrees written by cv::Algorithm::write }.
class EmotionClassifier {
 public:
  EmotionClassifier() = default;

  /// Loads a model. Throws emo::ModelError when the file is missing or unreadable and
  /// emo::ModelMismatch when its feature version, landmark count or feature length differ
  /// from this build's (kFeatureVersion, kFeatureLandmarks, kFeatureLength).
  static EmotionClassifier load(const std::string &path);

  /// Trains a forest. `features` is N x kFeatureLength CV_32F, one row per face; `labels`
  /// holds N class ids in [0, label_names.size()). Throws std::invalid_argument on bad shapes.
  static EmotionClassifier train(const cv::Mat &features, const std::vector<int> &labels,
                                 const std::vector<std::string> &label_names,
                                 const TrainParams &params = {});

  /// Writes the model (see the file format above). Throws emo::ModelError when it cannot.
  void save(const std::string &path) const;

  /// Classifies one feature vector (kFeatureLength floats). Thread-safe. Throws
  /// emo::ModelMismatch on a wrong length and std::logic_error on an empty classifier.
  Prediction predict(const std::vector<float> &features) const;

  bool empty() const { return forest_.empty(); }
  const std::vector<std::string> &labels() const { return labels_; }
  int feature_version() const { return feature_version_; }
  int landmark_count() const { return landmark_count_; }

 private:
  cv::Ptr<cv::ml::RTrees> forest_;
  std::vector<std::string> labels_;
  int feature_version_ = 0;
  int landmark_count_ = 0;
};

}  // namespace emo
