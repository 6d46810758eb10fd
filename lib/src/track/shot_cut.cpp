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
  if (!have_prev_ || prev_small_.size() != small_.size()) window_count_ = 0;
  std::swap(small_, prev_small_);
  std::swap(hist_, prev_hist_);
  have_prev_ = true;

  // Gradual transitions, on the window of the last transition_window + 1 images (prev_small_
  // is this frame's now). A cut restarts the window.
  started_ = false;
  const int w_frames = params_.transition_window;
  if (w_frames < 4 || cut) {
    window_count_ = 0;
    in_transition_ = false;
    blend_residual_ = 9.0;
    window_difference_ = 0.0;
  }
  if (w_frames < 4) return cut;
  const std::size_t ring = static_cast<std::size_t>(w_frames) + 1;
  if (window_.size() != ring) {
    window_.assign(ring, cv::Mat());
    window_count_ = 0;
  }
  if (window_count_ == 0) window_next_ = 0;
  prev_small_.copyTo(window_[window_next_]);
  window_next_ = (window_next_ + 1) % ring;
  window_count_ = std::min(window_count_ + 1, ring);
  const bool was = in_transition_;
  // A picture that is black (or nearly: a fade's end) belongs to the transition too.
  cv::Scalar mean, sdev;
  cv::meanStdDev(prev_small_, mean, sdev);
  const bool dark = mean[0] <= kDarkMean && sdev[0] <= kDarkDeviation;
  const int short_w = params_.short_window;
  double short_difference = 0.0;
  const bool short_blend = short_w >= 2 && short_w < w_frames &&
                           window_count_ >= static_cast<std::size_t>(short_w) + 1 &&
                           blend_residual(short_w, params_.min_short_difference,
                                          short_difference) <= params_.max_short_residual;
  const bool blend = (window_count_ == ring && blend_test()) || short_blend;
  if (cut) {
    in_transition_ = false;
  } else if (blend || dark) {
    in_transition_ = true;
    settling_ = 0;
  } else if (was) {
    // The test no longer passes: the transition is over once the picture has settled (its
    // window still holds blended frames; a fade in from black passes the test only late), or
    // a window's length after.
    in_transition_ = difference_ >= kSettled && ++settling_ <= w_frames;
  } else {
    in_transition_ = false;
  }
  started_ = in_transition_ && !was;
  if (was && !in_transition_ && !cut) {
    window_count_ = 0;  // the window holds the transition: start afresh on the new shot
    return true;
  }
  return cut;
}

bool ShotCutDetector::blend_test() {
  blend_residual_ = blend_residual(static_cast<int>(window_.size()) - 1,
                                   params_.min_transition_difference, window_difference_);
  return blend_residual_ <= params_.max_blend_residual;
}

double ShotCutDetector::blend_residual(int frames, double min_difference, double &difference) {
  const std::size_t ring = window_.size();
  // The image `age` frames before the newest (the newest is just before window_next_).
  const auto back = [&](int age) -> const cv::Mat & {
    return window_[(window_next_ + ring - 1 - static_cast<std::size_t>(age)) % ring];
  };
  const cv::Mat &first = back(frames), &last = back(0);
  difference = cv::norm(first, last, cv::NORM_L1) / static_cast<double>(first.total());
  if (difference < min_difference || difference <= 0) return 9.0;
  first.convertTo(start_f_, CV_32F);
  last.convertTo(end_f_, CV_32F);
  double residual = 0.0;
  for (int q = 1; q <= 3; ++q) {
    const int k = static_cast<int>(std::lround(frames * q / 4.0));
    const double t = static_cast<double>(k) / frames;
    cv::addWeighted(start_f_, 1.0 - t, end_f_, t, 0.0, blend_);
    back(frames - k).convertTo(mid_f_, CV_32F);
    residual += cv::norm(mid_f_, blend_, cv::NORM_L1) / static_cast<double>(blend_.total());
  }
  return residual / 3.0 / difference;
}

}  // namespace emo
