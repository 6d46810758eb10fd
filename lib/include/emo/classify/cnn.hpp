// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by OpenCV DNN) described by a JSON sidecar.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/align.hpp"
#include "emo/classify/cnn_spec.hpp"
#include "emo/core/geometry.hpp"

namespace emo {

/// The outputs of one face.
struct CnnOutput {
  std::vector<float> scores;     ///< softmax, same order as labels(), sums to 1
  std::vector<float> embedding;  ///< the penultimate features (empty when the model has none)
};

/// An appearance CNN: aligns the face (emo::align_face with the sidecar's framing), scales it to
/// the input size, normalises it and runs the ONNX network with OpenCV DNN (CPU).
///
/// Thread-safe: the model holds kInstances copies of the network, each behind a mutex
/// (cv::dnn::Net::forward is not reentrant); a run takes a free one, or waits for the first.
/// So two threads (emoclassify's streaming thread and its helper) run two faces at once, and
/// one loaded model can be shared by several elements.
class CnnModel {
 public:
  /// Loads from a sidecar (.json) or from an ONNX file with its sidecar beside it (same name,
  /// .json instead of .onnx). Throws emo::ModelError naming the missing/bad path.
  static std::shared_ptr<const CnnModel> load(const std::string &path);

  const CnnSpec &spec() const { return spec_; }
  const std::vector<std::string> &labels() const { return spec_.labels; }
  /// Length of the embedding (0 when the model has none).
  int embedding_size() const { return embedding_size_; }

  /// Whether the network wants colour (sidecar input.color rgb or bgr): then give crop() and
  /// run() the BGR frame, else the luma (either works; see CnnSpec::input_tensor()).
  bool colour() const { return spec_.colour(); }
  /// The aligned crop the network sees (input width x height, 8-bit grey or BGR as `image`):
  /// see emo::align_face.
  cv::Mat crop(const cv::Mat &image, const Box &box, const std::vector<Point> &landmarks) const;
  /// Runs the network on an 8-bit grey or BGR crop (resized to the input size when it
  /// differs, converted to the sidecar's colour: CnnSpec::input_tensor()).
  CnnOutput run(const cv::Mat &crop) const;
  /// crop() then run().
  CnnOutput run(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks) const {
    return run(crop(gray, box, landmarks));
  }

  explicit CnnModel(CnnSpec spec);  ///< loads spec.onnx; use load()

  /// Copies of the network kept to run faces concurrently (about 1 MB each for the default).
  static constexpr int kInstances = 2;

 private:
  CnnSpec spec_;
  int embedding_size_ = 0;
  struct Net;
  std::vector<std::shared_ptr<Net>> nets_;  // kInstances
};

}  // namespace emo
