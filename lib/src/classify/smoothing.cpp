// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: per-face temporal smoothing of emotion scores across frames.
#include "emo/classify/smoothing.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace emo {
namespace {

constexpr double kMinIou = 0.3;

}  // namespace

void ScoreSmoother::update(std::vector<Face> &faces, float smoothing) {
  const float alpha = std::isfinite(smoothing) ? std::clamp(smoothing, 0.f, 1.f) : 0.f;
  track_of_face_.assign(faces.size(), -1);
  track_used_.assign(tracks_.size(), false);

  // Tracked faces: the remembered face with the same track id.
  for (size_t f = 0; f < faces.size(); ++f) {
    if (faces[f].track_id < 0) continue;
    for (size_t t = 0; t < tracks_.size(); ++t)
      if (!track_used_[t] && tracks_[t].track_id == faces[f].track_id) {
        track_of_face_[f] = static_cast<int>(t);
        track_used_[t] = true;
        break;
      }
  }
  // Untracked faces, greedy matching: every (face, remembered untracked face) pair with enough
  // overlap, best overlap first.
  pairs_.clear();
  for (size_t f = 0; f < faces.size(); ++f) {
    if (faces[f].track_id >= 0) continue;
    for (size_t t = 0; t < tracks_.size(); ++t) {
      if (track_used_[t] || tracks_[t].track_id >= 0) continue;
      const double overlap = iou(faces[f].box, tracks_[t].box);
      if (overlap >= kMinIou) pairs_.emplace_back(overlap, f, t);
    }
  }
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const auto &a, const auto &b) { return std::get<0>(a) > std::get<0>(b); });
  for (const auto &[overlap, f, t] : pairs_) {
    if (track_of_face_[f] >= 0 || track_used_[t]) continue;
    track_of_face_[f] = static_cast<int>(t);
    track_used_[t] = true;
  }

  next_.clear();
  for (size_t f = 0; f < faces.size(); ++f) {
    Face &face = faces[f];
    if (track_of_face_[f] >= 0) {
      const Track &prev = tracks_[static_cast<size_t>(track_of_face_[f])];
      if (alpha > 0.f && prev.scores.size() == face.scores.size())
        for (size_t k = 0; k < face.scores.size(); ++k)
          face.scores[k] = alpha * prev.scores[k] + (1.f - alpha) * face.scores[k];
    }
    next_.push_back(Track{face.box, face.scores, face.track_id, 0});
  }
  for (size_t t = 0; t < tracks_.size(); ++t) {
    if (track_used_[t]) continue;
    Track &track = tracks_[t];
    if (++track.missed <= max_missed) next_.push_back(std::move(track));
  }
  tracks_.swap(next_);
}

void ScoreSmoother::reset() { tracks_.clear(); }

}  // namespace emo
