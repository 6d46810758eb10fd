// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::compute_features (feature version 1).
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"

namespace {

// A synthetic face already in aligned units: eye centres at (-0.5, 0) and (0.5, 0), so that
// q_i == p_i. Points not set explicitly are deterministic pseudo-random.
std::vector<emo::Point> aligned_face() {
  cv::RNG rng(7);
  std::vector<emo::Point> p(68);
  for (auto &q : p) q = emo::Point(rng.uniform(-1.f, 1.f), rng.uniform(-1.f, 1.5f));
  const float ex[6] = {-0.2f, -0.1f, 0.1f, 0.2f, 0.1f, -0.1f};  // symmetric: mean 0
  const float ey[6] = {0.f, -0.05f, -0.05f, 0.f, 0.05f, 0.05f};
  for (int i = 0; i < 6; ++i) {
    p[36 + i] = emo::Point(-0.5f + ex[i], ey[i]);
    p[42 + i] = emo::Point(0.5f + ex[i], ey[i]);
  }
  for (int i = 17; i <= 21; ++i) p[i] = emo::Point(-0.7f + 0.1f * (i - 17), -0.3f);  // y -0.3
  for (int i = 22; i <= 26; ++i) p[i] = emo::Point(0.3f + 0.1f * (i - 22), -0.4f);   // y -0.4
  p[48] = {-0.4f, 1.0f};
  p[54] = {0.4f, 1.0f};
  p[51] = {0.f, 0.8f};
  p[57] = {0.f, 1.1f};
  p[62] = {0.f, 0.9f};
  p[66] = {0.f, 0.95f};
  p[33] = {0.f, 0.6f};
  return p;
}

std::vector<emo::Point> transform(const std::vector<emo::Point> &p, double degrees, double scale,
                                  cv::Point2d shift) {
  const double a = degrees * CV_PI / 180.0, c = std::cos(a), s = std::sin(a);
  std::vector<emo::Point> out;
  for (const auto &q : p)
    out.emplace_back(static_cast<float>(scale * (c * q.x - s * q.y) + shift.x),
                     static_cast<float>(scale * (s * q.x + c * q.y) + shift.y));
  return out;
}

float max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
  float m = 0.f;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(Features, HandComputedValues) {
  const auto p = aligned_face();
  // The same face in pixels: 120 px between the eyes, centred at (320, 240).
  const auto f = emo::compute_features(transform(p, 0.0, 120.0, {320, 240}));
  ASSERT_EQ(f.size(), static_cast<size_t>(emo::kFeatureLength));
  for (int i = 0; i < 68; ++i) {
    EXPECT_NEAR(f[2 * i], p[i].x, 1e-5) << i;
    EXPECT_NEAR(f[2 * i + 1], p[i].y, 1e-5) << i;
  }
  EXPECT_NEAR(f[136], 0.8, 1e-5);         // mouth width
  EXPECT_NEAR(f[137], 0.05, 1e-5);        // inner mouth opening
  EXPECT_NEAR(f[138], 0.3, 1e-5);         // outer mouth height
  EXPECT_NEAR(f[139], 1.0 - 0.95, 1e-5);  // corner drop: 1.0 - (0.8 + 1.1) / 2
  EXPECT_NEAR(f[140], 0.3, 1e-5);         // left brow height
  EXPECT_NEAR(f[141], 0.4, 1e-5);         // right brow height
  EXPECT_NEAR(f[142], std::hypot(0.3 - (-0.3), -0.4 - (-0.3)), 1e-5);  // |q22 - q21|
  EXPECT_NEAR(f[143], 0.1, 1e-5);                                      // left eye opening
  EXPECT_NEAR(f[144], 0.1, 1e-5);                                      // right eye opening
  EXPECT_NEAR(f[145], 0.2, 1e-5);                                      // nose to upper lip
}

TEST(Features, InvariantToRotationScaleAndTranslation) {
  const auto base_points = transform(aligned_face(), 3.0, 80.0, {200, 150});
  const auto base = emo::compute_features(base_points);
  const auto moved = emo::compute_features(transform(base_points, 25.0, 2.5, {-40, 310}));
  EXPECT_LT(max_abs_diff(base, moved), 1e-4);
  const auto flipped_sign = emo::compute_features(transform(base_points, -25.0, 0.4, {7, -9}));
  EXPECT_LT(max_abs_diff(base, flipped_sign), 1e-4);
  // But not invariant to a real change of expression: open the mouth.
  auto open = base_points;
  open[66] += emo::Point(0.f, 30.f);
  EXPECT_GT(max_abs_diff(base, emo::compute_features(open)), 0.1f);
}

TEST(Features, OutParameterMatchesReturnValue) {
  const auto p = transform(aligned_face(), 10.0, 50.0, {10, 20});
  std::vector<float> out(3, 42.f);
  emo::compute_features(p, out);
  EXPECT_EQ(out, emo::compute_features(p));
}

TEST(Features, WrongPointCountIsAMismatch) {
  EXPECT_THROW(emo::compute_features(std::vector<emo::Point>(67)), emo::ModelMismatch);
  EXPECT_THROW(emo::compute_features(std::vector<emo::Point>(5)), emo::ModelMismatch);
  EXPECT_THROW(emo::compute_features(std::vector<emo::Point>{}), emo::ModelMismatch);
}

TEST(Features, CoincidentEyesGiveZeros) {
  const auto f = emo::compute_features(std::vector<emo::Point>(68, emo::Point(3.f, 4.f)));
  ASSERT_EQ(f.size(), static_cast<size_t>(emo::kFeatureLength));
  for (float v : f) EXPECT_EQ(v, 0.f);
}

}  // namespace
