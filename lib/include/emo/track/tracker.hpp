// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: follows face boxes from frame to frame between detections, with stable track ids.
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <utility>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"
#include "emo/track/shot_cut.hpp"

namespace emo {

/// Settings of a FaceTracker.
struct TrackerParams {
  /// The luma is downscaled to this width (pixels) for optical flow; 0 or a width >= the frame
  /// width means full resolution.
  int tracking_width = 320;
  /// Points per box side: grid x grid points, inside the central part of each box, are
  /// followed by optical flow (>= 2).
  int grid = 6;
  /// Smallest intersection over union between a detection and a track's box (on the frame the
  /// detection ran on) for the detection to belong to that track, in (0, 1].
  double min_iou = 0.3;
  /// The bound on unconfirmed tracks, in frames: a track is dropped by the first advance()
  /// whose frame is more than this many frames after the frame of the last detection that
  /// confirmed (or started) it (>= 0). So a box is never shown more than this many frames
  /// after a detection last saw its face, however seldom detections run. 12 frames is 0.5 s
  /// at 24 fps. Whoever runs the detections must run them often enough (and wait for late
  /// ones) for a face that stays in the picture to be confirmed in time, or its track ends
  /// and the next detection starts a new one (emofacedetect does, see its
  /// max-unconfirmed property).
  int max_unconfirmed_frames = 12;
  /// The same bound in running time (nanoseconds), for frames given a time in advance():
  /// a track is dropped on the first frame more than this after the frame of its last
  /// confirmation; <= 0: no time bound. Whichever bound is reached first drops the track.
  /// The time bound holds when frames are skipped (QoS) or the frame rate is low.
  std::int64_t max_unconfirmed_ns = 500'000'000;
  /// A track whose optical-flow points mostly fail (fewer than a third of them pass the
  /// forward-backward check: the face left, was covered or blurred) on more than this many
  /// frames in a row is dropped; its box does not move on those frames (>= 0).
  int max_lost_frames = 3;
  /// Shot cuts and gradual transitions (see ShotCutDetector): a cut, and the frame where a
  /// transition is found, drop every track; no track is built from a frame inside a
  /// transition, and its end starts a new shot like a cut.
  ShotCutParams shot_cut;
  /// Confirmation of new tracks (SORT's n_init, Bewley et al. 2016): a new track is published
  /// in faces() only once detections of this many consecutive update() calls (detection runs)
  /// matched it, counting the one that started it (>= 1; 1 = at once). Until then it is
  /// tentative: followed by optical flow like any track but not shown, and dropped by the
  /// first update() whose detections miss it. So a one-off box (a wall, a blend of two shots)
  /// is never published.
  int min_hits = 1;
  /// follow_landmarks(): smallest intersection over union between the box derived from the
  /// landmarks and the track's current box for the correction to apply, in [0, 1]. Below it
  /// the landmarks are taken for a bad fit and the box stays where optical flow put it.
  double min_follow_iou = 0.3;
};

/// What follow_landmarks() did with a correction.
enum class FollowResult {
  kCalibrated,     ///< the track was confirmed by a detection on this frame: framing learnt
  kFollowed,       ///< the box was set from the landmarks' extent
  kRejected,       ///< implausible: the derived box is too far from the track's box
  kStale,          ///< not for the current frame (arrived late): ignored
  kUnknownTrack,   ///< no such track (dropped meanwhile): ignored
  kNotCalibrated,  ///< no detection has confirmed the track since it lost its framing
};

/// Counters of a FaceTracker since construction (reset() keeps them).
struct TrackerStats {
  /// Detections associated with an existing track, and the sum of the IoU between each such
  /// detection and the track's box on the frame the detection ran on (before the detection
  /// corrected it): the mean IoU measures how well the boxes were followed between detections.
  std::uint64_t matched = 0;
  double matched_iou_sum = 0.0;
  std::uint64_t new_tracks = 0;   ///< detections that started a track
  std::uint64_t shot_cuts = 0;    ///< frames found to start a new shot
  std::uint64_t transitions = 0;  ///< gradual transitions found (each ends in a shot start)
  /// Tentative tracks dropped because the next detection run missed them (never published).
  std::uint64_t unconfirmed = 0;
  /// update() calls ignored because their frame lies before the last shot cut.
  std::uint64_t stale_detections = 0;
  std::uint64_t expired = 0;  ///< tracks dropped as unconfirmed for too long
  std::uint64_t lost = 0;     ///< tracks dropped because optical flow failed
  /// follow_landmarks() outcomes, indexed by FollowResult.
  std::array<std::uint64_t, 6> follow{};
  double mean_matched_iou() const { return matched ? matched_iou_sum / matched : 0.0; }
};

/// One face on the current frame.
struct TrackedFace {
  std::uint64_t track_id = 0;  ///< stable while the face is tracked; never reused
  Box box;                     ///< frame pixels, clipped to the frame
  bool detected = false;       ///< a detection was associated with the track on this frame
};

/// Tracks faces between detections (no GStreamer types; not thread-safe: one per stream).
///
/// Per frame, advance() first looks for a shot cut (ShotCutDetector on the luma: a hard
/// change of picture): on a cut every track is dropped and no optical flow runs across the
/// cut. Otherwise it moves every box with pyramidal Lucas-Kanade optical flow (OpenCV
/// calcOpticalFlowPyrLK; Bouguet 2000) of a grid of points inside the box, on the luma
/// downscaled to `tracking_width`: the box moves by the median point shift and scales by the
/// median ratio of point distances to their centroid. Points that fail a forward-backward
/// check (Kalal et al. 2010) are ignored; a track whose points mostly fail for more than
/// `max_lost_frames` frames is dropped. Boxes are re-seeded with fresh points every frame.
/// Between detections a box's mean side stays within 1.3x (either way) of its mean side at the
/// track's last detection, so that a runaway scale estimate cannot blow a box up. Then every
/// track that no detection confirmed within `max_unconfirmed_frames` frames (or
/// `max_unconfirmed_ns`) is dropped.
///
/// update() associates detections with tracks by intersection over union against each
/// track's box *on the frame the detection ran on* (detections may arrive a few frames late
/// when they run on a worker thread), with an optimal assignment: the one that maximises the
/// sum of IoU over the matched pairs (Hungarian method, dlib::max_cost_assignment on IoU
/// scaled to integers), where pairs below `min_iou` cannot match. A matched box is replaced
/// by the detection moved by the track's motion since that frame; an unmatched detection
/// starts a new track with a new id. Detections made on a frame before the last shot cut
/// belong to another shot and are ignored. Track ids count up from 1 and are never reused,
/// also across reset().
///
/// No allocation per frame in the steady state (buffers are reused), apart from a new track
/// and the assignment's cost matrix in update().
class FaceTracker {
 public:
  explicit FaceTracker(const TrackerParams &params = {});

