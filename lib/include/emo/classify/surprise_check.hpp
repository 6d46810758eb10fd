// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: a talking mouth is not surprise. By FACS, surprise is AU1+2 (inner and outer brows
// raised) + AU5 (upper lids raised) + AU26/27 (jaw drop); talking drops the jaw without raising
// the brows, yet the appearance networks read an open mouth as surprise. The surprise check
// keeps a track's "surprise" only while its brows are raised. Threshold, measurements and
// limits: docs/emotion-labels.md ("Surprise needs raised brows").
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "emo/core/geometry.hpp"

namespace emo {

/// Facial-action measures of one face, from its 68 landmarks (iBUG 300-W layout), in
/// inter-ocular units (distance between the eye centres), after levelling the eyes: the shape
/// measures of compute_features() (emo/classify/features.hpp), so the stills tools and the
/// element measure the same thing.
struct FaceActions {
  /// Height of the brows above the eye centres: mean over both sides of
  /// mean_y(eye points) - mean_y(brow points) (features 140 and 141). Raised brows (AU1+2)
  /// make it larger; it depends on the person's face (about 0.33-0.45 on calm adult faces).
  double brow_raise = 0.0;
  /// Inner mouth opening |q_66 - q_62| (feature 137): 0 closed, about 0.1-0.4 talking.
  double mouth_open = 0.0;
  /// Eye opening, mean of both eyes (features 143 and 144): the upper lid raised (AU5) makes
  /// it larger.
  double eye_open = 0.0;
};

/// The measures of one face; nullopt unless `landmarks` has exactly 68 points with distinct eye
/// centres.
std::optional<FaceActions> face_actions(const std::vector<Point> &landmarks);

/// Settings of the surprise check. Times in nanoseconds of presentation time.
struct SurpriseCheckSettings {
  /// Inter-ocular units: how far the brows must be raised above the track's own baseline for
  /// "surprise" to be kept (raise = median of FaceActions::brow_raise over `window` minus its
  /// median over `baseline_window`). 0 turns the check off. 0.04: learnt on CK+ (surprise
  /// against the other six classes, each subject's baseline the median over their other
  /// sequences; balanced accuracy 0.92) by tools/emo-calibrate-surprise.py, never on the video
  /// labels. An absolute brow height does not carry from stills to video (docs/emotion-labels.md).
  double min_brow_raise = 0.04;
  /// Recent brows: dlib's brow points jump by 0.05-0.1 inter-ocular units from frame to frame on
  /// moving faces, so the last 0.4 s are pooled (median).
  std::int64_t window = 400000000;
  /// The track's baseline: median over its last 10 s (a face talking or at rest most of it).
  std::int64_t baseline_window = 10000000000;
  /// No verdict (surprise kept) until the track's measures span this long: a baseline of a
  /// track's first moments is the expression itself.
  std::int64_t min_baseline = 2000000000;
};

/// The brows of one track: recent height, baseline, raise (NaN: not measured).
struct BrowState {
  double recent = std::nan("");    ///< median over SurpriseCheckSettings::window
  double baseline = std::nan("");  ///< median over baseline_window, once min_baseline is covered
  double raise() const { return recent - baseline; }
};

/// Per track, the brows' recent height against its own baseline.
///
/// Call begin_frame() once per frame, then update() for every face (also on frames where the
/// face is not classified again, so that the windows stay full). Untracked faces (track id
/// < 0), faces without 68 landmarks and frames without a timestamp get no baseline. Tracks
/// not updated for more than `max_missed` frames are forgotten.
class SurpriseCheck {
 public:
  void begin_frame();
  /// Records the face's measures at `pts` (ns, -1 unknown) and returns the track's brows.
  BrowState update(std::int64_t track_id, const std::optional<FaceActions> &actions,
                   std::int64_t pts, const SurpriseCheckSettings &settings);
  void reset();
  int max_missed = 5;

 private:
  struct Track {
    std::deque<std::pair<std::int64_t, double>> brows;  // (pts, brow_raise), oldest first
    std::uint64_t last_frame = 0;
  };
  double median_since(const Track &t, std::int64_t since);
  std::map<std::int64_t, Track> tracks_;
  std::vector<double> scratch_;
  std::uint64_t frame_ = 0;
};

/// Whether a face may keep "surprise": false only when the check is on and the brows' raise
/// over the baseline is measured and under settings.min_brow_raise (not measured: no evidence
/// against surprise).
bool brows_support_surprise(const BrowState &brows, const SurpriseCheckSettings &settings);

/// `scores` with class `index` removed from the race: its score set to 0 and the others
/// rescaled to sum to 1; all 0 when the others sum to 0 (no other class has any evidence);
/// unchanged when `index` is out of range.
std::vector<float> without_class(const std::vector<float> &scores, int index);

}  // namespace emo
