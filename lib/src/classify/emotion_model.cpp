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

GateOverrides EmotionModel::gate() const {
  return kind_ == Kind::Cnn ? cnn_->spec().gate : GateOverrides{};
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
  return predict_batch(gray, {{box, landmarks}}).at(0);
}

std::vector<Prediction> EmotionModel::predict_batch(const cv::Mat &gray,
                                                    const std::vector<Face> &faces) const {
  thread_local std::vector<float> geometry, input;
  for (const Face &f : faces)
    if (kind_ != Kind::Cnn && f.landmarks.size() != static_cast<size_t>(kFeatureLandmarks))
      throw ModelMismatch("the emotion model needs 68 landmarks, the face has " +
                          std::to_string(f.landmarks.size()));
  std::vector<Prediction> out;
  out.reserve(faces.size());
  if (kind_ == Kind::Forest) {
    for (const Face &f : faces) {
      compute_features(f.landmarks, geometry);
      out.push_back(forest_->predict(geometry));
    }
    return out;
  }
  if (faces.empty()) return out;
  if (gray.empty()) throw std::invalid_argument("EmotionModel::predict: no image for a CNN");
  const CnnModel &cnn = kind_ == Kind::Cnn ? *cnn_ : fused_->cnn();
  std::vector<cv::Mat> crops;
  crops.reserve(faces.size());
  for (const Face &f : faces) crops.push_back(cnn.crop(gray, f.box, f.landmarks));
  std::vector<CnnOutput> cnn_out = cnn.run_batch(crops);
  for (size_t i = 0; i < faces.size(); ++i) {
    if (kind_ == Kind::Cnn) {
      out.push_back(prediction_from_scores(std::move(cnn_out[i].scores), cnn.labels()));
      continue;
    }
    const FusedInputs &in = fused_->inputs();
    if (in.geometry) compute_features(faces[i].landmarks, geometry);
    FusedModel::input_vector(in, geometry, cnn_out[i], input);
    out.push_back(fused_->predict(input));
  }
  return out;
}

}  // namespace emo
