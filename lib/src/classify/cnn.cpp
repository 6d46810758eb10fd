// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an appearance CNN (ONNX, run by ONNX Runtime) described by a JSON sidecar.
#include "emo/classify/cnn.hpp"

#include <cmath>
#include <filesystem>
#include <numeric>
#include <system_error>

#include <opencv2/core/persistence.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/core/error.hpp"

namespace emo {
namespace {

constexpr const char *kFormat = "gst-emo-cnn-model";

std::string sidecar_of(const std::string &path) {
  std::filesystem::path p(path);
  if (p.extension() == ".onnx") p.replace_extension(".json");
  return p.string();
}

int int_member(const cv::FileNode &node, const char *name, const std::string &path, int lo,
               int hi) {
  const cv::FileNode v = node[name];
  if (v.empty() || !v.isInt() || static_cast<int>(v) < lo || static_cast<int>(v) > hi)
    throw ModelError(path, "",
                     std::string("sidecar member '") + name + "' must be an integer in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(v);
}

double real_member(const cv::FileNode &node, const char *name, const std::string &path,
                   double fallback, bool required) {
  const cv::FileNode v = node[name];
  if (v.empty()) {
    if (required) throw ModelError(path, "", std::string("sidecar has no '") + name + "'");
    return fallback;
  }
  if (!v.isReal() && !v.isInt())
    throw ModelError(path, "", std::string("sidecar member '") + name + "' must be a number");
  const double d = static_cast<double>(v);
  if (!std::isfinite(d))
    throw ModelError(path, "", std::string("sidecar member '") + name + "' is not finite");
  return d;
}

std::string string_member(const cv::FileNode &node, const char *name, const std::string &path,
                          bool required) {
  const cv::FileNode v = node[name];
  if (v.empty() && !required) return {};
  if (!v.isString() || v.string().empty())
    throw ModelError(path, "", std::string("sidecar member '") + name + "' must be a string");
  return v.string();
}

}  // namespace

CnnSpec CnnSpec::parse(const std::string &path) {
  std::error_code ec;
  if (path.empty()) throw ModelError(path, "", "no file name given");
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, "", "no such file");
  if (std::filesystem::is_directory(path, ec)) throw ModelError(path, "", "is a directory");
  CnnSpec s;
  s.sidecar = path;
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
    if (!fs.isOpened()) throw ModelError(path, "", "not a readable JSON sidecar");
    const cv::FileNode root = fs.root();
    const cv::FileNode format = root["format"];
    if (!format.isString() || format.string() != kFormat)
      throw ModelError(path, "",
                       std::string("not a gst-emo CNN sidecar (no format: ") + kFormat + ")");
    if (int_member(root, "version", path, 0, 1000) != 1)
      throw ModelError(path, "", "sidecar version is not 1");
    const std::string model = string_member(root, "model", path, true);
    const std::filesystem::path mp(model);
    s.onnx = mp.is_absolute()
                 ? model
                 : (std::filesystem::path(path).parent_path() / mp).lexically_normal().string();
    const cv::FileNode input = root["input"];
    if (!input.isMap()) throw ModelError(path, "", "sidecar has no 'input' object");
    s.width = int_member(input, "width", path, 8, 1024);
    s.height = int_member(input, "height", path, 8, 1024);
    s.color = string_member(input, "color", path, true);
    if (s.color != "grey")
      throw ModelError(path, "", "sidecar input colour '" + s.color + "' is not supported (grey)");
    s.scale = real_member(input, "scale", path, 1.0, true);
    s.offset = real_member(input, "offset", path, 0.0, true);
    if (s.scale == 0.0) throw ModelError(path, "", "sidecar input scale is 0");
    const cv::FileNode outputs = root["outputs"];
    if (!outputs.isMap()) throw ModelError(path, "", "sidecar has no 'outputs' object");
    s.scores_output = string_member(outputs, "scores", path, true);
    s.embedding_output = string_member(outputs, "embedding", path, false);
    const cv::FileNode crop = root["crop"];
    if (!crop.empty()) {
      if (!crop.isMap()) throw ModelError(path, "", "sidecar member 'crop' must be an object");
      s.crop.size = real_member(crop, "size", path, s.crop.size, false);
      s.crop.below_eyes = real_member(crop, "below_eyes", path, s.crop.below_eyes, false);
      s.crop.box_scale = real_member(crop, "box_scale", path, s.crop.box_scale, false);
      if (s.crop.size <= 0.5 || s.crop.size > 10 || s.crop.box_scale <= 0.1 ||
          s.crop.box_scale > 10 || std::abs(s.crop.below_eyes) > 5)
        throw ModelError(path, "", "sidecar crop framing out of range");
    }
    const cv::FileNode labels = root["labels"];
    if (!labels.isSeq() || labels.size() < 2)
      throw ModelError(path, "", "sidecar 'labels' must list at least 2 class names");
    for (const cv::FileNode &l : labels) {
      if (!l.isString() || l.string().empty())
        throw ModelError(path, "", "sidecar 'labels' must hold non-empty strings");
      s.labels.push_back(l.string());
    }
  } catch (const cv::Exception &e) {
    throw ModelError(path, "", "malformed JSON sidecar (" + e.msg + ")");
  }
  return s;
}

