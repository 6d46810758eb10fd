// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: facial landmark fitting (dlib ERT or OpenCV FacemarkLBF).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"

namespace emo {

/// Fits facial landmarks inside a face box.
///
/// The back-end is chosen from the model path:
/// - `*.yaml` / `*.yml` (optionally `.gz`): OpenCV face-contrib `cv::face::FacemarkLBF`
///   (local binary features, Ren et al. 2014); the point count is whatever the model holds.
/// - anything else: dlib's `shape_predictor`, an ensemble of regression trees (Kazemi and
///   Sullivan 2014). Default `kDefaultModel`, 68 points in the iBUG 300-W layout, shipped by
///   the Debian package `libdlib-data`. The file is read with dlib's serialization; its trees
///   are then evaluated from a compact copy (one array, transparent huge pages) that gives
///   dlib::shape_predictor's own points, to the pixel, about twice as fast on this project's
///   machine (bench_stages BM_Landmarks against BM_LandmarksDlib). Points are whole pixels, as
///   dlib gives them.
///
/// `fit()` is const and thread-safe for the dlib back-end; the LBF back-end serialises calls.
class Landmarker {
 public:
  static constexpr const char *kDefaultModel =
      "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  static constexpr const char *kModelPackage = "libdlib-data";

  /// Loads the model. Throws emo::ModelError (naming path and package) when it cannot.
  explicit Landmarker(const std::string &model_path = kDefaultModel);
  ~Landmarker();
  Landmarker(Landmarker &&) noexcept;
  Landmarker &operator=(Landmarker &&) noexcept;

  /// Number of points every fit returns (68 for the default model).
  int num_points() const;
  /// "dlib-ert" or "opencv-lbf".
  const char *backend() const;

  /// Fits the landmarks of one face. `luma` is an 8-bit single-channel image (CV_8UC1, any
  /// stride), `face` a box in its pixel coordinates (typically from FaceDetector). Returns
  /// num_points() points in the same pixel coordinates; may lie slightly outside the box.
  /// Throws std::invalid_argument on an empty or non-CV_8UC1 image or an empty box. If the LBF
  /// back-end cannot fit (a box outside the image), the points are all (0, 0).
  std::vector<Point> fit(const cv::Mat &luma, const Box &face) const;
  /// Same, writing into `points` (resized; no allocation when it already holds num_points()).
  void fit(const cv::Mat &luma, const Box &face, std::vector<Point> &points) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emo
