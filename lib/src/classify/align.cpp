// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: eye-levelled face crops for appearance models.
#include "emo/classify/align.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace emo {

cv::Mat align_face(const cv::Mat &gray, const Box &box, const std::vector<Point> &landmarks,
                   int out_size, const CropFraming &framing) {
  if (gray.empty() || (gray.type() != CV_8UC1 && gray.type() != CV_8UC3))
    throw std::invalid_argument("align_face: 8-bit grey or 3-channel image expected");
  if (out_size < 1) throw std::invalid_argument("align_face: output size < 1");

  cv::Point2d centre;
  double side = 0.0, angle = 0.0;  // side in frame pixels, angle in radians
  if (landmarks.size() == 68) {
    cv::Point2d l(0, 0), r(0, 0);
    for (int i = 36; i < 42; ++i) l += cv::Point2d(landmarks[i].x, landmarks[i].y);
    for (int i = 42; i < 48; ++i) r += cv::Point2d(landmarks[i].x, landmarks[i].y);
    l /= 6.0, r /= 6.0;
    const double d = std::hypot(r.x - l.x, r.y - l.y);
    if (d > 1.0) {
      angle = std::atan2(r.y - l.y, r.x - l.x);
      side = framing.size * d;
      const cv::Point2d down(-std::sin(angle), std::cos(angle));  // the face's own vertical
      centre = (l + r) * 0.5 + down * (framing.below_eyes * d);
    }
  }
  if (side <= 0.0) {
    side = std::max(1.0, framing.box_scale * box.width);
    centre = cv::Point2d(box.x + box.width / 2.0, box.y + box.height / 2.0);
  }

  // Warp at (about) the crop's own resolution, then average down to out_size.
  const int work = std::clamp(static_cast<int>(std::lround(side)), out_size, 4 * out_size);
  const double s = work / side;  // work pixels per frame pixel
  const double c = std::cos(angle) * s, sn = std::sin(angle) * s;
  // Maps frame -> crop: rotate by -angle about `centre`, scale, move centre to the middle.
  cv::Matx23d m(c, sn, 0.0, -sn, c, 0.0);
  m(0, 2) = work / 2.0 - (m(0, 0) * centre.x + m(0, 1) * centre.y);
  m(1, 2) = work / 2.0 - (m(1, 0) * centre.x + m(1, 1) * centre.y);
  cv::Mat warped;
  cv::warpAffine(gray, warped, m, cv::Size(work, work), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  if (work == out_size) return warped;
  cv::Mat out;
  cv::resize(warped, out, cv::Size(out_size, out_size), 0, 0, cv::INTER_AREA);
  return out;
}

}  // namespace emo
