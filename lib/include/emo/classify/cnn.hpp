// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by ONNX Runtime) described by a JSON sidecar.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/align.hpp"
#include "emo/classify/cnn_spec.hpp"
#include "emo/core/geometry.hpp"
#include "emo/core/inference.hpp"
#include "emo/core/tensor.hpp"

namespace emo {

/// The outputs of one face.
struct CnnOutput {
  std::vector<float> scores;     ///< softmax, same order as labels(), sums to 1
  std::vector<float> embedding;  ///< the penultimate features (empty when the model has none)
};

/// An appearance CNN: aligns the face (emo::align_face with the sidecar's framing), scales it to
/// the input size, normalises it (CnnSpec::input_tensor()) and runs the ONNX network
/// (emo::Network, ONNX Runtime, CPU).
///
/// Thread-safe: every method is const and the network may run from several threads at once;
/// one loaded network (emo::Network::load's cache) serves every model of the file, so one
/// model can be shared by several elements.
class CnnModel {
 public:
  /// Loads from a sidecar (.json) or from an ONNX file with its sidecar beside it (same name,
  /// .json instead of .onnx). Throws emo::ModelError naming the missing/bad path,
  /// emo::SidecarError naming the field that does not fit the network.
  static std::shared_ptr<const CnnModel> load(const std::string &path);

  const CnnSpec &spec() const { return spec_; }
  const std::vector<std::string> &labels() const { return spec_.labels; }
  /// Length of the embedding (0 when the model has none).
  int embedding_size() const { return embedding_size_; }
  /// True when the network takes any number of faces per run (a free batch dimension); else
  /// run_batch() runs them batch_size() at a time.
  bool batched() const { return batch_ == 0; }
  /// Faces per run: 0 = any number (CnnSpec::batch_size()).
  int batch_size() const { return batch_; }
  const Network &network() const { return *net_; }

  /// Whether the network wants colour (sidecar input.color rgb or bgr): then give crop() and
  /// run() the BGR frame, else the luma (either works; see CnnSpec::input_tensor()).
  bool colour() const { return spec_.colour(); }
  /// The aligned crop the network sees (input width x height, 8-bit grey or BGR as `image`):
  /// see emo::align_face.
  cv::Mat crop(const cv::Mat &image, const Box &box, const std::vector<Point> &landmarks) const;
  /// The network's input for these crops (CnnSpec::input_tensor(), padded to `pad_to`).
  Tensor input_tensor(const std::vector<cv::Mat> &crops, int pad_to = 0) const {
    return spec_.input_tensor(crops, pad_to);
  }
  /// Runs the network on 8-bit grey or BGR crops: one call for all of them when batched(),
  /// else batch_size() per call. Returns one output per crop, in order (none for no crop).
  std::vector<CnnOutput> run_batch(const std::vector<cv::Mat> &crops) const;
  /// One crop.
  CnnOutput run(const cv::Mat &crop) const { return run_batch({crop}).at(0); }
  /// crop() then run().
  CnnOutput run(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks) const {
    return run(crop(gray, box, landmarks));
  }

  explicit CnnModel(CnnSpec spec);  ///< loads spec.onnx; use load()

 private:
  std::vector<CnnOutput> run_tensor(const Tensor &input, size_t faces) const;

  CnnSpec spec_;
  int embedding_size_ = 0;
  int batch_ = 0;
  std::vector<std::string> outputs_;  // scores[, embedding]
  std::shared_ptr<const Network> net_;
};

}  // namespace emo
