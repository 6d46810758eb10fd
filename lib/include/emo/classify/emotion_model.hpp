// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: any emotion model - landmark forest, appearance CNN or fused - behind one interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/classifier.hpp"
#include "emo/classify/cnn.hpp"
#include "emo/classify/fused.hpp"
#include "emo/classify/gate.hpp"

namespace emo {

/// The emotion model of a file, chosen by its content:
/// - `.json` (a CNN sidecar) or `.onnx` (sidecar beside it): Kind::Cnn, the appearance CNN alone;
/// - a FileStorage file with format "gst-emo-fused-model": Kind::Fused (emo::FusedModel);
/// - a FileStorage file with format "gst-emo-emotion-model": Kind::Forest (EmotionClassifier,
///   e.g. models/happy-sad.yml.gz).
/// emoclassify and emo-predict both classify through this class.
class EmotionModel {
 public:
  enum class Kind { Forest, Cnn, Fused };

  /// Throws emo::ModelError (naming the path) or emo::ModelMismatch.
  static EmotionModel load(const std::string &path);

  Kind kind() const { return kind_; }
  const char *kind_name() const;
  const std::vector<std::string> &labels() const;
  /// Whether predict() looks at the pixels (Cnn, Fused); a forest needs only the landmarks.
  bool needs_pixels() const { return kind_ != Kind::Forest; }
  /// Whether predict() wants the colour frame (BGR) rather than the luma: a CNN, or the fused
  /// model's CNN, whose sidecar says input.color rgb or bgr. Either works; this one is right.
  bool wants_colour() const;
  /// Landmarks a face must carry: 68 for Forest and Fused; 0 for Cnn (it aligns on 68 landmarks
  /// when the face has them, else crops the box).
  int landmark_count() const { return kind_ == Kind::Cnn ? 0 : 68; }
  /// The gate thresholds the model sets for its own scores: a CNN's sidecar "gate" object
  /// (emo::CnnSpec::gate); empty for the forest and the fused model (their scores are not the
  /// CNN's).
  GateOverrides gate() const;

  /// Classifies one face. `gray`: the frame's 8-bit luma, or its BGR image (CV_8UC3) for a
  /// model that wants_colour() (may be empty for a Forest); `box`
  /// and `landmarks` in its pixels. Thread-safe. Throws emo::ModelMismatch when the face
  /// lacks the landmarks the model needs, std::invalid_argument on an empty image for a model
  /// that needs pixels.
  Prediction predict(const cv::Mat &gray, const Box &box,
                     const std::vector<Point> &landmarks) const;

  /// One face of predict_batch(): its box and landmarks in the frame's pixels.
  struct Face {
    Box box;
    std::vector<Point> landmarks;
  };
  /// Classifies the faces of one frame, the same as predict() on each, in one run of the
  /// network when the model reads pixels (emo::CnnModel::run_batch). Returns one prediction
  /// per face, in order. Thread-safe; throws what predict() throws.
  std::vector<Prediction> predict_batch(const cv::Mat &gray, const std::vector<Face> &faces) const;

 private:
  Kind kind_ = Kind::Forest;
  std::shared_ptr<const EmotionClassifier> forest_;
  std::shared_ptr<const CnnModel> cnn_;
  std::shared_ptr<const FusedModel> fused_;
};

/// One loaded EmotionModel per file in the process (see emo::shared_classifier).
std::shared_ptr<const EmotionModel> shared_emotion_model(const std::string &path);

}  // namespace emo
