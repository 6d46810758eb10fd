// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::estimate_head_pose(): against synthetic faces (the generic model projected at known
// yaw, pitch, roll, with and without 1 px of landmark noise) and against the astronaut turned
// in the image plane by known angles (the roll must follow the turn, yaw and pitch stay put).
// The errors are printed: docs/session-overlay.md quotes them.
#include <gtest/gtest.h>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <random>

#include "emo/detect/detector.hpp"
#include "emo/landmarks/head_pose.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "test_data.hpp"

namespace {

/* 68 landmarks with the model's six points projected at the given pose (others at the nose
 * tip: they are not used), plus Gaussian noise of `sigma` pixels. */
std::vector<emo::Point> synthetic(double yaw, double pitch, double roll, const cv::Size &frame,
                                  double sigma, std::mt19937 &rng) {
  const double f = frame.width;
  const cv::Matx33d k(f, 0, frame.width / 2.0, 0, f, frame.height / 2.0, 0, 0, 1);
  const cv::Vec3d tvec(40, -20, 2500);
  std::vector<cv::Point3d> model(emo::head_model_points().begin(), emo::head_model_points().end());
  std::vector<cv::Point2d> projected;
  cv::projectPoints(model, emo::head_rotation(yaw, pitch, roll), tvec, cv::Mat(k), cv::noArray(),
                    projected);
  std::normal_distribution<double> noise(0.0, sigma);
  std::vector<emo::Point> out(68, emo::Point(float(projected[0].x), float(projected[0].y)));
  for (size_t i = 0; i < 6; ++i)
    out[emo::head_model_landmarks()[i]] =
        emo::Point(float(projected[i].x + noise(rng)), float(projected[i].y + noise(rng)));
  return out;
}

TEST(HeadPoseTest, SyntheticFacesAtKnownAngles) {
  const cv::Size frame(640, 480);
  std::mt19937 rng(7);
  for (double sigma : {0.0, 1.0}) {
    double worst = 0, sum = 0;
    int n = 0;
    for (double yaw = -40; yaw <= 40; yaw += 20)
      for (double pitch = -30; pitch <= 30; pitch += 15)
        for (double roll = -30; roll <= 30; roll += 15) {
          const auto pose =
              emo::estimate_head_pose(synthetic(yaw, pitch, roll, frame, sigma, rng), frame);
          ASSERT_TRUE(pose) << yaw << " " << pitch << " " << roll;
          for (double e : {pose->yaw - yaw, pose->pitch - pitch, pose->roll - roll}) {
            worst = std::max(worst, std::abs(e));
            sum += std::abs(e);
            ++n;
          }
        }
    std::printf("synthetic, noise %.0f px: mean abs error %.2f deg, worst %.2f deg (%d angles)\n",
                sigma, sum / n, worst, n);
    EXPECT_LT(worst, sigma == 0 ? 0.1 : 6.0);
    EXPECT_LT(sum / n, sigma == 0 ? 0.05 : 2.0);
  }
}

TEST(HeadPoseTest, SignsFollowTheDocumentedConvention) {
  const cv::Size frame(640, 480);
  std::mt19937 rng(1);
  // The nose of a face turned towards the image's right lies right of the eyes' midpoint.
  const auto right = synthetic(30, 0, 0, frame, 0, rng);
  EXPECT_GT(right[30].x, (right[36].x + right[45].x) / 2);
  // Looking down: the nose tip comes closer to the mouth corners in the image.
  const auto down = synthetic(0, 20, 0, frame, 0, rng), level = synthetic(0, 0, 0, frame, 0, rng);
  EXPECT_LT(down[48].y - down[30].y, level[48].y - level[30].y);
  // Clockwise lean: the image-right eye is lower than the image-left one (y down).
  const auto cw = synthetic(0, 0, 20, frame, 0, rng);
  EXPECT_GT(cw[45].y, cw[36].y);
  EXPECT_FALSE(emo::estimate_head_pose(std::vector<emo::Point>(5), frame));
  EXPECT_FALSE(emo::estimate_head_pose(right, cv::Size()));
}

TEST(HeadPoseTest, AstronautTurnedInThePlane) {
  const cv::Mat image = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(image.empty());
  emo::FaceDetector detector;
  emo::Landmarker landmarker;
  const auto found = detector.detect(image, emo::DetectorParams{});
  ASSERT_EQ(found.size(), 1u);
  const cv::Point2f centre(image.cols / 2.f, image.rows / 2.f);
  std::optional<emo::HeadPose> base;
  double worst_roll = 0, worst_other = 0;
  for (double turn : {0.0, -30.0, -20.0, -10.0, 10.0, 20.0, 30.0}) {
    cv::Mat turned;
    /* getRotationMatrix2D turns counter-clockwise for a positive angle: the roll of the face
     * then falls by that angle. */
    const cv::Mat turn_matrix = cv::getRotationMatrix2D(centre, turn, 1.0);
    cv::warpAffine(image, turned, turn_matrix, image.size(), cv::INTER_LINEAR,
                   cv::BORDER_REPLICATE);
    /* The landmarks are fitted in the detected box moved with the turn (the detector itself
     * is not under test, and the cascade misses faces leaning 30 degrees). */
    std::vector<cv::Point2f> c = {
        cv::Point2f(found[0].x + found[0].width / 2.f, found[0].y + found[0].height / 2.f)};
    cv::transform(c, c, turn_matrix);
    const emo::Box box(cvRound(c[0].x - found[0].width / 2.f),
                       cvRound(c[0].y - found[0].height / 2.f), found[0].width, found[0].height);
    const auto pose = emo::estimate_head_pose(landmarker.fit(turned, box), turned.size());
    ASSERT_TRUE(pose) << "turn " << turn;
    std::printf("astronaut turned %+3.0f deg: yaw %+6.2f pitch %+6.2f roll %+6.2f\n", turn,
                pose->yaw, pose->pitch, pose->roll);
    if (!base) {
      base = pose;
      continue;
    }
    worst_roll = std::max(worst_roll, std::abs(pose->roll - base->roll + turn));
    worst_other = std::max(
        {worst_other, std::abs(pose->yaw - base->yaw), std::abs(pose->pitch - base->pitch)});
  }
  std::printf(
      "astronaut, in-plane turns of -30..30 deg: roll error at most %.2f deg, yaw and "
      "pitch moved at most %.2f deg\n",
      worst_roll, worst_other);
  EXPECT_LT(worst_roll, 6.0);   // measured 4.82 (docs/session-overlay.md)
  EXPECT_LT(worst_other, 9.0);  // measured 7.09
  // The astronaut looks nearly at the camera, head slightly turned.
  EXPECT_LT(std::abs(base->yaw), 30.0);
  EXPECT_LT(std::abs(base->roll), 20.0);
}

}  // namespace
