// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: finds shot cuts (hard scene changes) from the frames themselves.
#pragma once

#include <opencv2/core/mat.hpp>

namespace emo {

/// Settings of a ShotCutDetector.
struct ShotCutParams {
  /// Mean absolute difference between consecutive frames' downscaled luma (grey levels,
  /// 0-255) from which a frame may be a cut; 0 disables cut detection. On the dinner clip
  /// (38 cuts, all checked by eye) every cut scored >= 24.8 and no other frame above 17.5
  /// (camera pans and people crossing the picture), so 20 leaves a margin either way.
  double threshold = 20.0;
  /// Largest correlation between consecutive frames' luma histograms for a cut: a frame that
  /// differs a lot but keeps its histogram (a pan, fast motion) is no cut. 0.95 is
  /// PySceneDetect's HistogramDetector default; cuts on the dinner clip scored <= 0.87,
  /// pans >= 0.97.
  double max_histogram_correlation = 0.95;
};

/// Finds hard cuts between shots from consecutive frames alone (no look-ahead, one frame of
/// state), in the spirit of PySceneDetect's ContentDetector (luma-only mean pixel difference)
/// and HistogramDetector (luma histogram correlation, cv::compareHist HISTCMP_CORREL):
///
///  - each frame's luma is downscaled (cv::INTER_AREA) to kWidth pixels wide (height by the
///    aspect ratio), which removes noise and small motion;
///  - a frame is a cut when the mean absolute difference of that small image with the
///    previous frame's is at least `threshold` grey levels AND the correlation of their
///    kBins-bin luma histograms is at most `max_histogram_correlation`.
///
/// The two tests fail differently: fast camera pans change pixels but keep the histogram;
/// a dark foreground passing by or a change of exposure changes the histogram more than the
/// pixels on average. Gradual transitions (fades, dissolves) are not cuts. The first frame,
/// and a frame whose size differs from the previous one's, are never cuts.
///
/// Cost: a resize to 64 px wide, a histogram and a difference of about 2300 pixels: about
/// 60 us per frame from 320x180 (FaceTracker passes its optical-flow image) and 0.7 ms from
/// 1280x720, in one run on the shared 2-core machine. No allocation per frame in the steady
/// state. Not thread-safe.
class ShotCutDetector {
 public:
  static constexpr int kWidth = 64;  ///< width of the compared images, pixels
  static constexpr int kBins = 64;   ///< luma histogram bins

  explicit ShotCutDetector(const ShotCutParams &params = {}) : params_(params) {}

  /// Compares `luma` (CV_8UC1, any size and stride) with the previous frame given and
  /// remembers it. Returns true when `luma` starts a new shot. Throws std::invalid_argument
  /// on another pixel type or an empty image.
  bool next(const cv::Mat &luma);

  /// Scores of the last next() (0 and 1 when there was no previous frame).
  double last_difference() const { return difference_; }
  double last_correlation() const { return correlation_; }

  /// Forgets the previous frame (the next frame is no cut).
  void reset() { have_prev_ = false; }

  const ShotCutParams &params() const { return params_; }
  void set_params(const ShotCutParams &params) { params_ = params; }

 private:
  ShotCutParams params_;
  cv::Mat small_, prev_small_;
  cv::Mat hist_, prev_hist_;  // kBins x 1, CV_32F
  bool have_prev_ = false;
  double difference_ = 0.0;
  double correlation_ = 1.0;
};

}  // namespace emo
