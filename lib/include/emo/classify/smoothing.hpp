// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: per-face temporal smoothing of emotion scores across frames.
#pragma once

#include <cstdint>
#include <tuple>
#include <vector>

#include "emo/core/geometry.hpp"

namespace emo {

/// Exponential moving average of per-class scores, per face, across frames.
///
/// A face with a track id (from a tracker, >= 0) is matched to the remembered face of the same
/// track id. Other faces are matched to the remaining remembered faces by box overlap (greedy,
/// highest IoU first, IoU >= 0.3). A matched face gets  s = alpha * s_prev + (1 - alpha) * s_new
/// where alpha = `smoothing` in [0, 1); an unmatched face starts from its own scores. Faces not
/// seen for more than `max_missed` frames are forgotten. smoothing == 0 returns the input
/// unchanged.
class ScoreSmoother {
 public:
  struct Face {
    Box box;                     ///< frame pixels
    std::vector<float> scores;   ///< per-class scores; replaced in place by the smoothed ones
    std::int64_t track_id = -1;  ///< stable id across frames, or -1 when the face is untracked
  };

  /// Smooths the faces of one frame, in place. Call once per frame in stream order.
  void update(std::vector<Face> &faces, float smoothing);
  /// Forgets every face (call on flush, seek or a new stream).
  void reset();
  int max_missed = 5;

 private:
  struct Track {
    Box box;
    std::vector<float> scores;
    std::int64_t track_id = -1;
    int missed = 0;
  };
  std::vector<Track> tracks_;
  std::vector<Track> next_;  // reused across frames
  std::vector<std::tuple<double, size_t, size_t>> pairs_;
  std::vector<int> track_of_face_;
  std::vector<bool> track_used_;
};

}  // namespace emo
