// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: face detection with an OpenCV cascade classifier.
#include "emo/detect/detector.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "emo/core/error.hpp"

namespace emo {

FaceDetector::FaceDetector(const std::string &model_path) {
  std::error_code ec;
  if (model_path.empty()) throw ModelError(model_path, kModelPackage, "no file name given");
  if (!std::filesystem::exists(model_path, ec))
    throw ModelError(model_path, kModelPackage, "no such file");
  if (std::filesystem::is_directory(model_path, ec))
    throw ModelError(model_path, kModelPackage, "is a directory, not a cascade file");
  bool loaded = false;
  try {
    loaded = cascade_.load(model_path);
  } catch (const cv::Exception &e) {
    throw ModelError(model_path, kModelPackage, "not a valid cascade file (" + e.msg + ")");
  }
  if (!loaded || cascade_.empty())
    throw ModelError(model_path, kModelPackage,
                     "not a readable OpenCV cascade classifier (Haar or LBP XML)");
}

std::vector<Box> FaceDetector::detect(const cv::Mat &luma, const DetectorParams &params) {
  std::vector<Box> faces;
  if (luma.empty()) return faces;
  if (luma.type() != CV_8UC1)
    throw std::invalid_argument("FaceDetector::detect: expected an 8-bit single-channel image");

  const cv::Mat *input = &luma;
  double sx = 1.0;  // frame pixels per detection pixel, horizontally
  double sy = 1.0;
  if (params.detection_width > 0 && params.detection_width < luma.cols) {
    const int w = params.detection_width;
    const int h = std::max(1, static_cast<int>(std::lround(static_cast<double>(luma.rows) * w /
                                                           static_cast<double>(luma.cols))));
    cv::resize(luma, small_, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    input = &small_;
    sx = static_cast<double>(luma.cols) / w;
    sy = static_cast<double>(luma.rows) / h;
  }

  const int min_side =
      params.min_size > 0 ? std::max(1, static_cast<int>(std::lround(params.min_size / sx))) : 0;
  const double scale_factor = params.scale_factor > 1.0 ? params.scale_factor : 1.1;
  raw_.clear();
  cascade_.detectMultiScale(*input, raw_, scale_factor, std::max(0, params.min_neighbors), 0,
                            cv::Size(min_side, min_side));

  const Box frame(0, 0, luma.cols, luma.rows);
  faces.reserve(raw_.size());
  for (const cv::Rect &r : raw_) {
    const int x0 = static_cast<int>(std::lround(r.x * sx));
    const int y0 = static_cast<int>(std::lround(r.y * sy));
    const int x1 = static_cast<int>(std::lround((r.x + r.width) * sx));
    const int y1 = static_cast<int>(std::lround((r.y + r.height) * sy));
    const Box box = Box(x0, y0, x1 - x0, y1 - y0) & frame;
    if (box.width > 0 && box.height > 0) faces.push_back(box);
  }
  std::stable_sort(faces.begin(), faces.end(), [](const Box &a, const Box &b) {
    if (a.area() != b.area()) return a.area() > b.area();
    return a.y != b.y ? a.y < b.y : a.x < b.x;
  });
  if (params.max_faces > 0 && faces.size() > static_cast<size_t>(params.max_faces))
    faces.resize(static_cast<size_t>(params.max_faces));
  return faces;
}

}  // namespace emo
