// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: a classifier over landmark geometry and an appearance CNN's embedding and scores.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/ml.hpp>

#include "emo/classify/classifier.hpp"
#include "emo/classify/cnn.hpp"

namespace emo {

/// The parts of a fused input vector, concatenated in this order when present:
///   geometry  - emo::compute_features() of the 68 landmarks (kFeatureLength floats)
///   embedding - the CNN's embedding (CnnModel::embedding_size() floats)
///   scores    - the CNN's class scores (CnnModel::labels().size() floats)
struct FusedInputs {
  bool geometry = true, embedding = true, scores = true;
  std::string str() const;                            ///< e.g. "geometry,embedding,scores"
  static FusedInputs parse(const std::string &text);  ///< throws std::invalid_argument
};

/// How a fused model is trained.
struct FusedParams {
  std::string algorithm = "rtrees";  ///< "rtrees" (cv::ml::RTrees) or "mlp" (cv::ml::ANN_MLP)
  TrainParams forest;                ///< rtrees settings (class priors when balance_classes)
  int hidden = 64;                   ///< mlp: hidden units (0 = a linear head)
  int iterations = 300;              ///< mlp: RPROP iterations
};

/// A classifier over FusedInputs: a random forest (option a of issue 11) or a small MLP head
/// (option b), on top of an appearance CNN.
///
/// File format: OpenCV FileStorage YAML (`.yml.gz`):
///   format: "gst-emo-fused-model", version: 1, cnn: sidecar path (relative to this file),
///   inputs: "geometry,embedding,scores", feature_version, landmark_count: 68,
///   input_length: int, algorithm: "rtrees" | "mlp", labels: [strings],
///   mean, scale: 1 x input_length (inputs are (x - mean) * scale before the model),
///   model: { the cv::ml model }.
class FusedModel {
 public:
  /// Loads a fused model and its CNN. Throws emo::ModelError (path named) when this file or
  /// the CNN is missing or malformed, emo::ModelMismatch on another feature version.
  static std::shared_ptr<const FusedModel> load(const std::string &path);

  /// Trains on N x input_length CV_32F rows built with input_vector(). Throws
  /// std::invalid_argument on bad shapes or parameters.
  static FusedModel train(std::shared_ptr<const CnnModel> cnn, const std::string &cnn_sidecar,
                          const FusedInputs &inputs, const cv::Mat &x, const std::vector<int> &y,
                          const std::vector<std::string> &label_names, const FusedParams &params);

  /// Writes the model; `cnn_sidecar` is stored as given (make it relative to `path`).
  void save(const std::string &path) const;

  /// The input vector of one face from its geometry features and CNN output.
  static void input_vector(const FusedInputs &inputs, const std::vector<float> &geometry,
                           const CnnOutput &cnn, std::vector<float> &out);
  static int input_length(const FusedInputs &inputs, const CnnModel &cnn);

  /// Classifies one input vector (input_length() floats). Thread-safe.
  Prediction predict(const std::vector<float> &input) const;

  const std::vector<std::string> &labels() const { return labels_; }
  const CnnModel &cnn() const { return *cnn_; }
  const FusedInputs &inputs() const { return inputs_; }
  const std::string &algorithm() const { return algorithm_; }

 private:
  std::shared_ptr<const CnnModel> cnn_;
  std::string cnn_sidecar_;
  FusedInputs inputs_;
  std::string algorithm_;
  cv::Ptr<cv::ml::StatModel> model_;
  cv::Mat mean_, scale_;  // 1 x input_length CV_32F
  std::vector<std::string> labels_;
};

}  // namespace emo
