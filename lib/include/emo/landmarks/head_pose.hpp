// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: head pose (yaw, pitch, roll in degrees) from the 68 iBUG landmarks of one face.
//
// Method: cv::solvePnP (SOLVEPNP_ITERATIVE) of six landmarks against a generic 3D face model,
// the six-point model of S. Mallick, "Head Pose Estimation using OpenCV and Dlib",
// LearnOpenCV (2016), with its axes turned to OpenCV's camera convention:
//
//   landmark (iBUG 68, 0-based)   model point (x right, y down, z away from the camera; model
//                                 units, about 0.1 mm for an adult face)
//   30 nose tip                   (   0,    0,    0)
//    8 chin                       (   0,  330,   65)
//   36 outer corner, image-left eye  (-225, -170,  135)
//   45 outer corner, image-right eye ( 225, -170,  135)
//   48 image-left mouth corner    (-150,  150,  125)
//   54 image-right mouth corner   ( 150,  150,  125)
//
// Camera: pinhole with focal length = frame width in pixels (about 53 degrees of horizontal
// field of view, a webcam's), principal point at the frame centre, no distortion. A face
// looking straight into the camera has yaw = pitch = roll = 0. The rotation R (model to
// camera) is decomposed as R = Rz(roll) * Ry(yaw) * Rx(pitch), so an in-plane rotation of the
// image about the principal point changes the roll only. Signs, as seen in the image:
//   yaw   > 0: the face turns towards the image's right (the person's left)
//   pitch > 0: the face tilts down (chin towards the chest)
//   roll  > 0: the face leans clockwise
// Angles are in degrees, yaw and pitch in [-90, 90], roll in (-180, 180].
#pragma once

#include <opencv2/core.hpp>

#include <array>
#include <optional>
#include <vector>

#include "emo/core/geometry.hpp"

namespace emo {

/// A head pose: angles in degrees (see above) and the solvePnP result behind them.
struct HeadPose {
  double yaw = 0.0;
  double pitch = 0.0;
  double roll = 0.0;
  cv::Vec3d rvec;  ///< Rodrigues rotation, model to camera
  cv::Vec3d tvec;  ///< model origin (nose tip) in camera coordinates, model units
};

/// The iBUG-68 indices of the six model points, in the order of head_model_points().
const std::array<int, 6> &head_model_landmarks();
/// The six generic 3D model points (table above).
const std::array<cv::Point3d, 6> &head_model_points();

/// Estimates the pose of a face from its 68 landmarks (frame pixels) on a frame of `frame`
/// size. nullopt when there are not 68 landmarks, the frame is empty or solvePnP fails (or
/// puts the face behind the camera).
std::optional<HeadPose> estimate_head_pose(const std::vector<Point> &landmarks,
                                           const cv::Size &frame);

/// The rotation of yaw, pitch, roll (degrees) as a Rodrigues vector (the inverse of the
/// decomposition above): for synthetic faces and for drawing.
cv::Vec3d head_rotation(double yaw, double pitch, double roll);

/// The head's axes for drawing: the nose tip and the ends of the x (image right), y (down) and
/// z (towards the camera) axes of `length` model units, projected with the same camera.
std::array<cv::Point2f, 4> head_pose_axes(const HeadPose &pose, const cv::Size &frame,
                                          double length = 150.0);

}  // namespace emo
