// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: per-face temporal smoothing of emotion scores across frames.
#pragma once

#include <vector>

#include "emo/geometry.hpp"

namespace emo {

/// Exponential moving average of per-class scores, per face, across frames.
///
/// Faces are matched to the previous frame's faces by box overlap (greedy, highest IoU first,
/// IoU >= 0.3). A matched face gets  s = alpha * s_prev + (1 - alpha) * s_new  where
/// alpha = `smoothing` in [0, 1); an unmatched face starts from its own scores. Faces not seen
/// for more than `max_missed` frames are forgotten. smoothing == 0 returns the input unchanged.
class ScoreSmoother {
 public:
  struct Face {
    Box box;                    ///< frame pixels
    std::vector<float> scores;  ///< per-class scores; replaced in place by the smoothed ones
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
    int missed = 0;
  };
  std::vector<Track> tracks_;
};

}  // namespace emo
