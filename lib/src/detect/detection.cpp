// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the detector interface, the cascade behind it, and the choice of detector.
#include "emo/detect/detection.hpp"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "emo/detect/blazeface.hpp"

namespace emo::detect {

FrameView FrameView::from_mat(const cv::Mat &image, bool rgb) {
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3))
    throw std::invalid_argument("FrameView::from_mat: expected 8-bit gray or 3-channel image");
  FrameView f;
  f.width = image.cols;
  f.height = image.rows;
  f.planes[0] = image.data;
  f.strides[0] = static_cast<int>(image.step[0]);
  if (image.channels() == 1) {
    f.format = PixelFormat::kGray8;
    f.luma = image;
  } else {
    f.format = rgb ? PixelFormat::kRGB : PixelFormat::kBGR;
  }
  return f;
}

Box FaceDetection::pixel_box(int width, int height) const {
  const int x0 = static_cast<int>(std::lround(box.x));
  const int y0 = static_cast<int>(std::lround(box.y));
  const int x1 = static_cast<int>(std::lround(box.x + box.width));
  const int y1 = static_cast<int>(std::lround(box.y + box.height));
  return Box(x0, y0, x1 - x0, y1 - y0) & Box(0, 0, width, height);
}

std::vector<FaceDetection> Detector::detect(const FrameView &frame, const DetectorParams &params) {
  prepare(frame, params);
  std::vector<FaceDetection> faces;
  run(faces);
  return faces;
}

void CascadeDetector::prepare(const FrameView &frame, const DetectorParams &params) {
  if (frame.luma.type() != CV_8UC1)
    throw std::invalid_argument("CascadeDetector: the frame has no 8-bit luma");
  frame.luma.copyTo(luma_);  // same size as last time: no allocation
  params_ = params;
  prepared_ = true;
}

void CascadeDetector::run(std::vector<FaceDetection> &faces) {
  if (!prepared_) throw std::invalid_argument("CascadeDetector: no frame prepared");
  prepared_ = false;
  faces.clear();
  for (const Box &b : cascade_.detect(luma_, params_)) {
    FaceDetection d;
    d.box = cv::Rect2f(static_cast<float>(b.x), static_cast<float>(b.y),
                       static_cast<float>(b.width), static_cast<float>(b.height));
    faces.push_back(std::move(d));
  }
}

bool is_onnx_model(const std::string &path) {
  if (path.size() < 5) return false;
  std::string ext = path.substr(path.size() - 5);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".onnx";
}

std::unique_ptr<Detector> make_detector(const std::string &model_path) {
  // An ONNX file or the JSON sidecar of one (emo/detect/blazeface_spec.hpp): BlazeFace.
  const std::string ext = std::filesystem::path(model_path).extension().string();
  if (is_onnx_model(model_path) || ext == ".json") return std::make_unique<BlazeFace>(model_path);
  return std::make_unique<CascadeDetector>(model_path);
}

std::vector<Box> pixel_boxes(const std::vector<FaceDetection> &faces, int width, int height) {
  std::vector<Box> boxes;
  boxes.reserve(faces.size());
  for (const FaceDetection &f : faces) boxes.push_back(f.pixel_box(width, height));
  return boxes;
}

void DetectionMemory::update(const std::vector<FaceDetection> &detections,
                             const std::vector<std::pair<std::uint64_t, Box>> &confirmed,
                             bool has_score) {
  for (const auto &[track_id, box] : confirmed) {
    const cv::Rect2f fbox(static_cast<float>(box.x), static_cast<float>(box.y),
                          static_cast<float>(box.width), static_cast<float>(box.height));
    const FaceDetection *best = nullptr;
    float best_iou = 0.3f;
    for (const FaceDetection &d : detections) {
      const float v = iou(d.box, fbox);
      if (v >= best_iou) best = &d, best_iou = v;
    }
    if (best == nullptr || best->box.width <= 0 || best->box.height <= 0) continue;
    Entry &e = entries_[track_id];
    e.score = best->score;
    e.has_score = has_score;
    e.keypoints.clear();
    for (const Point &p : best->keypoints)
      e.keypoints.emplace_back((p.x - best->box.x) / best->box.width,
                               (p.y - best->box.y) / best->box.height);
  }
}

const DetectionMemory::Entry *DetectionMemory::find(std::uint64_t track_id) const {
  const auto it = entries_.find(track_id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<Point> DetectionMemory::place(const Entry &entry, const Box &box) {
  std::vector<Point> out;
  out.reserve(entry.keypoints.size());
  for (const Point &p : entry.keypoints)
    out.emplace_back(box.x + p.x * box.width, box.y + p.y * box.height);
  return out;
}

void DetectionMemory::keep_only(const std::vector<std::uint64_t> &alive) {
  for (auto it = entries_.begin(); it != entries_.end();)
    if (std::find(alive.begin(), alive.end(), it->first) == alive.end())
      it = entries_.erase(it);
    else
      ++it;
}

}  // namespace emo::detect
