// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: face detection with an OpenCV cascade classifier.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/objdetect.hpp>

#include "emo/core/geometry.hpp"

namespace emo {

/// Settings of one detection call. Copy them per frame; they may change between frames.
struct DetectorParams {
  /// Scale step between pyramid levels of the cascade (> 1.0; 1.1 = 10 % steps).
  double scale_factor = 1.1;
  /// How many overlapping raw detections make a face (>= 0; higher = fewer false faces).
  int min_neighbors = 5;
  /// Smallest face side in *frame* pixels (>= 0). Scaled to the detection width internally.
  int min_size = 40;
  /// The luma frame is downscaled to this width (pixels) before detection; boxes are mapped
  /// back to frame pixels. 0 or a width >= the frame width means full resolution.
  int detection_width = 640;
  /// Keep at most this many faces, largest first; 0 = no limit.
  int max_faces = 0;
  /// BlazeFace only: smallest detection score kept, in [0, 1]; < 0 = the model's own
  /// (MediaPipe's: 0.52 full range, 0.5 short range). The cascade has no score.
  double score_threshold = -1;
  /// emo::detect::TiledDetector only: search the tiles even when the whole frame shows a
  /// close-up, so that every face can be found by two passes (FaceDetection::views). Set for
  /// a shot's first frame, whose faces are confirmed at once when both passes find them.
  bool all_tiles = false;
};

/// Haar/LBP cascade face detector (OpenCV `cv::CascadeClassifier`).
///
/// Default model: `kDefaultModel`, shipped by the Debian package `opencv-data`. The CNN
/// detector, the default of emofacedetect, is emo::detect::BlazeFace (emo/detect/).
/// Not thread-safe: use one instance per streaming thread (the cascade keeps scratch buffers).
class FaceDetector {
 public:
  static constexpr const char *kDefaultModel =
      "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
  static constexpr const char *kModelPackage = "opencv-data";

  /// Loads the cascade. Throws emo::ModelError naming the path when it cannot, and the Debian
  /// package only when the path is kDefaultModel (a user's own file comes from no package).
  explicit FaceDetector(const std::string &model_path = kDefaultModel);

  /// Detects faces on an 8-bit single-channel luma image (CV_8UC1, any row stride: a Y plane
  /// of I420/NV12 can be wrapped without copying). Returns boxes in frame pixels, clipped to
  /// the image, sorted by area, largest first. An empty image gives no faces; any other pixel
  /// type throws std::invalid_argument.
  std::vector<Box> detect(const cv::Mat &luma, const DetectorParams &params);

 private:
  cv::CascadeClassifier cascade_;
  cv::Mat small_;  // downscaled luma, reused across frames
  std::vector<cv::Rect> raw_;
};

}  // namespace emo
