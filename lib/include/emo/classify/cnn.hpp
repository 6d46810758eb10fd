// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by OpenCV DNN) described by a JSON sidecar.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/align.hpp"
#include "emo/core/geometry.hpp"

namespace emo {

/// What the sidecar says about the network's input and outputs (like DL Streamer's
/// model-proc files).
///
/// Sidecar: a JSON file (read with cv::FileStorage), e.g. models/emotion-cnn.json:
///   { "format": "gst-emo-cnn-model", "version": 1,
///     "model": "emotion-cnn.onnx",                 // ONNX file, relative to the sidecar
///     "input": { "width": 64, "height": 64, "color": "grey",
///                "scale": 0.00784313725490196, "offset": -1.0 },  // value = pixel*scale+offset
///     "outputs": { "scores": "scores", "embedding": "embedding" },  // ONNX output names;
///                                                   // embedding optional
///     "crop": { "size": 2.4, "below_eyes": 0.45, "box_scale": 1.0 },  // emo::CropFraming
///     "labels": [ "anger", ... ] }                   // one per score, in output order
/// The input tensor is NCHW float32 [1, 1, height, width]; only "grey" (8-bit luma) is
/// supported. Unknown members are ignored (e.g. "source", "license").
struct CnnSpec {
  std::string sidecar;  ///< path of the sidecar file
  std::string onnx;     ///< resolved path of the ONNX model
  int width = 0, height = 0;
  std::string color;
  double scale = 1.0, offset = 0.0;
  std::string scores_output, embedding_output;
  CropFraming crop;
  std::vector<std::string> labels;

  /// Parses a sidecar. Throws emo::ModelError naming the sidecar path when the file is missing,
  /// not JSON, of another format, or a member is missing or out of range.
  static CnnSpec parse(const std::string &sidecar_path);
};

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

  /// The aligned crop the network sees (input width x height, 8-bit): see emo::align_face.
  cv::Mat crop(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks) const;
  /// Runs the network on an 8-bit grey crop (resized to the input size when it differs).
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
