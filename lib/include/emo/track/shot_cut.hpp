// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: finds shot cuts (hard scene changes) from the frames themselves.
#pragma once

#include <cstddef>
#include <vector>

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
  /// Gradual transitions (cross-fades, dissolves, fades to and from black): the window, in
  /// frames, over which a frame is compared with the frame this many frames before it (>= 4;
  /// 0 disables the test). 12 frames is 0.5 s at 24 fps.
  int transition_window = 12;
  /// Smallest mean absolute difference (grey levels) between the window's first and last
  /// frames for a transition: the picture must have changed that much over the window. On the
  /// dinner clip its cross-fade reached 31.
  double min_transition_difference = 12.0;
  /// Largest blend residual for a transition: the mean absolute difference between the
  /// window's frames at 1/4, 1/2 and 3/4 and the same blend of its end frames, divided by the
  /// difference between the ends. A dissolve is such a blend (0 for an exact one); motion is
  /// not. On the dinner clip (every frame checked by eye) the cross-fade scored 0.03-0.13 and
  /// every other window whose ends differed by >= 10 (pans, people walking, a dark foreground
  /// passing) scored >= 0.26.
  double max_blend_residual = 0.15;
  /// The same test on a short window, to find a fast transition earlier (the test is causal:
  /// the long window passes only once most of it is blended): the last `short_window` + 1
  /// frames (>= 2 and < transition_window; 0 disables it), whose ends must differ by at least
  /// `min_short_difference` grey levels with a blend residual of at most `max_short_residual`.
  /// On the dinner clip's luma plane (every frame) its cross-fade passed from its 4th frame
  /// (1426: residual 0.07, ends 9.0 apart) where the 12-frame window passed from its 9th (1432);
  /// every other 4-frame window whose ends differed by >= 8 scored >= 0.16 (the mother walking
  /// through the kitchen, frames 1574-1580), so 0.10 keeps a margin of 1.6x. A slow
  /// transition (less than 2 grey levels a frame) is left to the long window.
  int short_window = 4;
  double min_short_difference = 8.0;
  double max_short_residual = 0.10;
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
/// pixels on average. The first frame, and a frame whose size differs from the previous
/// one's, are never cuts.
///
/// Gradual transitions (cross-fades, dissolves, fades to or from black, which is a dissolve
/// with a black picture) change each frame too little for a cut. They are found by the
/// double chromatic difference test of Yu, Bozdagi and Harrington (1997), on a window of the
/// last `transition_window` + 1 small images: during a dissolve each frame is a blend of the
/// two shots, so the frames at 1/4, 1/2 and 3/4 of the window are the same blends of the
/// window's end frames, which camera and subject motion are not. A frame is inside a
/// transition when its window's ends differ by >= `min_transition_difference` and the
/// residual of those blends, relative to that difference, is <= `max_blend_residual`. The
/// test is causal: a transition is found about two thirds of a window after it starts (8
/// frames at 24 fps on the dinner clip's cross-fade); the same test on the last
/// `short_window` frames, stricter, finds a fast one sooner (its 4th frame there). Black
/// frames (kDarkMean) are inside a
/// transition too. It ends once the window no longer passes and the picture has settled
/// (kSettled), at most a window later; that frame starts the new shot (next() returns true).
/// A hard cut restarts the window, and so does the end of a transition.
///
/// Cost: a resize to 64 px wide, a histogram and a difference of about 2300 pixels: about
/// 60 us per frame from 320x180 (FaceTracker passes its optical-flow image) and 0.7 ms from
/// 1280x720, in one run on the shared 2-core machine. No allocation per frame in the steady
/// state. Not thread-safe.
class ShotCutDetector {
 public:
  static constexpr int kWidth = 64;  ///< width of the compared images, pixels
  static constexpr int kBins = 64;   ///< luma histogram bins
  /// A frame whose small luma has a mean <= kDarkMean and a standard deviation <=
  /// kDarkDeviation (grey levels) is black: inside a transition (a fade's end or start).
  /// Video's black is luma 16 (limited range).
  static constexpr double kDarkMean = 24.0, kDarkDeviation = 8.0;
  /// After the blend test stops passing, a transition ends on the first frame that differs
  /// from the previous one by less than this (grey levels: the picture has settled; the dinner
  /// clip's cross-fade changed 2.3-2.9 a frame, the shot after it 0.2-0.3), or a window after.
  static constexpr double kSettled = 2.0;

  explicit ShotCutDetector(const ShotCutParams &params = {}) : params_(params) {}

  /// Compares `luma` (CV_8UC1, any size and stride) with the previous frames given and
  /// remembers it. Returns true when `luma` starts a new shot: a hard cut, or the first frame
  /// after a gradual transition. Throws std::invalid_argument on another pixel type or an
  /// empty image.
  bool next(const cv::Mat &luma);

  /// True when the frame of the last next() lies inside a gradual transition.
  bool in_transition() const { return in_transition_; }
  /// True when the frame of the last next() is the first found inside a gradual transition.
  bool transition_started() const { return started_; }
  /// Blend residual (relative) and difference of the window ends of the last next() (9 and 0
  /// when the window was not full).
  double last_blend_residual() const { return blend_residual_; }
  double last_window_difference() const { return window_difference_; }

  /// Scores of the last next() (0 and 1 when there was no previous frame).
  double last_difference() const { return difference_; }
  double last_correlation() const { return correlation_; }

  /// Forgets the previous frame (the next frame is no cut).
  void reset() {
    have_prev_ = false;
    window_count_ = 0;
    in_transition_ = false;
    settling_ = 0;
  }

  const ShotCutParams &params() const { return params_; }
  void set_params(const ShotCutParams &params) { params_ = params; }

 private:
  ShotCutParams params_;
  cv::Mat small_, prev_small_;
  cv::Mat hist_, prev_hist_;  // kBins x 1, CV_32F
  bool have_prev_ = false;
  double difference_ = 0.0;
  double correlation_ = 1.0;
  bool blend_test();
  // The blend test on the newest `frames` + 1 images of the window: residual relative to the
  // ends' difference (9 when they differ by less than min_difference), and that difference.
  double blend_residual(int frames, double min_difference, double &difference);
  std::vector<cv::Mat> window_;  // ring of the last transition_window + 1 small images
  std::size_t window_next_ = 0, window_count_ = 0;
  cv::Mat blend_, start_f_, end_f_, mid_f_;  // CV_32F scratch
  bool in_transition_ = false, started_ = false;
  int settling_ = 0;  // frames since the test last passed, inside a transition
  double blend_residual_ = 9.0, window_difference_ = 0.0;
};

}  // namespace emo
