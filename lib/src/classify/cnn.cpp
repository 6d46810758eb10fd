// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by OpenCV DNN) described by a JSON sidecar.
#include "emo/classify/cnn.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <system_error>

#include <opencv2/dnn.hpp>
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

// A cv::dnn blob viewing a tensor (no copy: `t` must outlive it).
cv::Mat to_blob(const Tensor &t) {
  std::vector<int> dims(t.shape.begin(), t.shape.end());
  return cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F,
                 const_cast<float *>(t.data.data()));
}

}  // namespace

struct CnnModel::Net {
  std::mutex mutex;
  cv::dnn::Net net;
  std::vector<cv::String> outputs;
};

CnnModel::CnnModel(CnnSpec spec) : spec_(std::move(spec)) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(spec_.onnx, ec))
    throw ModelError(spec_.onnx, "",
                     "no such ONNX model (named by the sidecar " + spec_.sidecar + ")");
  for (int i = 0; i < kInstances; ++i) {
    auto net = std::make_shared<Net>();
    try {
      net->net = cv::dnn::readNetFromONNX(spec_.onnx);
      net->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    } catch (const cv::Exception &e) {
      throw ModelError(spec_.onnx, "", "not a readable ONNX model (" + e.msg + ")");
    }
    if (net->net.empty()) throw ModelError(spec_.onnx, "", "empty ONNX model");
    net->outputs.push_back(spec_.scores_output);
    if (!spec_.embedding_output.empty()) net->outputs.push_back(spec_.embedding_output);
    nets_.push_back(std::move(net));
  }
  // OpenCV 4.6 does not report the network's declared input shape, so the sidecar's input is
  // checked by running it: a run of every output on a flat image of the sidecar's input gives
  // the outputs' real names and shapes, which the sidecar is validated against.
  // The network's outputs: its unconnected layers, and the sidecar's names where they are
  // layers (an embedding also feeds the classifier layer, so it is not unconnected).
  std::vector<cv::String> names = nets_.front()->net.getUnconnectedOutLayersNames();
  for (const std::string &n : {spec_.scores_output, spec_.embedding_output})
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end() &&
        nets_.front()->net.getLayerId(n) >= 0)
      names.push_back(n);
  std::vector<cv::Mat> outs;
  try {
    cv::dnn::Net &net = nets_.front()->net;
    const Tensor flat = spec_.input_tensor(
        {cv::Mat(spec_.input.height, spec_.input.width, CV_8U, cv::Scalar(128))});
    net.setInput(to_blob(flat));
    net.forward(outs, names);
  } catch (const cv::Exception &e) {
    throw SidecarError(spec_.sidecar, "input", probe_failure(spec_.input, spec_.onnx, e.msg));
  }
  std::vector<TensorInfo> outputs;
  for (size_t i = 0; i < names.size() && i < outs.size(); ++i)
    outputs.push_back({names[i], Shape(outs[i].size.p, outs[i].size.p + outs[i].dims)});
  spec_.validate_outputs(outputs);
  // One run of each copy on a flat image makes OpenCV set up its layers now rather than on a
  // live frame (the other copies are held, so run() takes copy i).
  CnnOutput probe;
  try {
    for (size_t i = 0; i < nets_.size(); ++i) {
      std::vector<std::unique_lock<std::mutex>> others;
      for (size_t j = 0; j < nets_.size(); ++j)
        if (j != i) others.emplace_back(nets_[j]->mutex);
      probe = run(cv::Mat(spec_.input.height, spec_.input.width, CV_8U, cv::Scalar(128)));
    }
  } catch (const cv::Exception &e) {
    throw ModelError(spec_.onnx, "",
                     "does not run with the sidecar " + spec_.sidecar + " (" + e.msg + ")");
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

CnnOutput CnnModel::run(const cv::Mat &crop) const {
  if (crop.empty() || (crop.type() != CV_8UC1 && crop.type() != CV_8UC3))
    throw std::invalid_argument("CnnModel::run: 8-bit grey or BGR crop expected");
  const Tensor input = spec_.input_tensor({crop});
  const cv::Mat blob = to_blob(input);
  std::vector<cv::Mat> outs;
  {
    /* A free copy of the network, else the first one (waiting for it). */
    std::unique_lock<std::mutex> lock;
    Net *net = nullptr;
    for (const std::shared_ptr<Net> &n : nets_) {
      lock = std::unique_lock<std::mutex>(n->mutex, std::try_to_lock);
      if (lock.owns_lock()) {
        net = n.get();
        break;
      }
    }
    if (!net) {
      net = nets_.front().get();
      lock = std::unique_lock<std::mutex>(net->mutex);
    }
    net->net.setInput(blob);
    net->net.forward(outs, net->outputs);
  }
  CnnOutput o;
  auto flat = [](const cv::Mat &m) {
    const cv::Mat c = m.reshape(1, 1);
    return std::vector<float>(c.ptr<float>(), c.ptr<float>() + c.total());
  };
  o.scores = flat(outs.at(0));
  if (outs.size() > 1) o.embedding = flat(outs[1]);
  return o;
}

}  // namespace emo
