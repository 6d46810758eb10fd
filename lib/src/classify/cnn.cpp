// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by ONNX Runtime) described by a JSON sidecar.
#include "emo/classify/cnn.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "emo/core/error.hpp"
#include "emo/core/sidecar.hpp"

namespace emo {
namespace {

std::string sidecar_of(const std::string &path) {
  std::filesystem::path p(path);
  if (p.extension() == ".onnx") p.replace_extension(".json");
  return p.string();
}

}  // namespace

CnnModel::CnnModel(CnnSpec spec) : spec_(std::move(spec)) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(spec_.onnx, ec))
    throw ModelError(spec_.onnx, "",
                     "no such ONNX model (named by the sidecar " + spec_.sidecar + ")");
  net_ = Network::load(spec_.onnx, NetworkOptions{}, "named by the sidecar " + spec_.sidecar);
  // The sidecar against the network's declared inputs and outputs (SidecarError naming the
  // field), then one run on a flat image.
  spec_.validate(net_->inputs(), net_->outputs());
  batch_ = spec_.batch_size(net_->inputs());
  outputs_.push_back(spec_.scores_output);
  if (!spec_.embedding_output.empty()) outputs_.push_back(spec_.embedding_output);
  CnnOutput probe;
  try {
    probe = run(cv::Mat(spec_.input.height, spec_.input.width, CV_8U, cv::Scalar(128)));
  } catch (const std::exception &e) {
    throw ModelError(spec_.onnx, "",
                     "does not run with the sidecar " + spec_.sidecar + " (" + e.what() + ")");
  }
  embedding_size_ = static_cast<int>(probe.embedding.size());
}

std::shared_ptr<const CnnModel> CnnModel::load(const std::string &path) {
  return std::make_shared<const CnnModel>(CnnSpec::parse(sidecar_of(path)));
}

cv::Mat CnnModel::crop(const cv::Mat &image, const Box &box,
                       const std::vector<Point> &landmarks) const {
  const int w = spec_.input.width, h = spec_.input.height;
  cv::Mat c = align_face(image, box, landmarks, w, spec_.crop);
  if (h != w) cv::resize(c, c, cv::Size(w, h));
  return c;
}

std::vector<CnnOutput> CnnModel::run_tensor(const Tensor &input, size_t faces) const {
  const std::vector<Tensor> outs = net_->run(std::vector<Tensor>{input}, outputs_);
  const size_t n = static_cast<size_t>(input.shape.at(0));  // faces, padded
  std::vector<CnnOutput> result(faces);
  const auto split = [n, faces](const Tensor &t, std::vector<float> CnnOutput::*member,
                                std::vector<CnnOutput> &r) {
    const size_t per = t.data.size() / n;
    for (size_t i = 0; i < faces; ++i)
      (r[i].*member).assign(t.data.begin() + i * per, t.data.begin() + (i + 1) * per);
  };
  split(outs.at(0), &CnnOutput::scores, result);
  if (outs.size() > 1) split(outs[1], &CnnOutput::embedding, result);
  return result;
}

std::vector<CnnOutput> CnnModel::run_batch(const std::vector<cv::Mat> &crops) const {
  for (const cv::Mat &c : crops)
    if (c.empty() || (c.type() != CV_8UC1 && c.type() != CV_8UC3))
      throw std::invalid_argument("CnnModel::run: 8-bit grey or BGR crop expected");
  if (crops.empty()) return {};
  if (batch_ == 0) return run_tensor(spec_.input_tensor(crops), crops.size());
  // A batch fixed in the file: batch_ faces per call, the last call padded.
  std::vector<CnnOutput> result;
  result.reserve(crops.size());
  for (size_t k = 0; k < crops.size(); k += static_cast<size_t>(batch_)) {
    const size_t m = std::min(crops.size() - k, static_cast<size_t>(batch_));
    const std::vector<cv::Mat> part(crops.begin() + k, crops.begin() + k + m);
    for (CnnOutput &o : run_tensor(spec_.input_tensor(part, batch_), m))
      result.push_back(std::move(o));
  }
  return result;
}

}  // namespace emo