  /// No time given to advance().
  static constexpr std::int64_t kNoTime = INT64_MIN;

  /// Starts a new frame: `luma` is 8-bit single-channel (CV_8UC1, any stride) at full frame
  /// resolution; `time_ns` its running time in nanoseconds (kNoTime: only the bound in
  /// frames applies). Drops every track on a shot cut (shot_cut() is then true until the
  /// next advance()), else moves every track by optical flow from the previous frame (none on
  /// the first frame); then drops the tracks unconfirmed for too long. A frame of another size
  /// than the previous one (a caps change) is a shot cut: boxes in the old size's pixels mean
  /// nothing in the new frame. Returns the frame's number (0, 1, 2, ...), to pass to update() with
  /// the detections made on this frame. Throws std::invalid_argument on another pixel type.
  std::uint64_t advance(const cv::Mat &luma, std::int64_t time_ns = kNoTime);

  /// Associates `detections` (frame pixels) made on frame `frame` (a number returned by
  /// advance(), at most kHistory frames old; older detections are matched against the
  /// current boxes). Call after advance() of the current frame. Returns false, and changes
  /// nothing, when `frame` lies before the last shot cut (the detections show another shot).
  bool update(const std::vector<Box> &detections, std::uint64_t frame);
  /// The same, where `confirmed_now` (empty, or one flag per detection) marks detections
  /// found by two independent looks at their frame (emo::detect::TiledDetector's whole-frame
  /// and tile passes, FaceDetection::views == 2): a track such a detection starts is
  /// published at once, as if confirmed by min_hits runs, but the next run that misses it
  /// still drops it like a tentative track. emofacedetect uses it on a shot's first frame
  /// only, so that the shot's clear faces show from that frame.
  bool update(const std::vector<Box> &detections, std::uint64_t frame,
              const std::vector<bool> &confirmed_now);

  /// True when the current frame (of the last advance()) starts a new shot (a hard cut or the
  /// first frame after a gradual transition): every track was dropped, and detections made on
  /// earlier frames will be ignored.
  bool shot_cut() const { return cut_; }

  /// True when the current frame lies inside a gradual transition: there are no tracks, and
  /// update() ignores detections until the transition ends.
  bool in_transition() const { return cuts_.in_transition(); }

