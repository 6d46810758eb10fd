// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: facial landmark fitting (dlib ERT or OpenCV FacemarkLBF).
#include "emo/landmarks/landmarker.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/face/facemarkLBF.hpp>

#include "emo/core/error.hpp"
#include "ert_model.hpp"

namespace emo {
namespace {

constexpr const char *kDlibBackend = "dlib-ert";
constexpr const char *kLbfBackend = "opencv-lbf";

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_lbf_model(const std::string &path) {
  std::string lower = path;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char *ext : {".yaml", ".yml", ".yaml.gz", ".yml.gz"})
    if (ends_with(lower, ext)) return true;
  return false;
}

void check_luma(const cv::Mat &luma) {
  if (luma.empty() || luma.type() != CV_8UC1)
    throw std::invalid_argument("Landmarker::fit: expected a non-empty 8-bit single-channel image");
}

}  // namespace

struct Landmarker::Impl {
  bool lbf = false;
  int num_points = 0;
  std::unique_ptr<detail::ErtModel> ert;    // dlib back-end: const, thread-safe fit()
  cv::Ptr<cv::face::FacemarkLBF> facemark;  // LBF back-end: fit() is not const
  std::mutex lbf_mutex;

  void fit_dlib(const cv::Mat &luma, const Box &face, std::vector<Point> &points) const {
    const dlib::cv_image<unsigned char> img(luma);
    const dlib::rectangle rect(face.x, face.y, face.x + face.width - 1, face.y + face.height - 1);
    ert->fit(img, rect, points);
  }

  void fit_lbf(const cv::Mat &luma, const Box &face, std::vector<Point> &points) {
    {
      std::lock_guard<std::mutex> lock(lbf_mutex);
      fit_lbf_unlocked(luma, face, points);
    }
    if (points.size() != static_cast<size_t>(num_points))
      points.assign(static_cast<size_t>(num_points), Point(0.f, 0.f));
  }

  // FacemarkLBF::fit() in OpenCV 4.6 only copies its result out correctly into a vector of
  // cv::Mat (a std::vector<std::vector<Point2f>> output comes back as 68 zero points whatever
  // the model), so read the points from a Mat of CV_32FC2.
  bool fit_lbf_unlocked(const cv::Mat &luma, const Box &face, std::vector<Point> &points) {
    points.clear();
    const std::vector<cv::Rect> faces{face};
    std::vector<cv::Mat> shapes;
    try {
      if (!facemark->fit(luma, faces, shapes)) return false;
    } catch (const cv::Exception &) {
      return false;  // e.g. a box entirely outside the image
    }
    if (shapes.empty() || shapes.front().empty() || shapes.front().type() != CV_32FC2) return false;
    const cv::Mat shape = shapes.front().reshape(2, 1);
    points.reserve(shape.total());
    for (int i = 0; i < shape.cols; ++i) points.push_back(shape.at<cv::Point2f>(0, i));
    return true;
  }
};

Landmarker::Landmarker(const std::string &model_path) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  impl_->lbf = is_lbf_model(model_path);
  const std::string package = impl_->lbf ? "" : kModelPackage;
  if (model_path.empty()) throw ModelError(model_path, package, "no file name given");
  if (!std::filesystem::exists(model_path, ec))
    throw ModelError(model_path, package, "no such file");
  if (std::filesystem::is_directory(model_path, ec))
    throw ModelError(model_path, package, "is a directory, not a landmark model");

  if (impl_->lbf) {
    try {
      cv::face::FacemarkLBF::Params lbf_params;
      lbf_params.verbose = false;  // no "loading data from" on stdout
      impl_->facemark = cv::face::FacemarkLBF::create(lbf_params);
      impl_->facemark->loadModel(model_path);
      // The point count is only known to the model: fit once on a blank frame to learn it.
      const cv::Mat blank(128, 128, CV_8UC1, cv::Scalar(128));
      std::vector<Point> points;
      if (impl_->fit_lbf_unlocked(blank, cv::Rect(16, 16, 96, 96), points))
        impl_->num_points = static_cast<int>(points.size());
    } catch (const cv::Exception &e) {
      throw ModelError(model_path, package, "not a valid FacemarkLBF model (" + e.msg + ")");
    } catch (const std::exception &e) {
      throw ModelError(model_path, package,
                       std::string("not a valid FacemarkLBF model (") + e.what() + ")");
    }
    if (impl_->num_points <= 0)
      throw ModelError(model_path, package, "the FacemarkLBF model holds no landmarks");
    return;
  }

  try {
    impl_->ert = std::make_unique<detail::ErtModel>(model_path);
  } catch (const dlib::serialization_error &e) {
    throw ModelError(model_path, package,
                     std::string("not a valid dlib shape_predictor file (") + e.what() + ")");
  } catch (const std::exception &e) {
    throw ModelError(model_path, package,
                     std::string("cannot read the dlib shape_predictor (") + e.what() + ")");
  }
  impl_->num_points = static_cast<int>(impl_->ert->num_parts());
  if (impl_->num_points <= 0)
    throw ModelError(model_path, package, "the shape_predictor holds no landmarks");
}

Landmarker::~Landmarker() = default;
Landmarker::Landmarker(Landmarker &&) noexcept = default;
Landmarker &Landmarker::operator=(Landmarker &&) noexcept = default;

int Landmarker::num_points() const { return impl_ ? impl_->num_points : 0; }

const char *Landmarker::backend() const { return impl_ && impl_->lbf ? kLbfBackend : kDlibBackend; }

void Landmarker::fit(const cv::Mat &luma, const Box &face, std::vector<Point> &points) const {
  if (!impl_) throw std::logic_error("Landmarker::fit: moved-from landmarker");
  check_luma(luma);
  if (face.width <= 0 || face.height <= 0)
    throw std::invalid_argument("Landmarker::fit: empty face box");
  if (impl_->lbf)
    impl_->fit_lbf(luma, face, points);
  else
    impl_->fit_dlib(luma, face, points);
}

std::vector<Point> Landmarker::fit(const cv::Mat &luma, const Box &face) const {
  std::vector<Point> points;
  fit(luma, face, points);
  return points;
}

}  // namespace emo
