// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: carries a still face's landmarks over to the next frames instead of fitting them
// again.
#include "emo/landmarks/landmark_reuse.hpp"

#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace emo {

void LandmarkReuse::next_frame() {
  ++frame_;
  for (auto it = fits_.begin(); it != fits_.end();)
    it = it->second.seen + 1 < frame_ ? fits_.erase(it) : std::next(it);
}

void LandmarkReuse::patch_of(const cv::Mat &luma, const Box &box, cv::Mat &patch) {
  const Box inside = box & Box(0, 0, luma.cols, luma.rows);
  if (inside.empty()) {
    patch.release();
    return;
  }
  constexpr int n = LandmarkReuseParams::kPatch;
  cv::resize(luma(inside), patch, cv::Size(n, n), 0, 0, cv::INTER_AREA);
}

bool LandmarkReuse::reuse(std::uint64_t track_id, const Box &box, const cv::Mat &luma,
                          std::vector<Point> &points) {
  const auto it = fits_.find(track_id);
  if (it == fits_.end() || params_.max_age <= 0) return false;
  Fit &fit = it->second;
  fit.seen = frame_;
  if (frame_ - fit.frame > static_cast<std::uint64_t>(params_.max_age)) return false;
  const double side0 = (fit.box.width + fit.box.height) / 2.0;
  const double side1 = (box.width + box.height) / 2.0;
  if (side0 <= 0 || side1 <= 0) return false;
  const double cx0 = fit.box.x + fit.box.width / 2.0, cy0 = fit.box.y + fit.box.height / 2.0;
  const double cx1 = box.x + box.width / 2.0, cy1 = box.y + box.height / 2.0;
  const double limit = params_.max_motion * side0;
  if (std::hypot(cx1 - cx0, cy1 - cy0) > limit || std::abs(side1 - side0) > limit) return false;
  if (fit.patch.empty()) return false;
  patch_of(luma, box, scratch_);
  if (scratch_.empty() || scratch_.size() != fit.patch.size()) return false;
  cv::absdiff(scratch_, fit.patch, scratch_);
  double worst = 0;
  cv::minMaxLoc(scratch_, nullptr, &worst);
  if (worst > params_.max_change) return false;
  const double s = side1 / side0;
  points.resize(fit.points.size());
  for (std::size_t i = 0; i < points.size(); ++i)
    points[i] = Point(static_cast<float>(std::lround(cx1 + (fit.points[i].x - cx0) * s)),
                      static_cast<float>(std::lround(cy1 + (fit.points[i].y - cy0) * s)));
  ++reused_;
  return true;
}

void LandmarkReuse::store(std::uint64_t track_id, const Box &box, const cv::Mat &luma,
                          const std::vector<Point> &points) {
  Fit &fit = fits_[track_id];
  fit.box = box;
  fit.points = points;
  fit.frame = frame_;
  fit.seen = frame_;
  patch_of(luma, box, fit.patch);
  ++fitted_;
}

}  // namespace emo
