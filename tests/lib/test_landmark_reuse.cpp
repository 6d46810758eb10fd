// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::LandmarkReuse: when a still face's landmarks are carried over instead of fitted again.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/landmarks/landmark_reuse.hpp"

namespace {

// A textured 320x240 frame (smooth noise, like a picture), and a "face" box on it.
cv::Mat textured_frame() {
  cv::Mat noise(30, 40, CV_8UC1), frame;
  cv::RNG rng(3);
  rng.fill(noise, cv::RNG::UNIFORM, 40, 220);
  cv::resize(noise, frame, cv::Size(320, 240), 0, 0, cv::INTER_CUBIC);
  return frame;
}

const emo::Box kFace(100, 60, 100, 100);

std::vector<emo::Point> some_points() { return {{120.f, 90.f}, {180.f, 90.f}, {150.f, 140.f}}; }

class LandmarkReuseTest : public ::testing::Test {
 protected:
  cv::Mat frame_ = textured_frame();
  emo::LandmarkReuse reuse_;
  std::vector<emo::Point> points_;

  // A first frame where track 1 is fitted.
  void fit_first() {
    reuse_.next_frame();
    ASSERT_FALSE(reuse_.reuse(1, kFace, frame_, points_));  // nothing stored yet
    reuse_.store(1, kFace, frame_, some_points());
  }
};

TEST_F(LandmarkReuseTest, StillFaceTakesItsLastFit) {
  fit_first();
  reuse_.next_frame();
  ASSERT_TRUE(reuse_.reuse(1, kFace, frame_, points_));
  EXPECT_EQ(points_, some_points());
  EXPECT_EQ(reuse_.reused(), 1u);
  EXPECT_EQ(reuse_.fitted(), 1u);
}

TEST_F(LandmarkReuseTest, PointsMoveAndScaleWithTheBox) {
  fit_first();
  reuse_.next_frame();
  // 2 px right, 1 px down (within 6 % of a 100 px side); the picture moves with it.
  cv::Mat moved = cv::Mat::zeros(frame_.size(), frame_.type());
  frame_(cv::Rect(0, 0, 318, 239)).copyTo(moved(cv::Rect(2, 1, 318, 239)));
  ASSERT_TRUE(reuse_.reuse(1, kFace + cv::Point(2, 1), moved, points_));
  ASSERT_EQ(points_.size(), 3u);
  EXPECT_EQ(points_[0], emo::Point(122.f, 91.f));
  EXPECT_EQ(points_[2], emo::Point(152.f, 141.f));
  // Two pixels larger each way around the same centre, the picture zoomed alike: points 2 %
  // further from the centre, rounded.
  reuse_.next_frame();
  cv::Mat zoomed;
  cv::warpAffine(frame_, zoomed, cv::getRotationMatrix2D(cv::Point2f(150.f, 110.f), 0.0, 1.02),
                 frame_.size());
  ASSERT_TRUE(reuse_.reuse(1, emo::Box(99, 59, 102, 102), zoomed, points_));
  EXPECT_EQ(points_[0], emo::Point(std::round(150 - 30 * 1.02f), std::round(110 - 20 * 1.02f)));
}

TEST_F(LandmarkReuseTest, MovedFaceIsFittedAgain) {
  fit_first();
  reuse_.next_frame();
  // The picture moves and zooms with the box (so it alone would pass): the box's own motion
  // beyond 6 % of its side refuses the fit.
  cv::Mat moved = cv::Mat::zeros(frame_.size(), frame_.type()), zoomed;
  frame_(cv::Rect(0, 0, 313, 240)).copyTo(moved(cv::Rect(7, 0, 313, 240)));
  EXPECT_FALSE(reuse_.reuse(1, kFace + cv::Point(7, 0), moved, points_));  // 7 px > 6 %
  cv::warpAffine(frame_, zoomed, cv::getRotationMatrix2D(cv::Point2f(150.f, 110.f), 0.0, 1.08),
                 frame_.size());
  EXPECT_FALSE(reuse_.reuse(1, emo::Box(96, 56, 108, 108), zoomed, points_));  // 8 % larger
  EXPECT_EQ(reuse_.reused(), 0u);
  // 5 px and 5 % pass.
  frame_(cv::Rect(0, 0, 315, 240)).copyTo(moved(cv::Rect(5, 0, 315, 240)));
  EXPECT_TRUE(reuse_.reuse(1, kFace + cv::Point(5, 0), moved, points_));
  cv::warpAffine(frame_, zoomed, cv::getRotationMatrix2D(cv::Point2f(150.f, 110.f), 0.0, 1.05),
                 frame_.size());
  EXPECT_TRUE(reuse_.reuse(1, emo::Box(97, 57, 105, 105), zoomed, points_));
}

TEST_F(LandmarkReuseTest, ChangedPictureIsFittedAgain) {
  fit_first();
  reuse_.next_frame();
  // A mouth opening: a dark 16x10 px patch inside the 100 px box, the box itself still.
  cv::Mat mouth = frame_.clone();
  cv::rectangle(mouth, cv::Rect(142, 130, 16, 10), cv::Scalar(10), cv::FILLED);
  EXPECT_FALSE(reuse_.reuse(1, kFace, mouth, points_));
  // Noise of +-2 grey levels everywhere (a video codec's) is no change.
  cv::Mat noisy;
  cv::Mat noise(frame_.size(), CV_16SC1);
  cv::RNG(5).fill(noise, cv::RNG::UNIFORM, -2, 3);
  frame_.convertTo(noisy, CV_16SC1);
  noisy += noise;
  noisy.convertTo(noisy, CV_8UC1);
  EXPECT_TRUE(reuse_.reuse(1, kFace, noisy, points_));
}

TEST_F(LandmarkReuseTest, FitIsReusedForMaxAgeFramesAtMost) {
  fit_first();
  for (int age = 1; age <= emo::LandmarkReuseParams{}.max_age; ++age) {
    reuse_.next_frame();
    EXPECT_TRUE(reuse_.reuse(1, kFace, frame_, points_)) << age;
  }
  reuse_.next_frame();
  EXPECT_FALSE(reuse_.reuse(1, kFace, frame_, points_));
  // Fitted again: reused from the next frame on.
  reuse_.store(1, kFace, frame_, some_points());
  reuse_.next_frame();
  EXPECT_TRUE(reuse_.reuse(1, kFace, frame_, points_));
}

TEST_F(LandmarkReuseTest, MaxAgeZeroNeverReuses) {
  emo::LandmarkReuseParams params;
  params.max_age = 0;
  reuse_ = emo::LandmarkReuse(params);
  fit_first();
  reuse_.next_frame();
  EXPECT_FALSE(reuse_.reuse(1, kFace, frame_, points_));
}

TEST_F(LandmarkReuseTest, TrackAbsentForAFrameIsForgotten) {
  fit_first();
  reuse_.next_frame();  // track 1 not on this frame
  reuse_.next_frame();
  EXPECT_FALSE(reuse_.reuse(1, kFace, frame_, points_));
  // Another track's fit is not taken either.
  reuse_.store(1, kFace, frame_, some_points());
  reuse_.next_frame();
  EXPECT_FALSE(reuse_.reuse(2, kFace, frame_, points_));
  EXPECT_TRUE(reuse_.reuse(1, kFace, frame_, points_));
  reuse_.clear();
  reuse_.next_frame();
  EXPECT_FALSE(reuse_.reuse(1, kFace, frame_, points_));
}

}  // namespace
