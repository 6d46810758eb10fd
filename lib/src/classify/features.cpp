// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: geometric facial features from 68 landmarks (feature version 1).
#include "emo/classify/features.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "emo/core/error.hpp"

namespace emo {
namespace {

struct Vec {
  double x = 0.0;
  double y = 0.0;
};

double dist(const Vec &a, const Vec &b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Mean of points first..last (inclusive) of any container of points with .x and .y.
template <typename Points>
Vec mean_of(const Points &p, int first, int last) {
  Vec m;
  for (int i = first; i <= last; ++i) {
    m.x += p[i].x;
    m.y += p[i].y;
  }
  const double n = last - first + 1;
  return {m.x / n, m.y / n};
}

}  // namespace

void compute_features(const std::vector<Point> &points, std::vector<float> &out) {
  if (points.size() != static_cast<size_t>(kFeatureLandmarks))
    throw ModelMismatch("emotion features need " + std::to_string(kFeatureLandmarks) +
                        " landmarks (iBUG 300-W layout), got " + std::to_string(points.size()));
  out.assign(kFeatureLength, 0.f);

  const Vec left = mean_of(points, 36, 41);
  const Vec right = mean_of(points, 42, 47);
  const double d = dist(left, right);
  if (!(d > 0.0) || !std::isfinite(d)) return;  // coincident eye centres: all zeros
  const Vec o{(left.x + right.x) / 2.0, (left.y + right.y) / 2.0};
  const double theta = std::atan2(right.y - left.y, right.x - left.x);
  const double c = std::cos(theta);
  const double s = std::sin(theta);

  // q_i = Rot(-theta) * (p_i - o) / d
  std::array<Vec, kFeatureLandmarks> q;
  for (int i = 0; i < kFeatureLandmarks; ++i) {
    const double dx = points[i].x - o.x;
    const double dy = points[i].y - o.y;
    q[i] = {(c * dx + s * dy) / d, (-s * dx + c * dy) / d};
    out[2 * i] = static_cast<float>(q[i].x);
    out[2 * i + 1] = static_cast<float>(q[i].y);
  }

  constexpr int k = 2 * kFeatureLandmarks;
  out[k + 0] = static_cast<float>(dist(q[54], q[48]));
  out[k + 1] = static_cast<float>(dist(q[66], q[62]));
  out[k + 2] = static_cast<float>(dist(q[57], q[51]));
  out[k + 3] = static_cast<float>((q[48].y + q[54].y) / 2.0 - (q[51].y + q[57].y) / 2.0);
  out[k + 4] = static_cast<float>(mean_of(q, 36, 41).y - mean_of(q, 17, 21).y);
  out[k + 5] = static_cast<float>(mean_of(q, 42, 47).y - mean_of(q, 22, 26).y);
  out[k + 6] = static_cast<float>(dist(q[22], q[21]));
  out[k + 7] = static_cast<float>((dist(q[41], q[37]) + dist(q[40], q[38])) / 2.0);
  out[k + 8] = static_cast<float>((dist(q[47], q[43]) + dist(q[46], q[44])) / 2.0);
  out[k + 9] = static_cast<float>(dist(q[51], q[33]));
}

std::vector<float> compute_features(const std::vector<Point> &points) {
  std::vector<float> out;
  compute_features(points, out);
  return out;
}

}  // namespace emo
