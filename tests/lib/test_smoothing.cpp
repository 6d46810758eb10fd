// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::ScoreSmoother.
#include <gtest/gtest.h>

#include "emo/classify/smoothing.hpp"

namespace {

using Face = emo::ScoreSmoother::Face;

void expect_scores(const std::vector<float> &got, const std::vector<float> &want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
}

TEST(ScoreSmoother, AppliesTheMovingAverage) {
  emo::ScoreSmoother s;
  std::vector<Face> f1{{{100, 100, 80, 80}, {1.f, 0.f}}};
  s.update(f1, 0.75f);
  expect_scores(f1[0].scores, {1.f, 0.f});  // a new face starts from its own scores
  std::vector<Face> f2{{{104, 102, 80, 80}, {0.f, 1.f}}};
  s.update(f2, 0.75f);
  expect_scores(f2[0].scores, {0.75f, 0.25f});
  std::vector<Face> f3{{{106, 102, 80, 80}, {0.f, 1.f}}};
  s.update(f3, 0.75f);
  expect_scores(f3[0].scores, {0.5625f, 0.4375f});  // 0.75 * 0.75 + 0.25 * 0
}

TEST(ScoreSmoother, ZeroSmoothingReturnsTheInput) {
  emo::ScoreSmoother s;
  std::vector<Face> f1{{{0, 0, 50, 50}, {0.2f, 0.8f}}};
  s.update(f1, 0.f);
  std::vector<Face> f2{{{0, 0, 50, 50}, {0.9f, 0.1f}}};
  s.update(f2, 0.f);
  EXPECT_EQ(f2[0].scores, (std::vector<float>{0.9f, 0.1f}));
}

TEST(ScoreSmoother, MatchesFacesByOverlapNotByOrder) {
  emo::ScoreSmoother s;
  std::vector<Face> f1{{{0, 0, 100, 100}, {1.f, 0.f}}, {{300, 0, 100, 100}, {0.f, 1.f}}};
  s.update(f1, 0.5f);
  // Same two faces, slightly moved, listed in the other order.
  std::vector<Face> f2{{{305, 3, 100, 100}, {0.5f, 0.5f}}, {{4, 2, 100, 100}, {0.5f, 0.5f}}};
  s.update(f2, 0.5f);
  expect_scores(f2[0].scores, {0.25f, 0.75f});
  expect_scores(f2[1].scores, {0.75f, 0.25f});
}

TEST(ScoreSmoother, ADistantFaceIsNew) {
  emo::ScoreSmoother s;
  std::vector<Face> f1{{{0, 0, 100, 100}, {1.f, 0.f}}};
  s.update(f1, 0.5f);
  std::vector<Face> f2{{{60, 0, 100, 100}, {0.f, 1.f}}};  // IoU 40/160 = 0.25 < 0.3
  s.update(f2, 0.5f);
  expect_scores(f2[0].scores, {0.f, 1.f});
}

TEST(ScoreSmoother, ForgetsFacesAfterMaxMissed) {
  const std::vector<float> old_scores{1.f, 0.f}, new_scores{0.f, 1.f};
  for (int gap : {2, 3}) {
    emo::ScoreSmoother s;
    s.max_missed = 2;
    std::vector<Face> f{{{10, 10, 60, 60}, old_scores}};
    s.update(f, 0.5f);
    for (int i = 0; i < gap; ++i) {
      std::vector<Face> none;
      s.update(none, 0.5f);
    }
    std::vector<Face> back{{{10, 10, 60, 60}, new_scores}};
    s.update(back, 0.5f);
    if (gap <= s.max_missed)
      expect_scores(back[0].scores, {0.5f, 0.5f});  // remembered
    else
      expect_scores(back[0].scores, new_scores);  // forgotten
  }
}

TEST(ScoreSmoother, ResetForgetsEverything) {
  emo::ScoreSmoother s;
  std::vector<Face> f1{{{0, 0, 100, 100}, {1.f, 0.f}}};
  s.update(f1, 0.5f);
  s.reset();
  std::vector<Face> f2{{{0, 0, 100, 100}, {0.f, 1.f}}};
  s.update(f2, 0.5f);
  expect_scores(f2[0].scores, {0.f, 1.f});
}

}  // namespace

namespace {

TEST(ScoreSmoother, TrackedFacesAreMatchedByTrackIdNotOverlap) {
  emo::ScoreSmoother s;
  std::vector<Face> f1{{{0, 0, 100, 100}, {1.f, 0.f}, 7}, {{300, 0, 100, 100}, {0.f, 1.f}, 8}};
  s.update(f1, 0.5f);
  // Track 7 jumped far (no overlap with its last box), track 8 moved onto 7's old place.
  std::vector<Face> f2{{{600, 0, 100, 100}, {0.5f, 0.5f}, 7}, {{2, 0, 100, 100}, {0.5f, 0.5f}, 8}};
  s.update(f2, 0.5f);
  expect_scores(f2[0].scores, {0.75f, 0.25f});
  expect_scores(f2[1].scores, {0.25f, 0.75f});
  // A new track id over an old box is a new face.
  std::vector<Face> f3{{{600, 0, 100, 100}, {0.f, 1.f}, 9}};
  s.update(f3, 0.5f);
  expect_scores(f3[0].scores, {0.f, 1.f});
}

}  // namespace
