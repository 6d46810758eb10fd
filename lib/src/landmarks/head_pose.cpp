// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: head pose from landmarks (see emo/landmarks/head_pose.hpp).
#include "emo/landmarks/head_pose.hpp"

#include <opencv2/calib3d.hpp>

#include <algorithm>
#include <cmath>

namespace emo {
namespace {

constexpr double kDegrees = 180.0 / M_PI;

cv::Matx33d camera_matrix(const cv::Size &frame) {
  const double f = frame.width;
  return cv::Matx33d(f, 0, frame.width / 2.0, 0, f, frame.height / 2.0, 0, 0, 1);
}

cv::Matx33d rot_x(double a) {
  return cv::Matx33d(1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a));
}
cv::Matx33d rot_y(double a) {
  return cv::Matx33d(std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a));
}
cv::Matx33d rot_z(double a) {
  return cv::Matx33d(std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, 0, 0, 1);
}

}  // namespace

const std::array<int, 6> &head_model_landmarks() {
  static const std::array<int, 6> indices = {30, 8, 36, 45, 48, 54};
  return indices;
}

const std::array<cv::Point3d, 6> &head_model_points() {
  static const std::array<cv::Point3d, 6> points = {
      cv::Point3d(0, 0, 0),        cv::Point3d(0, 330, 65),     cv::Point3d(-225, -170, 135),
      cv::Point3d(225, -170, 135), cv::Point3d(-150, 150, 125), cv::Point3d(150, 150, 125)};
  return points;
}

/* The sign of yaw: R = Rz Ry Rx with y down; turning the face towards the image's right moves
 * the nose (z towards the camera is -z) to +x: that is a rotation about y by -yaw. Pitch: a
 * face tilting down moves the nose down (+y): a rotation about x by +pitch. */
cv::Vec3d head_rotation(double yaw, double pitch, double roll) {
  const cv::Matx33d r = rot_z(roll / kDegrees) * rot_y(-yaw / kDegrees) * rot_x(pitch / kDegrees);
  cv::Vec3d rvec;
  cv::Rodrigues(cv::Mat(r), rvec);
  return rvec;
}

std::optional<HeadPose> estimate_head_pose(const std::vector<Point> &landmarks,
                                           const cv::Size &frame) {
  if (landmarks.size() != 68 || frame.width <= 0 || frame.height <= 0) return std::nullopt;
  std::vector<cv::Point3d> object(head_model_points().begin(), head_model_points().end());
  std::vector<cv::Point2d> image;
  for (int i : head_model_landmarks()) image.emplace_back(landmarks[i].x, landmarks[i].y);
  HeadPose pose;
  cv::Mat rvec, tvec;
  /* Start from a frontal face at a plausible distance: the iterative solver then settles on
   * the solution in front of the camera. */
  const double eye_px = std::hypot(image[3].x - image[2].x, image[3].y - image[2].y);
  const double distance = frame.width * 450.0 / std::max(1.0, eye_px);
  rvec = (cv::Mat_<double>(3, 1) << 0, 0, 0);
  tvec = (cv::Mat_<double>(3, 1) << (image[0].x - frame.width / 2.0) * distance / frame.width,
          (image[0].y - frame.height / 2.0) * distance / frame.width, distance);
  bool ok = false;
  try {
    ok = cv::solvePnP(object, image, cv::Mat(camera_matrix(frame)), cv::noArray(), rvec, tvec, true,
                      cv::SOLVEPNP_ITERATIVE);
  } catch (const cv::Exception &) {
    return std::nullopt;
  }
  if (!ok || tvec.at<double>(2) <= 0) return std::nullopt;
  pose.rvec = cv::Vec3d(rvec.at<double>(0), rvec.at<double>(1), rvec.at<double>(2));
  pose.tvec = cv::Vec3d(tvec.at<double>(0), tvec.at<double>(1), tvec.at<double>(2));
  cv::Matx33d r;
  cv::Rodrigues(rvec, r);
  /* R = Rz(roll) Ry(-yaw) Rx(pitch): R(2,0) = sin(yaw); R(2,1) / R(2,2) = tan(pitch);
   * R(1,0) / R(0,0) = tan(roll). */
  pose.yaw = std::asin(std::clamp(r(2, 0), -1.0, 1.0)) * kDegrees;
  pose.pitch = std::atan2(r(2, 1), r(2, 2)) * kDegrees;
  pose.roll = std::atan2(r(1, 0), r(0, 0)) * kDegrees;
  return pose;
}

std::array<cv::Point2f, 4> head_pose_axes(const HeadPose &pose, const cv::Size &frame,
                                          double length) {
  const std::vector<cv::Point3d> axes = {
      {0, 0, 0}, {length, 0, 0}, {0, length, 0}, {0, 0, -length}};
  std::vector<cv::Point2d> projected;
  cv::projectPoints(axes, pose.rvec, pose.tvec, cv::Mat(camera_matrix(frame)), cv::noArray(),
                    projected);
  std::array<cv::Point2f, 4> out;
  for (size_t i = 0; i < 4; ++i) out[i] = cv::Point2f(projected[i]);
  return out;
}

}  // namespace emo