  /// True when a tentative track (not yet confirmed, see TrackerParams::min_hits) exists: its
  /// confirmation waits for the next detection run.
  bool has_tentative() const;
  /// True when a track published at once by update()'s `confirmed_now` still waits for the
  /// detection run that must match it (emofacedetect leaves that run at its usual interval).
  bool has_provisional() const;

  /// Number of the first frame of the current shot (0 before any cut).
  std::uint64_t shot_start() const { return shot_start_; }

  /// Moves a track's box to follow its facial landmarks on the current frame. `extent` is the
  /// bounding box of the landmarks fitted inside the track's box (frame pixels), `frame` the
  /// number advance() returned for the frame they were fitted on; only the current frame's
  /// corrections apply (older ones return kStale and change nothing).
  ///
  /// On a frame where a detection confirmed the track (TrackedFace::detected), the track
  /// learns its framing: the detection box relative to the extent (centre offset, width and
  /// height, in units of the extent's mean side (width + height) / 2, so that the box keeps
  /// the detection's aspect ratio). On later frames the box becomes that
  /// framing applied to the new extent, so the box keeps the detector's framing but follows
  /// the landmarks; the next advance() starts optical flow from it. A derived box whose IoU
  /// with the current box is below `min_follow_iou` is rejected (a bad fit must not drag the
  /// box away). A box clipped by the frame edge teaches no framing (the previous one stays).
  ///
  /// Caveat (measured on the dinner clip, see docs/elements.md): where the fit depends on the
  /// box it was started from more than on the picture (faces turned away, blur), box and fit
  /// drift together from frame to frame, nothing pulls them back until the next detection,
  /// and tracks get lost; optical flow alone followed the faces better there.
  FollowResult follow_landmarks(std::uint64_t track_id, const Box &extent, std::uint64_t frame);

  /// Counters since construction.
  const TrackerStats &stats() const { return stats_; }

  /// The faces on the current frame, in track creation order.
  const std::vector<TrackedFace> &faces() const { return faces_; }

  /// Forgets every track and the previous frame (on a seek, flush or new stream); detections
  /// made before are ignored, like after a shot cut. Ids keep counting up.
  void reset();

  /// Frames of box history kept per track for late detections.
  static constexpr int kHistory = 32;

 private:
  struct Track {
    TrackedFace face;
    std::array<std::pair<std::uint64_t, Box>, kHistory> history{};  // ring, by frame % kHistory
    std::uint64_t born = 0;
    // framing learnt by follow_landmarks(): box centre offset and box size, in units of the
    // extent's mean side
    bool calibrated = false;
    double off_x = 0, off_y = 0, scale_w = 1, scale_h = 1;
    std::uint64_t confirmed = 0;          // frame of the last detection that confirmed the track
    std::int64_t confirmed_ns = kNoTime;  // its running time
    int lost_frames = 0;
    int hits = 0;              // consecutive detection runs that matched the track, up to min_hits
    bool provisional = false;  // confirmed at once (confirmed_now): the next run must match it
    double detected_side = 0;  // mean side of the box at the last detection, pixels
    void remember(std::uint64_t frame, const Box &box);
    bool box_at(std::uint64_t frame, Box &box) const;
  };

  void track_flow();
  void assign(const std::vector<Box> &detections, std::uint64_t frame, bool late);
  void publish();
  std::int64_t time_of(std::uint64_t frame) const;

  TrackerParams params_;
  TrackerStats stats_;
  std::vector<Track> tracks_;
  std::vector<TrackedFace> faces_;
  std::uint64_t frame_ = 0;  // number of the current frame + 1 (0 before the first)
  std::uint64_t next_id_ = 1;
  std::uint64_t shot_start_ = 0;
  bool cut_ = false;
  ShotCutDetector cuts_;
  std::array<std::pair<std::uint64_t, std::int64_t>, kHistory> times_{};  // frame + 1, time
  cv::Size frame_size_;
  double scale_ = 1.0;  // frame pixels per tracking pixel
  cv::Mat small_;
  std::vector<cv::Mat> prev_pyr_, cur_pyr_;
  bool have_prev_ = false;
  // scratch, reused across frames
  std::vector<cv::Point2f> prev_pts_, cur_pts_, back_pts_;
  std::vector<unsigned char> status_, back_status_;
  std::vector<float> err_, dx_, dy_, ratio_;
  std::vector<double> overlap_;  // IoU of each detection with its track
  std::vector<int> track_of_det_;
  std::vector<bool> track_used_;
};

}  // namespace emo
