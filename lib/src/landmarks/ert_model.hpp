// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo (private): dlib's shape predictor evaluated from a compact copy of its trees.
//
// A dlib shape_predictor (Kazemi & Sullivan, "One Millisecond Face Alignment with an Ensemble
// of Regression Trees", CVPR 2014; dlib/image_processing/shape_predictor.h) adds, per cascade
// level, one leaf vector (2 x points floats) of each of its trees to the current shape. dlib
// keeps every leaf in a heap block of its own: the default 68-point model reads 7500 leaves
// scattered over ~100 MB per face, and the fit is bound by cache and TLB misses. ErtModel
// loads the same file into one array per model (leaves of a tree side by side, trees in
// order), backed by transparent huge pages where the kernel allows, walks all trees of a
// level before adding their leaves (prefetching ahead), and otherwise runs dlib's own code:
// dlib's feature pixel extraction and transforms, the same float additions in the same order,
// so the points are the ones dlib::shape_predictor returns, to the bit.
#pragma once

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emo/core/geometry.hpp"

namespace emo::detail {

class ErtModel {
 public:
  /// Reads a dlib shape_predictor file (serialization version 1). Throws
  /// dlib::serialization_error on a malformed file, std::runtime_error on I/O errors.
  explicit ErtModel(const std::string &path);
  ~ErtModel();
  ErtModel(const ErtModel &) = delete;
  ErtModel &operator=(const ErtModel &) = delete;

  /// Number of landmarks.
  std::size_t num_parts() const { return static_cast<std::size_t>(initial_shape_.size() / 2); }

  /// The landmarks of the face in `rect` (inclusive dlib rectangle, pixels of `img`), as dlib's
  /// shape_predictor::operator() gives them: integer pixel positions. Const, thread-safe.
  void fit(const dlib::cv_image<unsigned char> &img, const dlib::rectangle &rect,
           std::vector<Point> &points) const;

 private:
  struct Split {
    std::uint32_t idx1, idx2;  // feature pixel indices
    float thresh;
  };
  struct Level {
    std::vector<unsigned long> anchor_idx;       // feature pixel -> anchor landmark
    std::vector<dlib::vector<float, 2>> deltas;  // feature pixel offsets (normalised)
    std::vector<Split> splits;                   // all trees of the level, in order
    std::vector<std::uint32_t> split_begin;      // per tree, +1 sentinel
    std::vector<std::size_t> leaf_begin;         // per tree: first float of its leaves
  };
  struct Storage;  // the leaf floats (mmap'd, huge pages when possible)

  dlib::matrix<float, 0, 1> initial_shape_;
  std::vector<Level> levels_;
  std::unique_ptr<Storage> leaves_;
  std::size_t dims_ = 0;  // floats per leaf (2 x points)
};

}  // namespace emo::detail
