// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the JSON sidecar of a BlazeFace-family detector (SSD anchors, one score and one
// regressor per anchor): input, MediaPipe's anchor options, decoding and NMS settings, output
// names. Built-in defaults equal MediaPipe's full- and short-range graphs (see blazeface.hpp).
// Engine-free (emo::TensorInfo). Full schema: docs/sidecar.md.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/types.hpp>

#include "emo/core/sidecar.hpp"
#include "emo/core/tensor.hpp"
#include "emo/detect/blazeface.hpp"

namespace emo::detect {

/// MediaPipe's SsdAnchorsCalculatorOptions, the part the BlazeFace family uses (fixed anchor
/// size: only centres matter). Layer i has strides[i] (input pixels per cell) and
/// per_layer[i] anchors per cell (MediaPipe: the aspect ratios plus one for the interpolated
/// scale: 2 for BlazeFace). Consecutive layers of equal stride share one grid, whose cells hold
/// the sum of their anchors (BlazeFace 256: strides 16, 32, 32, 32 -> a 16 x 16 grid of 2 and
/// an 8 x 8 grid of 6). Anchor centre of cell (x, y) of a cols x rows grid:
/// ((x + offset_x) / cols, (y + offset_y) / rows), in [0, 1] of the input's width and height;
/// cols = ceil(width / stride), rows = ceil(height / stride).
struct AnchorOptions {
  std::vector<int> strides;
  std::vector<int> per_layer;
  double offset_x = 0.5, offset_y = 0.5;  ///< anchor_offset_x, anchor_offset_y (cells)
};

/// One grid: layers of equal stride merged.
struct AnchorGrid {
  int stride = 0;    ///< input pixels per cell
  int per_cell = 0;  ///< anchors per cell
};
std::vector<AnchorGrid> anchor_grids(const AnchorOptions &options);
/// Anchors per grid on an input of `input` pixels, in grid order.
std::vector<size_t> anchor_counts(const AnchorOptions &options, cv::Size input);
/// The anchors (MediaPipe's ssd_anchors_calculator): grid by grid, row-major (y, x, anchor).
std::vector<Anchor> ssd_anchors(const AnchorOptions &options, cv::Size input);

/// A BlazeFace-family detector as its sidecar describes it, e.g. the committed
/// models/blazeface-sidecars/face_detection_back_256_rect.json:
///   { "format": "gst-emo-blazeface-model", "version": 1,
///     "model": "../blazeface/face_detection_back_256_rect.onnx",   // relative to the sidecar
///     "name": "blazeface-full",                      // the detection metadata's model name
///     "input": { "size": 256, "layout": "nhwc", "color": "rgb",   // S x S pixels
///                "scale": 0.00784313725490196, "offset": -1.0 },  // value = pixel*scale+offset
///     "anchors": { "strides": [16, 32, 32, 32], "anchors_per_layer": 2, "anchor_offset": 0.5 },
///     "decode": { "score_threshold": 0.52, "score_clip": 100, "keypoints": 6, "nms_iou": 0.3 },
///     "outputs": "by-shape" }   // or { "scores": [...], "regressors": [...] }, grid order
struct BlazeFaceSpec {
  std::string sidecar;  ///< path of the sidecar; empty for the built-in defaults
  std::string onnx;     ///< resolved path of the ONNX model
  std::string name;     ///< model name in the metadata, e.g. "blazeface-full"
  InputSpec input;      ///< width = height = S
  AnchorOptions anchors;
  float score_threshold = kFullRangeThreshold;  ///< sigmoid score kept when > this
  float score_clip = kScoreClip;                ///< raw scores clamped to +-this
  int keypoints = kNumKeypoints;                ///< per anchor, after the 4 box values
  float nms_iou = kSuppressionIou;              ///< weighted NMS merges boxes of IoU > this
  /// Output names in grid order; empty: the outputs are told apart by shape (N x 1 scores and
  /// N x (4 + 2 keypoints) regressors, N the anchors of each grid).
  std::vector<std::string> score_outputs, regressor_outputs;

  /// Today's built-in behaviour for a network of size S = 128 (short range) or 256 (full
  /// range): MediaPipe's options (blazeface.hpp). Throws std::invalid_argument for another S.
  static BlazeFaceSpec defaults(int size);
  /// Parses a sidecar. Throws emo::ModelError (missing, not JSON) or emo::SidecarError
  /// naming the field.
  static BlazeFaceSpec parse(const std::string &sidecar_path);
  /// The sidecar of an ONNX file: <name>.json beside it, else
  /// ../blazeface-sidecars/<name>.json (the committed sidecars of the fetched models); "" when
  /// neither exists.
  static std::string sidecar_of(const std::string &onnx_path);

  int size() const { return input.width; }
  /// Values per anchor in the regressors: 4 box values and 2 per keypoint.
  int values() const { return 4 + 2 * keypoints; }

  /// Checks the sidecar against the network's real inputs and outputs (-1 = free dimension):
  /// input layout, channels and size S (or free), output names or shapes, keypoints, and
  /// anchor counts on S x S. Throws emo::SidecarError naming the field, e.g.
  ///   input.size is 128 but the network's input "input:0" is 1x256x256x3
  ///   decode.keypoints is 5 (14 values per anchor) but the network's regressor outputs have 16
  void validate(const std::vector<TensorInfo> &inputs,
                const std::vector<TensorInfo> &outputs) const;
  void validate_inputs(const std::vector<TensorInfo> &inputs) const;
  void validate_outputs(const std::vector<TensorInfo> &outputs) const;

  /// True when the network's image input leaves height and width free (-1): it takes the
  /// rectangular letterbox (Letterbox::fit_aligned) instead of S x S. Throws emo::SidecarError
  /// as validate_inputs() when the input cannot be picked.
  bool rectangular(const std::vector<TensorInfo> &inputs) const;

  /// Copies the raw outputs of one run on an `input`-pixel image into anchor order: `scores`
  /// (one per anchor) and `regressors` (values() per anchor). `outputs` are the run's
  /// tensors with their real shapes (same order as `data`). Throws std::runtime_error when
  /// they do not fit (names missing, or no output of a grid's anchor count).
  void gather(const std::vector<TensorInfo> &outputs, const std::vector<const float *> &data,
              cv::Size input, std::vector<float> &scores, std::vector<float> &regressors) const;
};

}  // namespace emo::detect
