// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo (private): checks an emotion model's OpenCV RTrees forest before OpenCV reads it.
#pragma once

#include <cstddef>
#include <string>

#include <opencv2/core/persistence.hpp>

namespace emo::detail {

/// Checks the "forest" node of an emotion model (OpenCV's RTrees FileStorage layout, format 3:
/// var_all, var_count, var_idx, var_type, class_labels, ntrees, trees[].nodes[] with value,
/// norm_class_idx, depth and splits[] of {var, le|gt, quality}) against its own declared sizes,
/// so that cv::ml::RTrees::read() and predictions never index out of range: `features` input
/// variables, all ordered, one categorical response; class labels in [0, labels); every
/// split's var in [0, var_count) with a finite threshold; every tree a full binary tree in
/// pre-order (each split node has exactly two children, the depths agree); node class indices
/// below the number of classes. Throws ModelError naming `path` and the first fault.
void check_forest(const cv::FileNode &forest, int features, std::size_t labels,
                  const std::string &path);

}  // namespace emo::detail
