// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: finds shot cuts (hard scene changes) from the frames themselves.
#include "emo/track/shot_cut.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include <opencv2/imgproc.hpp>

namespace emo {

bool ShotCutDetector::next(const cv::Mat &luma) {
  if (luma.type() != CV_8UC1 || luma.empty())
    throw std::invalid_argument("ShotCutDetector::next: expected a non-empty 8-bit luma image");
  const int w = std::min(kWidth, luma.cols);
  const int h = std::max(1, static_cast<int>(std::lround(static_cast<double>(luma.rows) * w /
                                                         static_cast<double>(luma.cols))));
  cv::resize(luma, small_, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  const int channels[] = {0};
  const int bins[] = {kBins};
  const float range[] = {0.f, 256.f};
  const float *ranges[] = {range};
  cv::calcHist(&small_, 1, channels, cv::Mat(), hist_, 1, bins, ranges);

  difference_ = 0.0;
  correlation_ = 1.0;
  bool cut = false;
  if (have_prev_ && prev_small_.size() == small_.size()) {
    difference_ = cv::norm(small_, prev_small_, cv::NORM_L1) / static_cast<double>(small_.total());
    correlation_ = cv::compareHist(prev_hist_, hist_, cv::HISTCMP_CORREL);
    cut = params_.threshold > 0 && difference_ >= params_.threshold &&
          correlation_ <= params_.max_histogram_correlation;
  }
  std::swap(small_, prev_small_);
  std::swap(hist_, prev_hist_);
  have_prev_ = true;
  return cut;
}

}  // namespace emo
