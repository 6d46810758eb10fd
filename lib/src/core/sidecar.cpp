// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: what model sidecars share (see emo/core/sidecar.hpp).
#include "emo/core/sidecar.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <opencv2/core/persistence.hpp>
#include <opencv2/imgproc.hpp>

namespace emo {
namespace {

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

std::string number_text(double v) {
  std::string s = cv::format("%.10g", v);
  return s;
}

}  // namespace

SidecarError::SidecarError(const std::string &sidecar, const std::string &field,
                           const std::string &message)
    : ModelError(sidecar, "", message), field_(field), message_(message) {}

std::string shape_string(const Shape &shape) {
  if (shape.empty()) return "a scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += "x";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s;
}

std::string tensor_names(const std::vector<TensorInfo> &tensors) {
  if (tensors.empty()) return "none";
  std::string s;
  for (const TensorInfo &t : tensors) s += (s.empty() ? "" : ", ") + quoted(t.name);
  return s;
}

const TensorInfo *find_tensor(const std::vector<TensorInfo> &tensors, const std::string &name) {
  for (const TensorInfo &t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

void SidecarReader::fail(const std::string &field, const std::string &what) const {
  throw SidecarError(path_, field, field + " " + what);
}

void SidecarReader::need_map(const cv::FileNode &node, const std::string &field) const {
  if (node.empty()) fail(field, "is missing (an object)");
  if (!node.isMap()) fail(field, "must be an object");
}

double SidecarReader::number(const cv::FileNode &parent, const char *key, const std::string &field,
                             double fallback, bool required, double lo, double hi) const {
  const cv::FileNode v = parent[key];
  if (v.empty()) {
    if (required) fail(field, "is missing (a number)");
    return fallback;
  }
  if (!v.isReal() && !v.isInt()) fail(field, "must be a number");
  const double d = static_cast<double>(v);
  if (!std::isfinite(d) || d < lo || d > hi)
    fail(field, "is " + number_text(d) + ", out of range [" + number_text(lo) + ", " +
                    number_text(hi) + "]");
  return d;
}

int SidecarReader::integer(const cv::FileNode &parent, const char *key, const std::string &field,
                           int fallback, bool required, int lo, int hi) const {
  const cv::FileNode v = parent[key];
  if (v.empty()) {
    if (required) fail(field, "is missing (an integer)");
    return fallback;
  }
  if (!v.isInt()) fail(field, "must be an integer");
  const int i = static_cast<int>(v);
  if (i < lo || i > hi)
    fail(field, "is " + std::to_string(i) + ", out of range [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
  return i;
}

std::string SidecarReader::string(const cv::FileNode &parent, const char *key,
                                  const std::string &field, const std::string &fallback,
                                  bool required) const {
  const cv::FileNode v = parent[key];
  if (v.empty()) {
    if (required) fail(field, "is missing (a string)");
    return fallback;
  }
  if (!v.isString() || v.string().empty()) fail(field, "must be a non-empty string");
  return v.string();
}

std::string SidecarReader::choice(const cv::FileNode &parent, const char *key,
                                  const std::string &field, const std::string &fallback,
                                  const std::vector<std::string> &choices) const {
  const std::string s = string(parent, key, field, fallback, fallback.empty());
  for (const std::string &c : choices)
    if (s == c) return s;
  std::string list;
  for (const std::string &c : choices) list += (list.empty() ? "" : " | ") + quoted(c);
  fail(field, "is " + quoted(s) + ", not one of " + list);
}

std::vector<double> SidecarReader::numbers(const cv::FileNode &parent, const char *key,
                                           const std::string &field) const {
  const cv::FileNode v = parent[key];
  std::vector<double> out;
  if (v.empty()) return out;
  if (v.isInt() || v.isReal()) {
    out.push_back(number(parent, key, field, 0, true, -1e30, 1e30));
    return out;
  }
  if (!v.isSeq() || v.size() == 0) fail(field, "must be a number or an array of numbers");
  for (const cv::FileNode &e : v) {
    if (!e.isInt() && !e.isReal()) fail(field, "must hold numbers only");
    const double d = static_cast<double>(e);
    if (!std::isfinite(d)) fail(field, "must hold finite numbers");
    out.push_back(d);
  }
  return out;
}

std::vector<std::string> SidecarReader::strings(const cv::FileNode &parent, const char *key,
                                                const std::string &field) const {
  const cv::FileNode v = parent[key];
  std::vector<std::string> out;
  if (v.empty()) return out;
  if (v.isString()) {
    out.push_back(string(parent, key, field, "", true));
    return out;
  }
  if (!v.isSeq() || v.size() == 0) fail(field, "must be a string or an array of strings");
  for (const cv::FileNode &e : v) {
    if (!e.isString() || e.string().empty()) fail(field, "must hold non-empty strings only");
    out.push_back(e.string());
  }
  return out;
}

std::string SidecarReader::model_path(const cv::FileNode &root) const {
  const std::string model = string(root, "model", "model", "", true);
  const std::filesystem::path mp(model);
  return mp.is_absolute()
             ? model
             : (std::filesystem::path(path_).parent_path() / mp).lexically_normal().string();
}

void read_sidecar(const std::string &path, const char *format,
                  const std::function<void(const SidecarReader &, const cv::FileNode &)> &read) {
  std::error_code ec;
  if (path.empty()) throw ModelError(path, "", "no file name given");
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, "", "no such file");
  if (std::filesystem::is_directory(path, ec)) throw ModelError(path, "", "is a directory");
  const SidecarReader r(path);
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
    if (!fs.isOpened()) throw ModelError(path, "", "not a readable JSON sidecar");
    const cv::FileNode root = fs.root();
    if (!root.isMap()) throw ModelError(path, "", "not a JSON object");
    const cv::FileNode f = root["format"];
    if (!f.isString() || f.string() != format)
      r.fail("format", std::string("must be \"") + format + "\" (not a sidecar of this kind)");
    r.integer(root, "version", "version", 1, true, 1, 1);
    read(r, root);
  } catch (const cv::Exception &e) {
    throw ModelError(path, "", "malformed JSON sidecar (" + e.msg + ")");
  }
}

const char *InputSpec::name_of(TensorLayout layout) {
  return layout == TensorLayout::kNHWC ? "nhwc" : "nchw";
}

const char *InputSpec::name_of(InputColour colour) {
  switch (colour) {
    case InputColour::kRGB:
      return "rgb";
    case InputColour::kBGR:
      return "bgr";
    default:
      return "grey";
  }
}

InputSpec InputSpec::read(const SidecarReader &r, const cv::FileNode &parent, const char *key,
                          bool square_size) {
  const std::string f = key;
  const cv::FileNode in = parent[key];
  r.need_map(in, f);
  InputSpec s;
  s.name = r.string(in, "name", f + ".name", "", false);
  if (square_size) {
    s.width = s.height = r.integer(in, "size", f + ".size", 0, true, 1, 4096);
  } else {
    s.width = r.integer(in, "width", f + ".width", 0, true, 1, 4096);
    s.height = r.integer(in, "height", f + ".height", 0, true, 1, 4096);
  }
  s.layout = r.choice(in, "layout", f + ".layout", "nchw", {"nchw", "nhwc"}) == "nhwc"
                 ? TensorLayout::kNHWC
                 : TensorLayout::kNCHW;
  const std::string colour = r.choice(in, "color", f + ".color", "", {"grey", "rgb", "bgr"});
  s.colour = colour == "rgb"   ? InputColour::kRGB
             : colour == "bgr" ? InputColour::kBGR
                               : InputColour::kGrey;
  // Normalisation: scale/offset or mean/std, one number or one per channel.
  const int c = s.channels();
  auto per_channel = [&](const char *k, double fallback) {
    std::vector<double> v = r.numbers(in, k, f + "." + k);
    if (v.empty()) v.assign(1, fallback);
    if (v.size() == 1) v.assign(static_cast<size_t>(c), v[0]);
    if (v.size() != static_cast<size_t>(c))
      r.fail(f + "." + k, "has " + std::to_string(v.size()) + " values but " + f + ".color " +
                              quoted(colour) + " has " + std::to_string(c) + " channel(s)");
    return v;
  };
  const bool linear = !in["scale"].empty() || !in["offset"].empty();
  const bool stats = !in["mean"].empty() || !in["std"].empty();
  if (linear && stats)
    r.fail(f + ".mean", "and " + f + ".scale are exclusive (give scale/offset or mean/std)");
  if (!linear && !stats)
    r.fail(f + ".scale", "is missing (give " + f + ".scale and " + f + ".offset, or " + f +
                             ".mean and " + f + ".std)");
  if (linear) {
    if (in["scale"].empty()) r.fail(f + ".scale", "is missing (a number)");
    const std::vector<double> scale = per_channel("scale", 1.0), offset = per_channel("offset", 0);
    for (int i = 0; i < c; ++i) {
      if (scale[static_cast<size_t>(i)] == 0.0) r.fail(f + ".scale", "must not be 0");
      s.scale[static_cast<size_t>(i)] = scale[static_cast<size_t>(i)];
      s.offset[static_cast<size_t>(i)] = offset[static_cast<size_t>(i)];
    }
  } else {
    if (in["std"].empty()) r.fail(f + ".std", "is missing (a number or one per channel)");
    const std::vector<double> mean = per_channel("mean", 0.0), std = per_channel("std", 1.0);
    for (int i = 0; i < c; ++i) {
      const double sd = std[static_cast<size_t>(i)];
      if (!(sd > 0.0)) r.fail(f + ".std", "must be > 0");
      s.scale[static_cast<size_t>(i)] = 1.0 / sd;
      s.offset[static_cast<size_t>(i)] = -mean[static_cast<size_t>(i)] / sd;
    }
  }
  for (int i = c; i < 3; ++i)
    s.scale[static_cast<size_t>(i)] = 0, s.offset[static_cast<size_t>(i)] = 0;
  const cv::FileNode batch = in["batch"];
  if (batch.isString()) {
    if (batch.string() != "free") r.fail(f + ".batch", "must be \"free\" or a number >= 1");
    s.batch = -1;
  } else if (!batch.empty()) {
    s.batch = r.integer(in, "batch", f + ".batch", 0, true, 1, 1024);
  }
  return s;
}

const TensorInfo &InputSpec::pick(const std::string &sidecar, const std::string &field,
                                  const std::vector<TensorInfo> &inputs) const {
  if (!name.empty()) {
    if (const TensorInfo *t = find_tensor(inputs, name)) return *t;
    throw SidecarError(sidecar, field + ".name",
                       field + ".name is " + quoted(name) + " but the network's inputs are " +
                           tensor_names(inputs));
  }
  if (inputs.size() != 1)
    throw SidecarError(sidecar, field + ".name",
                       field + ".name is not given but the network has " +
                           std::to_string(inputs.size()) + " inputs (" + tensor_names(inputs) +
                           "): name the image input");
  return inputs.front();
}

void InputSpec::check(const std::string &sidecar, const std::string &field,
                      const TensorInfo &input) const {
  const Shape &d = input.shape;
  const std::string has = "the network's input " + quoted(input.name) + " is " + shape_string(d);
  auto fail = [&](const std::string &member, const std::string &says) {
    throw SidecarError(sidecar, field + "." + member,
                       field + "." + member + " " + says + " but " + has);
  };
  if (d.size() != 4) fail("layout", std::string("is \"") + name_of(layout) + "\" (rank 4)");
  const bool nchw = layout == TensorLayout::kNCHW;
  const int64_t c = d[nchw ? 1 : 3], h = d[nchw ? 2 : 1], w = d[nchw ? 3 : 2];
  auto fits = [](int64_t dim, int64_t want) { return dim < 0 || dim == want; };
  if (!fits(c, channels())) {
    // The other layout would fit: the layout is what is wrong.
    const int64_t oc = d[nchw ? 3 : 1], oh = d[nchw ? 1 : 2], ow = d[nchw ? 2 : 3];
    if (fits(oc, channels()) && fits(oh, height) && fits(ow, width))
      fail("layout", std::string("is \"") + name_of(layout) + "\"");
    fail("color", std::string("is \"") + name_of(colour) + "\" (" + std::to_string(channels()) +
                      (channels() == 1 ? " channel)" : " channels)"));
  }
  if (!fits(w, width)) fail("width", "is " + std::to_string(width));
  if (!fits(h, height)) fail("height", "is " + std::to_string(height));
  if (batch == -1 && d[0] >= 0) fail("batch", "is \"free\"");
  if (batch > 0 && d[0] >= 0 && d[0] != batch) fail("batch", "is " + std::to_string(batch));
}

int InputSpec::batch_of(const TensorInfo &input) const {
  if (batch > 0) return batch;
  if (input.shape.empty() || input.shape[0] < 0) return 0;
  return static_cast<int>(input.shape[0]);
}

Tensor InputSpec::tensor(const std::vector<cv::Mat> &images, int pad_to, bool rgb_images) const {
  Tensor t;
  fill(images, t, pad_to, rgb_images);
  return t;
}

void InputSpec::fill(const std::vector<cv::Mat> &images, Tensor &t, int pad_to,
                     bool rgb_images) const {
  const int n = std::max(static_cast<int>(images.size()), pad_to);
  const int c = channels();
  t.shape = layout == TensorLayout::kNCHW ? Shape{n, c, height, width} : Shape{n, height, width, c};
  t.data.resize(static_cast<size_t>(Tensor::count(t.shape)));  // same size: no allocation
  const size_t plane = static_cast<size_t>(width) * static_cast<size_t>(height);
  const bool uniform = c == 1 || (scale[0] == scale[1] && scale[1] == scale[2] &&
                                  offset[0] == offset[1] && offset[1] == offset[2]);
  cv::Mat converted, sized;
  std::vector<cv::Mat> bytes;
  for (size_t i = 0; i < images.size(); ++i) {
    const cv::Mat &img = images[i];
    if (img.empty() || (img.type() != CV_8UC1 && img.type() != CV_8UC3))
      throw std::invalid_argument("InputSpec::tensor: 8-bit grey or 3-channel images expected");
    if (img.size() != images.front().size())
      throw std::invalid_argument("InputSpec::tensor: images of different sizes");
    const cv::Mat *src = &img;
    if (img.channels() == 3 && colour == InputColour::kGrey) {
      cv::cvtColor(img, converted, rgb_images ? cv::COLOR_RGB2GRAY : cv::COLOR_BGR2GRAY);
      src = &converted;
    } else if (img.channels() == 1 && colour != InputColour::kGrey) {
      cv::cvtColor(img, converted, cv::COLOR_GRAY2BGR);
      src = &converted;
    } else if (img.channels() == 3 && (colour == InputColour::kRGB) != rgb_images) {
      cv::cvtColor(img, converted, cv::COLOR_BGR2RGB);  // the same swap either way
      src = &converted;
    }
    if (src->cols != width || src->rows != height) {
      cv::resize(*src, sized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
      src = &sized;
    }
    // value = pixel * scale + offset by cv::Mat::convertTo (float arithmetic, as OpenCV does).
    float *out = t.data.data() + i * plane * static_cast<size_t>(c);
    if (layout == TensorLayout::kNHWC) {
      cv::Mat dst(height, width, CV_32FC(c), out);
      if (uniform) {
        src->convertTo(dst, CV_32F, scale[0], offset[0]);
        continue;
      }
      src->convertTo(dst, CV_32F);
      cv::multiply(dst, cv::Scalar(scale[0], scale[1], scale[2]), dst);
      cv::add(dst, cv::Scalar(offset[0], offset[1], offset[2]), dst);
      continue;
    }
    cv::split(*src, bytes);
    for (int k = 0; k < c; ++k) {
      cv::Mat dst(height, width, CV_32F, out + static_cast<size_t>(k) * plane);
      bytes[static_cast<size_t>(k)].convertTo(dst, CV_32F, scale[static_cast<size_t>(k)],
                                              offset[static_cast<size_t>(k)]);
    }
  }
  std::fill(t.data.begin() + static_cast<std::ptrdiff_t>(images.size() * plane * c), t.data.end(),
            0.f);
}

std::string probe_failure(const InputSpec &input, const std::string &onnx, const std::string &why,
                          bool square) {
  return std::string(square ? "input.size" : "input.width, input.height") +
         ", input.color and input.layout (" + std::to_string(input.width) + "x" +
         std::to_string(input.height) + ", " + quoted(InputSpec::name_of(input.colour)) + ", " +
         quoted(InputSpec::name_of(input.layout)) + ") do not fit the network '" + onnx +
         "': it fails on such an input (" + why + ")";
}

}  // namespace emo
