// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: plain geometry helpers.
#include "emo/core/geometry.hpp"

#include <algorithm>

namespace emo {

double iou(const Box &a, const Box &b) {
  if (a.width <= 0 || a.height <= 0 || b.width <= 0 || b.height <= 0) return 0.0;
  const double inter = static_cast<double>((a & b).area());
  if (inter <= 0.0) return 0.0;
  const double uni = static_cast<double>(a.area()) + static_cast<double>(b.area()) - inter;
  return uni > 0.0 ? std::clamp(inter / uni, 0.0, 1.0) : 0.0;
}

}  // namespace emo
