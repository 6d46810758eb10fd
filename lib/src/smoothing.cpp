// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: per-face temporal smoothing of emotion scores across frames.
#include "emo/smoothing.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace emo {
namespace {

constexpr double kMinIou = 0.3;

}  // namespace

void ScoreSmoother::update(std::vector<Face> &faces, float smoothing) {
  const float alpha = std::isfinite(smoothing) ? std::clamp(smoothing, 0.f, 1.f) : 0.f;

  // Greedy matching: every (face, track) pair with enough overlap, best overlap first.
  std::vector<std::tuple<double, size_t, size_t>> pairs;
  for (size_t f = 0; f < faces.size(); ++f)
    for (size_t t = 0; t < tracks_.size(); ++t) {
      const double overlap = iou(faces[f].box, tracks_[t].box);
      if (overlap >= kMinIou) pairs.emplace_back(overlap, f, t);
    }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto &a, const auto &b) { return std::get<0>(a) > std::get<0>(b); });

  std::vector<int> track_of_face(faces.size(), -1);
  std::vector<bool> track_used(tracks_.size(), false);
  for (const auto &[overlap, f, t] : pairs) {
    if (track_of_face[f] >= 0 || track_used[t]) continue;
    track_of_face[f] = static_cast<int>(t);
    track_used[t] = true;
  }

  std::vector<Track> next;
  next.reserve(tracks_.size() + faces.size());
  for (size_t f = 0; f < faces.size(); ++f) {
    Face &face = faces[f];
    if (track_of_face[f] >= 0) {
      const Track &prev = tracks_[static_cast<size_t>(track_of_face[f])];
      if (alpha > 0.f && prev.scores.size() == face.scores.size())
        for (size_t k = 0; k < face.scores.size(); ++k)
          face.scores[k] = alpha * prev.scores[k] + (1.f - alpha) * face.scores[k];
    }
    next.push_back(Track{face.box, face.scores, 0});
  }
  for (size_t t = 0; t < tracks_.size(); ++t) {
    if (track_used[t]) continue;
    Track track = std::move(tracks_[t]);
    if (++track.missed <= max_missed) next.push_back(std::move(track));
  }
  tracks_ = std::move(next);
}

void ScoreSmoother::reset() { tracks_.clear(); }

}  // namespace emo
