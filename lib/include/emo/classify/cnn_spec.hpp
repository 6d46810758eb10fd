// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the JSON sidecar of an appearance CNN (any ONNX classifier): parsing, validation
// against the network's real inputs and outputs, and the input tensor of a batch of crops.
// Engine-free (emo::TensorInfo, emo::Tensor). Full schema: docs/sidecar.md.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/classify/align.hpp"
#include "emo/classify/gate.hpp"
#include "emo/core/sidecar.hpp"
#include "emo/core/tensor.hpp"

namespace emo {

/// What the sidecar says about the network (like DL Streamer's model-proc files), e.g.
/// models/emotion-cnn.json:
///   { "format": "gst-emo-cnn-model", "version": 1,
///     "model": "emotion-cnn.onnx",                 // ONNX file, relative to the sidecar
///     "input": { "width": 64, "height": 64, "color": "grey",   // pixels; grey | rgb | bgr
///                "layout": "nchw",                  // optional: nchw (default) | nhwc
///                "scale": 0.00784313725490196, "offset": -1.0,  // value = pixel*scale+offset
///                                                   // (or "mean"/"std", per channel)
///                "batch": "free" },                 // optional: "free" | n; default: the
///                                                   // network's first dimension
///     "outputs": { "scores": "scores", "embedding": "embedding" },  // ONNX output names;
///                                                   // embedding optional
///     "crop": { "size": 2.4, "below_eyes": 0.45, "box_scale": 1.0 },  // emo::CropFraming
///     "labels": [ "anger", ... ],                    // one per score, in output order
///     "gate": { "min_margin": 0.04 } }               // optional: this model's gate thresholds
///                                                   // (emo::GateOverrides; min_face_size px,
///                                                   // max_yaw degrees, min_sharpness, min_margin)
/// Unknown members are ignored (e.g. "source", "license", "gate.calibration").
struct CnnSpec {
  std::string sidecar;  ///< path of the sidecar file
  std::string onnx;     ///< resolved path of the ONNX model
  InputSpec input;      ///< the image input (emo/core/sidecar.hpp)
  std::string scores_output, embedding_output;
  CropFraming crop;  ///< in units of the interocular distance (see emo::CropFraming)
  std::vector<std::string> labels;
  GateOverrides gate;  ///< the sidecar's "gate" object; empty when absent

  /// Parses a sidecar. Throws emo::ModelError naming the sidecar path when the file is missing
  /// or not JSON, emo::SidecarError (a ModelError) naming the field when a member is missing,
  /// of the wrong type, out of range or an unknown choice.
  static CnnSpec parse(const std::string &sidecar_path);

  /// Whether the network wants a colour crop (input.color rgb or bgr).
  bool colour() const { return input.colour != InputColour::kGrey; }

  /// Checks the sidecar against the network's real inputs and outputs (as the engine reports
  /// them; -1 = free dimension). Throws emo::SidecarError naming the sidecar, the field and
  /// what the network has, e.g.
  ///   input.width is 64 but the network's input "input_1" is 1x1x48x48
  ///   labels has 6 entries but output "scores" has 7 (1x7)
  ///   outputs.scores names "prob" but the network's outputs are "scores", "embedding"
  void validate(const std::vector<TensorInfo> &inputs,
                const std::vector<TensorInfo> &outputs) const;
  /// The two halves of validate().
  void validate_inputs(const std::vector<TensorInfo> &inputs) const;
  void validate_outputs(const std::vector<TensorInfo> &outputs) const;

  /// Faces per call the network takes: 0 = any number (free batch), else exactly this many
  /// (input_tensor(crops, batch) pads a shorter list). From the sidecar's input.batch when
  /// given, else the network's first input dimension.
  int batch_size(const std::vector<TensorInfo> &inputs) const;

  /// One batched input tensor [N, C, H, W] (nchw) or [N, H, W, C] (nhwc), N =
  /// max(crops.size(), pad_to), normalised: value = pixel * scale[c] + offset[c]. Crops are
  /// 8-bit grey (CV_8UC1, emo::align_face of the luma) or BGR (CV_8UC3, of the colour frame),
  /// of any one size (resized to the input size with INTER_AREA); grey is repeated for a
  /// colour network, BGR turned to grey (cv::COLOR_BGR2GRAY) for a grey one. Throws
  /// std::invalid_argument on an empty crop or another pixel type.
  Tensor input_tensor(const std::vector<cv::Mat> &crops, int pad_to = 0) const;
};

}  // namespace emo
