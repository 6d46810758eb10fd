// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: tensors and tensor descriptions shared by the inference engine (emo/core/inference)
// and the model sidecars (emo/classify/cnn, emo/detect/blazeface). No GStreamer, no engine types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emo {

/// A tensor shape, outermost dimension first (ONNX order). A dimension the network leaves free
/// (a symbolic or unknown size, such as a batch "N") is -1.
using Shape = std::vector<int64_t>;

/// One input or output of a network, as the network file declares it.
struct TensorInfo {
  std::string name;  ///< the ONNX name, e.g. "input:0" or "scores"
  Shape shape;       ///< may hold -1 for free dimensions
};

/// A dense float32 tensor in row-major (C) order: data.size() is the product of shape.
struct Tensor {
  Shape shape;
  std::vector<float> data;

  /// Product of the dimensions (1 for a scalar, 0 if any dimension is 0). Every dimension must
  /// be >= 0.
  static int64_t count(const Shape &shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

}  // namespace emo
