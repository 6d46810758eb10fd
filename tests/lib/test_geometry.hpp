// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: synthetic points turned in the image plane.
#pragma once

#include <cmath>
#include <vector>

#include "emo/core/geometry.hpp"

namespace emo::test {

/// `points` rotated by `degrees` (image axes: x right, y down) about `centre`.
inline std::vector<Point> rotated(std::vector<Point> points, double degrees, Point centre) {
  const double a = degrees * CV_PI / 180.0;
  for (Point &q : points) {
    const double dx = q.x - centre.x, dy = q.y - centre.y;
    q = {static_cast<float>(centre.x + std::cos(a) * dx - std::sin(a) * dy),
         static_cast<float>(centre.y + std::sin(a) * dx + std::cos(a) * dy)};
  }
  return points;
}

}  // namespace emo::test
