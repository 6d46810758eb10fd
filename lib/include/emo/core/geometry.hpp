// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: plain geometry types shared by the library API.
#pragma once

#include <opencv2/core/types.hpp>

namespace emo {

/// An axis-aligned face box in frame pixel coordinates: origin at the top-left pixel of the
/// full-resolution frame, x to the right, y down. Width and height are in pixels, > 0.
using Box = cv::Rect;

/// One landmark in frame pixel coordinates (float: the LBF back-end fits sub-pixel positions,
/// dlib's ERT back-end whole pixels).
using Point = cv::Point2f;

/// Intersection over union of two boxes, in [0, 1]; 0 when either box is empty.
double iou(const Box &a, const Box &b);

}  // namespace emo
