// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the surprise check: a talking mouth is not surprise (emo/classify/surprise_check.hpp),
// on synthetic 68-point faces.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "emo/classify/surprise_check.hpp"
#include "test_geometry.hpp"

namespace {

constexpr std::int64_t kFrame = 40000000;  // ns, 25 fps
constexpr double kIod = 60.0;              // px between the eye centres

/// A frontal face in the iBUG 300-W layout: eye centres at (170, 200) and (230, 200), brows
/// `brow` inter-ocular distances above them, inner lips `mouth` apart, eyes `eye` open; the
/// whole face rotated by `roll` degrees about (200, 200).
std::vector<emo::Point> face(double brow, double mouth, double eye = 0.15, double roll = 0.0) {
  std::vector<emo::Point> p(68, emo::Point(200.f, 260.f));
  for (int i = 0; i <= 16; ++i) p[i] = {140.f + 7.5f * i, 230.f + 2.f * std::abs(8 - i)};
  const double by = 200.0 - brow * kIod, e = eye * kIod / 2.0;
  for (int i = 0; i < 5; ++i) {
    p[17 + i] = {static_cast<float>(150 + 10 * i), static_cast<float>(by)};
    p[22 + i] = {static_cast<float>(210 + 10 * i), static_cast<float>(by)};
  }
  for (int i = 27; i <= 35; ++i) p[i] = {200.f, 205.f + 3.f * (i - 27)};
  // Eyes: corners, two upper and two lower lid points, symmetric about the centre.
  const float cx[2] = {170.f, 230.f};
  for (int k = 0; k < 2; ++k) {
    const int o = 36 + 6 * k;
    p[o + 0] = {cx[k] - 12.f, 200.f};
    p[o + 1] = {cx[k] - 4.f, static_cast<float>(200 - e)};
    p[o + 2] = {cx[k] + 4.f, static_cast<float>(200 - e)};
    p[o + 3] = {cx[k] + 12.f, 200.f};
    p[o + 4] = {cx[k] + 4.f, static_cast<float>(200 + e)};
    p[o + 5] = {cx[k] - 4.f, static_cast<float>(200 + e)};
  }
  for (int i = 48; i <= 59; ++i) p[i] = {180.f + 3.f * (i - 48), 250.f};
  const double g = mouth * kIod / 2.0;
  p[60] = {185.f, 250.f};
  p[64] = {215.f, 250.f};
  for (int i = 0; i < 3; ++i) {
    p[61 + i] = {static_cast<float>(192 + 8 * i), static_cast<float>(250 - g)};
    p[67 - i] = {static_cast<float>(192 + 8 * i), static_cast<float>(250 + g)};
  }
  return emo::test::rotated(p, roll, {200.f, 200.f});
}

TEST(SurpriseCheck, FaceActionsInInterOcularUnits) {
  const auto a = emo::face_actions(face(0.4, 0.3, 0.2));
  ASSERT_TRUE(a.has_value());
  EXPECT_NEAR(a->brow_raise, 0.4, 1e-4);
  EXPECT_NEAR(a->mouth_open, 0.3, 1e-4);
  EXPECT_NEAR(a->eye_open, 0.2, 1e-4);
  // Scale- and roll-free: the same face tilted by 25 degrees measures the same.
  const auto tilted = emo::face_actions(face(0.4, 0.3, 0.2, 25.0));
  ASSERT_TRUE(tilted.has_value());
  EXPECT_NEAR(tilted->brow_raise, 0.4, 1e-3);
  EXPECT_NEAR(tilted->mouth_open, 0.3, 1e-3);
  // Not 68 points, or coincident eyes: no measures.
  EXPECT_FALSE(emo::face_actions(std::vector<emo::Point>(5, emo::Point(1.f, 1.f))).has_value());
  EXPECT_FALSE(emo::face_actions(std::vector<emo::Point>(68, emo::Point(1.f, 1.f))).has_value());
}

// A face talking for 3 s (the mouth opening and closing at 4 Hz, the brows at rest, with the
// frame-to-frame jitter of dlib's brow points), then raising its brows by 0.1 for 0.6 s.
TEST(SurpriseCheck, TalkingIsNotSurpriseRaisedBrowsAre) {
  emo::SurpriseCheck check;
  const emo::SurpriseCheckSettings settings;  // defaults: 0.04 over a 10 s baseline
  std::int64_t pts = 0;
  emo::BrowState last;
  for (int f = 0; f < 75; ++f, pts += kFrame) {
    check.begin_frame();
    const double jitter = (f % 3 == 0) ? 0.06 : (f % 3 == 1 ? -0.03 : 0.0);
    const double mouth = 0.05 + 0.15 * (1 + std::sin(2 * CV_PI * 4 * f * kFrame / 1e9));
    last = check.update(7, emo::face_actions(face(0.37 + jitter, mouth)), pts, settings);
    if (pts < settings.min_baseline) {
      EXPECT_TRUE(std::isnan(last.baseline)) << "no baseline before 2 s, frame " << f;
      EXPECT_TRUE(emo::brows_support_surprise(last, settings)) << "no verdict yet, frame " << f;
    } else {
      EXPECT_NEAR(last.raise(), 0.0, 0.031) << f;
      EXPECT_FALSE(emo::brows_support_surprise(last, settings)) << "talking, frame " << f;
    }
  }
  for (int f = 0; f < 15; ++f, pts += kFrame) {
    check.begin_frame();
    last = check.update(7, emo::face_actions(face(0.47, 0.35)), pts, settings);
  }
  EXPECT_NEAR(last.recent, 0.47, 1e-3);
  EXPECT_GE(last.raise(), 0.08);
  EXPECT_TRUE(emo::brows_support_surprise(last, settings)) << "raised brows keep surprise";
  // The same raise under a stricter threshold, and with the check off.
  emo::SurpriseCheckSettings strict = settings;
  strict.min_brow_raise = 0.2;
  EXPECT_FALSE(emo::brows_support_surprise(last, strict));
  emo::SurpriseCheckSettings off = settings;
  off.min_brow_raise = 0.0;
  EXPECT_TRUE(emo::brows_support_surprise(emo::BrowState{0.3, 0.4}, off));
}

// One frame's jump of the brow points is not a raise: the recent height is a median.
TEST(SurpriseCheck, OneFrameSpikeIsNoRaise) {
  emo::SurpriseCheck check;
  const emo::SurpriseCheckSettings settings;
  std::int64_t pts = 0;
  emo::BrowState s;
  for (int f = 0; f < 80; ++f, pts += kFrame) {
    check.begin_frame();
    s = check.update(1, emo::face_actions(face(f == 79 ? 0.6 : 0.35, 0.1)), pts, settings);
  }
  EXPECT_NEAR(s.recent, 0.35, 1e-3);
  EXPECT_FALSE(emo::brows_support_surprise(s, settings));
}

TEST(SurpriseCheck, NoEvidenceKeepsSurprise) {
  emo::SurpriseCheck check;
  const emo::SurpriseCheckSettings settings;
  check.begin_frame();
  // Untracked, no timestamp, no landmarks: no baseline, so surprise stays.
  EXPECT_TRUE(
      std::isnan(check.update(-1, emo::face_actions(face(0.3, 0.3)), 0, settings).baseline));
  EXPECT_TRUE(
      std::isnan(check.update(2, emo::face_actions(face(0.3, 0.3)), -1, settings).baseline));
  const emo::BrowState none = check.update(3, std::nullopt, 0, settings);
  EXPECT_TRUE(std::isnan(none.recent));
  EXPECT_TRUE(emo::brows_support_surprise(none, settings));
}

TEST(SurpriseCheck, LostTrackIsForgotten) {
  emo::SurpriseCheck check;
  const emo::SurpriseCheckSettings settings;
  std::int64_t pts = 0;
  for (int f = 0; f < 60; ++f, pts += kFrame) {
    check.begin_frame();
    check.update(4, emo::face_actions(face(0.35, 0.1)), pts, settings);
  }
  for (int f = 0; f <= check.max_missed + 1; ++f, pts += kFrame) check.begin_frame();
  check.begin_frame();
  // The track id comes back: a new track, no baseline yet.
  EXPECT_TRUE(
      std::isnan(check.update(4, emo::face_actions(face(0.35, 0.1)), pts, settings).baseline));
}

TEST(SurpriseCheck, WithoutClass) {
  const std::vector<float> s{0.1f, 0.7f, 0.2f};
  const std::vector<float> w = emo::without_class(s, 1);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NEAR(w[0], 1.0 / 3.0, 1e-6);
  EXPECT_EQ(w[1], 0.f);
  EXPECT_NEAR(w[2], 2.0 / 3.0, 1e-6);
  EXPECT_EQ(emo::without_class(s, 3), s);
  EXPECT_EQ(emo::without_class(s, -1), s);
  EXPECT_EQ(emo::without_class({0.f, 1.f}, 1), (std::vector<float>{0.f, 0.f}));
}

}  // namespace
