// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by ONNX Runtime) described by a JSON sidecar.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/align.hpp"
#include "emo/core/geometry.hpp"
#include "emo/core/inference.hpp"
#include "emo/core/tensor.hpp"

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
/// The input tensor is NCHW float32 [N, 1, height, width] (N faces; a network whose batch is
/// fixed to 1 runs one face per call); only "grey" (8-bit luma) is supported. Unknown members are
/// ignored (e.g. "source", "license").
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
/// the input size, normalises it and runs the ONNX network (emo::Network, ONNX Runtime, CPU).
///
/// Thread-safe: every method is const and the network may run from several threads at once;
/// one loaded network (emo::Network::load's cache) serves every model of the file, so one
/// model can be shared by several elements.
class CnnModel {
 public:
  /// Loads from a sidecar (.json) or from an ONNX file with its sidecar beside it (same name,
  /// .json instead of .onnx). Throws emo::ModelError naming the missing/bad path.
  static std::shared_ptr<const CnnModel> load(const std::string &path);

  const CnnSpec &spec() const { return spec_; }
  const std::vector<std::string> &labels() const { return spec_.labels; }
  /// Length of the embedding (0 when the model has none).
  int embedding_size() const { return embedding_size_; }
  /// True when the network takes any number of faces per run (a free batch dimension); else
  /// run_batch() runs them one by one.
  bool batched() const { return batched_; }
  const Network &network() const { return *net_; }

  /// The aligned crop the network sees (input width x height, 8-bit): see emo::align_face.
  cv::Mat crop(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks) const;
  /// The network's input for these 8-bit grey crops (each resized to the input size when it
  /// differs): NCHW float32 [crops.size(), 1, height, width], value = pixel * scale + offset.
  /// Throws std::invalid_argument for an empty or non-8-bit-grey crop.
  Tensor input_tensor(const std::vector<cv::Mat> &crops) const;
  /// Runs the network on 8-bit grey crops: one call for all of them when batched(), else one
  /// per crop. Returns one output per crop, in order (none for no crop).
  std::vector<CnnOutput> run_batch(const std::vector<cv::Mat> &crops) const;
  /// One crop.
  CnnOutput run(const cv::Mat &crop) const { return run_batch({crop}).at(0); }
  /// crop() then run().
  CnnOutput run(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks) const {
    return run(crop(gray, box, landmarks));
  }

  explicit CnnModel(CnnSpec spec);  ///< loads spec.onnx; use load()

 private:
  std::vector<CnnOutput> run_tensor(const Tensor &input) const;

  CnnSpec spec_;
  int embedding_size_ = 0;
  bool batched_ = false;
  std::vector<std::string> outputs_;  // scores[, embedding]
  std::shared_ptr<const Network> net_;
};

}  // namespace emo
