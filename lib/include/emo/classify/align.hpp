// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: eye-levelled face crops for appearance models.
#pragma once

#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"

namespace emo {

/// Framing of an aligned face crop, in units of the interocular distance d (the distance
/// between the two eye centres, each the mean of the 6 eye landmarks of the iBUG 68 layout).
struct CropFraming {
  double size = 2.4;         ///< side of the square crop, in d
  double below_eyes = 0.45;  ///< crop centre below the eye midpoint (along the face's own
                             ///< vertical, after levelling), in d
  double box_scale = 1.0;    ///< without 68 landmarks: side of the crop / face box width
};

/// Cuts a square, eye-levelled face crop of `out_size` x `out_size` pixels out of `gray`
/// (8-bit single channel, the frame's luma, or 8-bit 3 channels, the colour frame for a colour
/// network; any size).
///
/// With 68 landmarks (frame pixels, iBUG layout: left eye 36-41, right eye 42-47), the crop is
/// rotated so that the eye centres lie on one horizontal line, scaled so that its side is
/// `framing.size` x d and centred `framing.below_eyes` x d below the eye midpoint. Otherwise
/// (no or other landmarks) it is the square of side `box_scale` x box width centred on `box`
/// (frame pixels), unrotated. Pixels outside the frame repeat its edge. Downscaling averages
/// (INTER_AREA), so a 200 px face does not alias. Returns an out_size x out_size Mat of the
/// image's type; throws std::invalid_argument on an empty image, another pixel type or
/// out_size < 1.
cv::Mat align_face(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks,
                   int out_size, const CropFraming &framing = {});

}  // namespace emo
