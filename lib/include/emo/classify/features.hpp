// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: geometric facial features from 68 landmarks.
#pragma once

#include <vector>

#include "emo/core/geometry.hpp"

namespace emo {

/// Version of the feature formula below. Stored in every emotion model; a model trained on
/// another version is rejected (emo::ModelMismatch).
constexpr int kFeatureVersion = 1;
/// Landmark count the features need: the 68-point iBUG 300-W layout (dlib's default model).
constexpr int kFeatureLandmarks = 68;
/// Length of the feature vector: 136 aligned coordinates + 10 shape measures.
constexpr int kFeatureLength = 2 * kFeatureLandmarks + 10;

/// Computes the feature vector (version 1) of one face.
///
/// Input: exactly 68 points p_0..p_67 in any pixel coordinates (iBUG layout, 0-based:
/// jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67).
///
/// Alignment on the eye centres (removes translation, scale and in-plane rotation):
///   L = mean(p_36..p_41), R = mean(p_42..p_47)        (eye centres, image left and right)
///   o = (L + R) / 2,  d = |R - L|,  theta = atan2(R.y - L.y, R.x - L.x)
///   q_i = Rot(-theta) * (p_i - o) / d                 (unit: interocular distance)
///
/// Output (kFeatureLength floats, unit: interocular distance):
///   [0, 136)  q_0.x, q_0.y, ..., q_67.x, q_67.y
///   136  mouth width          |q_54 - q_48|
///   137  inner mouth opening  |q_66 - q_62|
///   138  outer mouth height   |q_57 - q_51|
///   139  mouth corner drop    (q_48.y + q_54.y) / 2 - (q_51.y + q_57.y) / 2   (> 0: corners down)
///   140  left brow height     mean_y(q_36..q_41) - mean_y(q_17..q_21)
///   141  right brow height    mean_y(q_42..q_47) - mean_y(q_22..q_26)
///   142  inner brow gap       |q_22 - q_21|
///   143  left eye opening     (|q_41 - q_37| + |q_40 - q_38|) / 2
///   144  right eye opening    (|q_47 - q_43| + |q_46 - q_44|) / 2
///   145  nose to upper lip    |q_51 - q_33|
///
/// Throws emo::ModelMismatch when points.size() != 68. Returns all zeros when the eye centres
/// coincide (d == 0), which no real face produces.
std::vector<float> compute_features(const std::vector<Point> &points);

/// Same, writing into `out` (resized to kFeatureLength) to avoid an allocation per face.
void compute_features(const std::vector<Point> &points, std::vector<float> &out);

}  // namespace emo
