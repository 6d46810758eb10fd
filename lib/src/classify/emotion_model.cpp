// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: any emotion model - landmark forest, appearance CNN or fused - behind one interface.
#include "emo/classify/emotion_model.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <opencv2/core/persistence.hpp>

#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"
#include "emo/core/model_cache.hpp"

namespace emo {

EmotionModel EmotionModel::load(const std::string &path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  EmotionModel m;
  if (ext == ".json" || ext == ".onnx") {
    m.kind_ = Kind::Cnn;
    m.cnn_ = CnnModel::load(path);
    return m;
  }
  std::error_code ec;
  if (!path.empty() && std::filesystem::is_regular_file(path, ec)) {
    std::string format;
    try {
      cv::FileStorage fs(path, cv::FileStorage::READ);
      if (fs.isOpened() && fs["format"].isString()) format = fs["format"].string();
    } catch (const cv::Exception &) {
      // Not a FileStorage file: EmotionClassifier::load() reports it.
    }
    if (format == "gst-emo-fused-model") {
      m.kind_ = Kind::Fused;
      m.fused_ = FusedModel::load(path);
      return m;
    }
  }
  m.kind_ = Kind::Forest;
  m.forest_ = std::make_shared<const EmotionClassifier>(EmotionClassifier::load(path));
  return m;
}

const char *EmotionModel::kind_name() const {
  switch (kind_) {
    case Kind::Forest:
      return "landmark forest";
    case Kind::Cnn:
      return "appearance CNN";
    case Kind::Fused:
      return "fused (geometry + CNN)";
  }
  return "?";
}

bool EmotionModel::wants_colour() const {
  if (kind_ == Kind::Cnn) return cnn_->colour();
  if (kind_ == Kind::Fused) return fused_->cnn().colour();
  return false;
}

const std::vector<std::string> &EmotionModel::labels() const {
  switch (kind_) {
    case Kind::Cnn:
      return cnn_->labels();
    case Kind::Fused:
      return fused_->labels();
    default:
      return forest_->labels();
  }
}

Prediction EmotionModel::predict(const cv::Mat &gray, const Box &box,
                                 const std::vector<Point> &landmarks) const {
  thread_local std::vector<float> geometry, input;
  if (kind_ != Kind::Cnn && landmarks.size() != static_cast<size_t>(kFeatureLandmarks))
    throw ModelMismatch("the emotion model needs 68 landmarks, the face has " +
                        std::to_string(landmarks.size()));
  if (kind_ == Kind::Forest) {
    compute_features(landmarks, geometry);
    return forest_->predict(geometry);
  }
  if (gray.empty()) throw std::invalid_argument("EmotionModel::predict: no image for a CNN");
  if (kind_ == Kind::Cnn) {
    CnnOutput out = cnn_->run(gray, box, landmarks);
    Prediction p;
    p.scores = std::move(out.scores);
    p.class_id =
        static_cast<int>(std::max_element(p.scores.begin(), p.scores.end()) - p.scores.begin());
    p.label = cnn_->labels()[static_cast<size_t>(p.class_id)];
    p.confidence = p.scores[static_cast<size_t>(p.class_id)];
    return p;
  }
  const FusedInputs &in = fused_->inputs();
  if (in.geometry) compute_features(landmarks, geometry);
  FusedModel::input_vector(in, geometry, fused_->cnn().run(gray, box, landmarks), input);
  return fused_->predict(input);
}

}  // namespace emo
