// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: carries a still face's landmarks over to the next frames instead of fitting them
// again.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"

namespace emo {

/// When a tracked face's landmarks may be reused rather than fitted again.
struct LandmarkReuseParams {
  /// Frames in a row a fit may be reused after the frame it was made on (0 = never: every
  /// face is fitted on every frame). 6 frames is 240 ms at 25 fps.
  int max_age = 6;
  /// Largest move of the box centre, and largest change of its mean side, since the fit, as a
  /// share of the mean side at the fit (0.06: 6 px on a 100 px face).
  double max_motion = 0.06;
  /// The face's picture: the luma inside the box, averaged down to kPatch x kPatch cells, may
  /// differ from the one at the fit by at most this many grey levels (0-255) in every cell. A
  /// mouth that opens, eyes that close or a head that turns change several cells by more;
  /// H.264 noise and flicker by 1-3. It also holds the box to the face: a box that slid by a
  /// few percent of its side over a textured face changes cells by more.
  double max_change = 12.0;
  static constexpr int kPatch = 12;  ///< cells a side of the compared picture
};

/// Per track, the last landmark fit: its box, points and a small picture of the face.
///
/// For each face of a frame, reuse() tells whether the track's last fit still holds (made at
/// most max_age frames ago, the box moved and scaled by at most max_motion of its side, and the
/// picture inside the box changed by at most max_change grey levels in every cell); if so it
/// gives the fit's points moved and scaled with the box (rounded to whole pixels, as dlib gives
/// them). Otherwise the caller fits the face and hands the result to store(). The ages count
/// calls of next_frame(); the decisions depend on the frames and boxes only, so the output is
/// the same from run to run. A reused fit stays anchored to the frame it was made on: motion
/// and change are measured against that frame, so a slow drift cannot add up.
///
/// Not thread-safe (one per stream); no GStreamer types.
class LandmarkReuse {
 public:
  explicit LandmarkReuse(const LandmarkReuseParams &params = {}) : params_(params) {}

  /// Starts a new frame; forgets the tracks not seen on the previous one (ended or skipped).
  void next_frame();
  /// The face of track `track_id` in box `box` (frame pixels) on the current frame of `luma`
  /// (8-bit single channel, full frame): true, with `points` set, when its last fit may be
  /// reused.
  bool reuse(std::uint64_t track_id, const Box &box, const cv::Mat &luma,
             std::vector<Point> &points);
  /// Records a fit made on the current frame (after reuse() returned false for it).
  void store(std::uint64_t track_id, const Box &box, const cv::Mat &luma,
             const std::vector<Point> &points);
  /// Forgets every track (a flush, a new stream).
  void clear() { fits_.clear(); }

  std::uint64_t reused() const { return reused_; }  ///< faces whose fit was reused
  std::uint64_t fitted() const { return fitted_; }  ///< faces stored after a fit

  const LandmarkReuseParams &params() const { return params_; }

 private:
  struct Fit {
    Box box;
    std::vector<Point> points;
    cv::Mat patch;  // kPatch x kPatch, CV_8UC1
    std::uint64_t frame = 0;
    std::uint64_t seen = 0;  // last frame the track had a face
  };
  void patch_of(const cv::Mat &luma, const Box &box, cv::Mat &patch);

  LandmarkReuseParams params_;
  std::unordered_map<std::uint64_t, Fit> fits_;
  std::uint64_t frame_ = 0;
  std::uint64_t reused_ = 0, fitted_ = 0;
  cv::Mat scratch_;
};

}  // namespace emo