CnnModel::CnnModel(CnnSpec spec) : spec_(std::move(spec)) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(spec_.onnx, ec))
    throw ModelError(spec_.onnx, "",
                     "no such ONNX model (named by the sidecar " + spec_.sidecar + ")");
  net_ = Network::load(spec_.onnx, NetworkOptions{}, "named by the sidecar " + spec_.sidecar);
  const std::vector<TensorInfo> &in = net_->inputs();
  if (in.size() != 1 || in[0].shape.size() != 4)
    throw ModelError(spec_.onnx, "", "the network does not take one NCHW input");
  batched_ = in[0].shape[0] < 0;
  outputs_.push_back(spec_.scores_output);
  if (!spec_.embedding_output.empty()) outputs_.push_back(spec_.embedding_output);
  for (const std::string &o : outputs_)
    if (!net_->output(o))
      throw ModelError(spec_.sidecar, "",
                       "the network " + spec_.onnx + " has no output '" + o +
                           "' (named by the sidecar's 'outputs')");
  // One run on a flat image checks the input size and the output sizes against the sidecar.
  CnnOutput probe;
  try {
    probe = run(cv::Mat(spec_.height, spec_.width, CV_8U, cv::Scalar(128)));
  } catch (const std::exception &e) {
    throw ModelError(spec_.onnx, "",
                     "does not run with the sidecar " + spec_.sidecar + " (" + e.what() + ")");
  }
  if (probe.scores.size() != spec_.labels.size())
    throw ModelError(spec_.sidecar, "",
                     "sidecar lists " + std::to_string(spec_.labels.size()) +
                         " labels but the model's output '" + spec_.scores_output + "' has " +
                         std::to_string(probe.scores.size()) + " values");
  embedding_size_ = static_cast<int>(probe.embedding.size());
}

std::shared_ptr<const CnnModel> CnnModel::load(const std::string &path) {
  return std::make_shared<const CnnModel>(CnnSpec::parse(sidecar_of(path)));
}

cv::Mat CnnModel::crop(const cv::Mat &gray, const Box &box,
                       const std::vector<Point> &landmarks) const {
  cv::Mat c = align_face(gray, box, landmarks, spec_.width, spec_.crop);
  if (spec_.height != spec_.width) cv::resize(c, c, cv::Size(spec_.width, spec_.height));
  return c;
}

Tensor CnnModel::input_tensor(const std::vector<cv::Mat> &crops) const {
  const int w = spec_.width, h = spec_.height;
  Tensor t;
  t.shape = {static_cast<int64_t>(crops.size()), 1, h, w};
  t.data.resize(static_cast<size_t>(Tensor::count(t.shape)));
  cv::Mat resized;
  for (size_t i = 0; i < crops.size(); ++i) {
    const cv::Mat &c = crops[i];
    if (c.empty() || c.type() != CV_8UC1)
      throw std::invalid_argument("CnnModel: 8-bit grey crop expected");
    const cv::Mat *src = &c;
    if (c.cols != w || c.rows != h) {
      cv::resize(c, resized, cv::Size(w, h), 0, 0, cv::INTER_AREA);
      src = &resized;
    }
    cv::Mat plane(h, w, CV_32F, t.data.data() + i * static_cast<size_t>(w) * h);
    src->convertTo(plane, CV_32F, spec_.scale, spec_.offset);
  }
  return t;
}

std::vector<CnnOutput> CnnModel::run_tensor(const Tensor &input) const {
  const std::vector<Tensor> outs = net_->run(std::vector<Tensor>{input}, outputs_);
  const size_t n = static_cast<size_t>(input.shape[0]);
  std::vector<CnnOutput> result(n);
  const auto split = [n](const Tensor &t, std::vector<float> CnnOutput::*member,
                         std::vector<CnnOutput> &r) {
    const size_t per = t.data.size() / n;
    for (size_t i = 0; i < n; ++i)
      (r[i].*member).assign(t.data.begin() + i * per, t.data.begin() + (i + 1) * per);
  };
  split(outs.at(0), &CnnOutput::scores, result);
  if (outs.size() > 1) split(outs[1], &CnnOutput::embedding, result);
  return result;
}

std::vector<CnnOutput> CnnModel::run_batch(const std::vector<cv::Mat> &crops) const {
  if (crops.empty()) return {};
  if (batched_ || crops.size() == 1) return run_tensor(input_tensor(crops));
  std::vector<CnnOutput> result;  // a batch fixed to 1 in the file: one face per call
  result.reserve(crops.size());
  for (const cv::Mat &c : crops) result.push_back(run_tensor(input_tensor({c})).at(0));
  return result;
}

}  // namespace emo
