// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the surprise check (see emo/classify/surprise_check.hpp).
#include "emo/classify/surprise_check.hpp"

#include <algorithm>
#include <cmath>

#include "emo/classify/features.hpp"
#include "track_ages.hpp"

namespace emo {
namespace {

// Shape measures of compute_features() (emo/classify/features.hpp).
constexpr int kShape = 2 * kFeatureLandmarks;
constexpr int kInnerMouth = kShape + 1;
constexpr int kBrowLeft = kShape + 4, kBrowRight = kShape + 5;
constexpr int kEyeLeft = kShape + 7, kEyeRight = kShape + 8;

}  // namespace

std::optional<FaceActions> face_actions(const std::vector<Point> &landmarks) {
  if (landmarks.size() != static_cast<size_t>(kFeatureLandmarks)) return std::nullopt;
  thread_local std::vector<float> f;
  compute_features(landmarks, f);
  if (f[kBrowLeft] == 0.f && f[kBrowRight] == 0.f && f[kInnerMouth] == 0.f)
    return std::nullopt;  // coincident eye centres: compute_features() gave all zeros
  FaceActions a;
  a.brow_raise = (static_cast<double>(f[kBrowLeft]) + f[kBrowRight]) / 2.0;
  a.mouth_open = f[kInnerMouth];
  a.eye_open = (static_cast<double>(f[kEyeLeft]) + f[kEyeRight]) / 2.0;
  return a;
}

void SurpriseCheck::begin_frame() {
  ++frame_;
  detail::forget_missed_tracks(tracks_, frame_, max_missed);
}

double SurpriseCheck::median_since(const Track &t, std::int64_t since) {
  scratch_.clear();
  for (const auto &b : t.brows)
    if (b.first >= since) scratch_.push_back(b.second);
  if (scratch_.empty()) return std::nan("");
  const auto mid = scratch_.begin() + static_cast<std::ptrdiff_t>(scratch_.size() / 2);
  std::nth_element(scratch_.begin(), mid, scratch_.end());
  if (scratch_.size() % 2 == 1) return *mid;
  return (*mid + *std::max_element(scratch_.begin(), mid)) / 2.0;
}

BrowState SurpriseCheck::update(std::int64_t track_id, const std::optional<FaceActions> &actions,
                                std::int64_t pts, const SurpriseCheckSettings &settings) {
  BrowState state;
  if (track_id < 0 || pts < 0) {
    if (actions) state.recent = actions->brow_raise;
    return state;
  }
  Track &t = tracks_[track_id];
  t.last_frame = frame_;
  if (!t.brows.empty() && pts < t.brows.back().first) t.brows.clear();  // time went back
  if (actions) t.brows.emplace_back(pts, actions->brow_raise);
  const std::int64_t keep = std::max(settings.window, settings.baseline_window);
  while (!t.brows.empty() && t.brows.front().first < pts - keep) t.brows.pop_front();
  if (t.brows.empty()) return state;
  state.recent = median_since(t, pts - settings.window);
  if (pts - t.brows.front().first >= settings.min_baseline)
    state.baseline = median_since(t, pts - settings.baseline_window);
  return state;
}

void SurpriseCheck::reset() {
  tracks_.clear();
  frame_ = 0;
}

bool brows_support_surprise(const BrowState &brows, const SurpriseCheckSettings &settings) {
  if (!(settings.min_brow_raise > 0.0)) return true;
  const double raise = brows.raise();
  return std::isnan(raise) || raise >= settings.min_brow_raise;
}

std::vector<float> without_class(const std::vector<float> &scores, int index) {
  std::vector<float> out = scores;
  if (index < 0 || static_cast<size_t>(index) >= out.size()) return out;
  double rest = 0.0;
  for (size_t i = 0; i < out.size(); ++i)
    if (static_cast<int>(i) != index) rest += out[i];
  for (size_t i = 0; i < out.size(); ++i)
    out[i] =
        static_cast<int>(i) == index || !(rest > 0.0) ? 0.f : static_cast<float>(out[i] / rest);
  return out;
}

}  // namespace emo
