// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the JSON sidecar of a BlazeFace-family detector (see emo/detect/blazeface_spec.hpp).
#include "emo/detect/blazeface_spec.hpp"

#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <opencv2/core/persistence.hpp>

namespace emo::detect {
namespace {

constexpr const char *kFormat = "gst-emo-blazeface-model";

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

// Anchors per output of shape `s` (the dimensions between the first and the last), -1 when
// one is free.
int64_t anchors_of(const Shape &s) {
  if (s.size() < 2) return -1;
  int64_t n = 1;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] < 0) return -1;
    n *= s[i];
  }
  return n;
}

std::string outputs_text(const std::vector<TensorInfo> &outputs) {
  std::string s;
  for (const TensorInfo &t : outputs)
    s += (s.empty() ? "" : ", ") + quoted(t.name) + " " + shape_string(t.shape);
  return s.empty() ? "none" : s;
}

std::string counts_text(const std::vector<size_t> &counts) {
  std::string s;
  for (size_t c : counts) s += (s.empty() ? "" : ", ") + std::to_string(c);
  return s;
}

}  // namespace

std::vector<AnchorGrid> anchor_grids(const AnchorOptions &o) {
  std::vector<AnchorGrid> grids;
  for (size_t i = 0; i < o.strides.size(); ++i) {
    const int per = i < o.per_layer.size() ? o.per_layer[i] : 0;
    if (!grids.empty() && grids.back().stride == o.strides[i])
      grids.back().per_cell += per;
    else
      grids.push_back({o.strides[i], per});
  }
  return grids;
}

std::vector<size_t> anchor_counts(const AnchorOptions &o, cv::Size input) {
  std::vector<size_t> counts;
  for (const AnchorGrid &g : anchor_grids(o)) {
    const size_t cols = static_cast<size_t>((input.width + g.stride - 1) / g.stride);
    const size_t rows = static_cast<size_t>((input.height + g.stride - 1) / g.stride);
    counts.push_back(cols * rows * static_cast<size_t>(g.per_cell));
  }
  return counts;
}

std::vector<Anchor> ssd_anchors(const AnchorOptions &o, cv::Size input) {
  if (input.width < 1 || input.height < 1) throw std::invalid_argument("ssd_anchors: empty input");
  std::vector<Anchor> anchors;
  for (const AnchorGrid &g : anchor_grids(o)) {
    if (g.stride < 1 || g.per_cell < 1)
      throw std::invalid_argument("ssd_anchors: strides and anchors per layer must be >= 1");
    const int cols = (input.width + g.stride - 1) / g.stride;
    const int rows = (input.height + g.stride - 1) / g.stride;
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x)
        for (int k = 0; k < g.per_cell; ++k)
          anchors.push_back({static_cast<float>((x + o.offset_x) / cols),
                             static_cast<float>((y + o.offset_y) / rows)});
  }
  return anchors;
}

BlazeFaceSpec BlazeFaceSpec::defaults(int size) {
  if (size != 128 && size != 256)
    throw std::invalid_argument("BlazeFaceSpec::defaults: network size must be 128 or 256");
  BlazeFaceSpec s;
  s.name = size == 256 ? "blazeface-full" : "blazeface-short";
  s.input.width = s.input.height = size;
  s.input.layout = TensorLayout::kNHWC;
  s.input.colour = InputColour::kRGB;
  s.input.scale = {1.0 / 127.5, 1.0 / 127.5, 1.0 / 127.5};
  s.input.offset = {-1.0, -1.0, -1.0};
  s.input.batch = 0;
  s.anchors.strides = {size / 16, size / 8, size / 8, size / 8};
  s.anchors.per_layer = {2, 2, 2, 2};
  s.score_threshold = size == 256 ? kFullRangeThreshold : kShortRangeThreshold;
  return s;
}

BlazeFaceSpec BlazeFaceSpec::parse(const std::string &path) {
  BlazeFaceSpec s;
  s.sidecar = path;
  read_sidecar(path, kFormat, [&s](const SidecarReader &r, const cv::FileNode &root) {
    s.onnx = r.model_path(root);
    s.input = InputSpec::read(r, root, "input", true);
    s.name = r.string(root, "name", "name", "blazeface-" + std::to_string(s.input.width), false);
    const cv::FileNode a = root["anchors"];
    r.need_map(a, "anchors");
    for (double v : r.numbers(a, "strides", "anchors.strides")) {
      if (v < 1 || v > 1024 || v != static_cast<int>(v))
        r.fail("anchors.strides", "must hold whole numbers of pixels in [1, 1024]");
      s.anchors.strides.push_back(static_cast<int>(v));
    }
    if (s.anchors.strides.empty()) r.fail("anchors.strides", "is missing (one per layer)");
    const int layers = r.integer(a, "num_layers", "anchors.num_layers",
                                 static_cast<int>(s.anchors.strides.size()), false, 1, 64);
    if (layers != static_cast<int>(s.anchors.strides.size()))
      r.fail("anchors.num_layers", "is " + std::to_string(layers) + " but anchors.strides has " +
                                       std::to_string(s.anchors.strides.size()) + " entries");
    std::vector<double> per = r.numbers(a, "anchors_per_layer", "anchors.anchors_per_layer");
    if (per.empty()) per.assign(1, 2.0);
    if (per.size() == 1) per.assign(s.anchors.strides.size(), per[0]);
    if (per.size() != s.anchors.strides.size())
      r.fail("anchors.anchors_per_layer", "has " + std::to_string(per.size()) +
                                              " entries but anchors.strides has " +
                                              std::to_string(s.anchors.strides.size()));
    for (double v : per) {
      if (v < 1 || v > 64 || v != static_cast<int>(v))
        r.fail("anchors.anchors_per_layer", "must hold whole numbers in [1, 64]");
      s.anchors.per_layer.push_back(static_cast<int>(v));
    }
    std::vector<double> offset = r.numbers(a, "anchor_offset", "anchors.anchor_offset");
    if (offset.empty()) offset.assign(1, 0.5);
    if (offset.size() == 1) offset.push_back(offset[0]);
    if (offset.size() != 2 || offset[0] < 0 || offset[0] > 1 || offset[1] < 0 || offset[1] > 1)
      r.fail("anchors.anchor_offset", "must be one number, or [x, y], in [0, 1] (cells)");
    s.anchors.offset_x = offset[0];
    s.anchors.offset_y = offset[1];
    const cv::FileNode d = root["decode"];
    r.need_map(d, "decode");
    s.score_threshold = static_cast<float>(
        r.number(d, "score_threshold", "decode.score_threshold", 0.5, true, 0, 1));
    s.score_clip = static_cast<float>(
        r.number(d, "score_clip", "decode.score_clip", kScoreClip, false, 1, 1e6));
    s.keypoints = r.integer(d, "keypoints", "decode.keypoints", kNumKeypoints, false, 0, 64);
    s.nms_iou =
        static_cast<float>(r.number(d, "nms_iou", "decode.nms_iou", kSuppressionIou, false, 0, 1));
    const cv::FileNode o = root["outputs"];
    if (o.isString()) {
      if (o.string() != "by-shape") r.fail("outputs", "must be \"by-shape\" or an object");
    } else if (!o.empty()) {
      r.need_map(o, "outputs");
      s.score_outputs = r.strings(o, "scores", "outputs.scores");
      s.regressor_outputs = r.strings(o, "regressors", "outputs.regressors");
      if (s.score_outputs.empty() || s.regressor_outputs.empty())
        r.fail("outputs", "must name both \"scores\" and \"regressors\" (or be \"by-shape\")");
    }
  });
  return s;
}

std::string BlazeFaceSpec::sidecar_of(const std::string &onnx_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(onnx_path);
  fs::path beside = p;
  beside.replace_extension(".json");
  if (fs::is_regular_file(beside, ec)) return beside.string();
  const fs::path committed = p.parent_path().parent_path() / "blazeface-sidecars" /
                             p.filename().replace_extension(".json");
  if (fs::is_regular_file(committed, ec)) return committed.lexically_normal().string();
  return "";
}

void BlazeFaceSpec::validate(const std::vector<TensorInfo> &inputs,
                             const std::vector<TensorInfo> &outputs) const {
  validate_inputs(inputs);
  validate_outputs(outputs);
}

void BlazeFaceSpec::validate_inputs(const std::vector<TensorInfo> &inputs) const {
  const TensorInfo &in = input.pick(sidecar, "input", inputs);
  // Check with "size" named as the sidecar names it.
  try {
    input.check(sidecar, "input", in);
  } catch (const SidecarError &e) {
    const std::string f = e.field();
    if (f != "input.width" && f != "input.height") throw;
    throw SidecarError(sidecar, "input.size",
                       "input.size is " + std::to_string(size()) + " but the network's input " +
                           quoted(in.name) + " is " + shape_string(in.shape));
  }
}

void BlazeFaceSpec::validate_outputs(const std::vector<TensorInfo> &outputs) const {
  const std::vector<size_t> counts = anchor_counts(anchors, cv::Size(size(), size()));
  size_t total = 0;
  for (size_t c : counts) total += c;
  auto fail = [&](const std::string &field, const std::string &says) {
    throw SidecarError(
        sidecar, field,
        field + " " + says + " but the network's outputs are " + outputs_text(outputs));
  };
  const std::string grids = "anchors give " + std::to_string(counts.size()) + " grid(s) of " +
                            counts_text(counts) + " anchors on " + std::to_string(size()) + "x" +
                            std::to_string(size());
  const std::string per = "decode.keypoints is " + std::to_string(keypoints) + " (" +
                          std::to_string(values()) + " values per anchor)";
  if (!score_outputs.empty()) {
    // Named outputs: each exists, scores end in 1, regressors in values(); the anchors they
    // hold, when fixed, add up to the anchors of S x S.
    auto check = [&](const std::vector<std::string> &names, const char *field, int64_t last) {
      int64_t sum = 0;
      for (const std::string &n : names) {
        const TensorInfo *t = find_tensor(outputs, n);
        if (!t) fail(field, "names " + quoted(n));
        if (t->shape.empty() || (t->shape.back() >= 0 && t->shape.back() != last)) {
          if (last == 1) fail(field, "names " + quoted(n) + " (scores: N x 1)");
          fail("decode.keypoints", per.substr(std::string("decode.keypoints ").size()));
        }
        const int64_t a = anchors_of(t->shape);
        sum = a < 0 || sum < 0 ? -1 : sum + a;
      }
      if (sum >= 0 && sum != static_cast<int64_t>(total))
        fail("anchors.strides",
             "and anchors.anchors_per_layer: " + grids + " (" + std::to_string(total) + ")");
    };
    check(score_outputs, "outputs.scores", 1);
    check(regressor_outputs, "outputs.regressors", values());
    return;
  }
  // By shape: one N x 1 and one N x values() output per grid.
  std::vector<const TensorInfo *> s, r;
  for (const TensorInfo &t : outputs) {
    if (t.shape.size() < 2) continue;
    if (t.shape.back() == 1)
      s.push_back(&t);
    else
      r.push_back(&t);
  }
  if (s.size() != counts.size())
    fail("outputs", "is \"by-shape\" and the " + grids + " (one N x 1 score output each)");
  if (r.size() != counts.size())
    fail("outputs", "is \"by-shape\" and the " + grids + " (one regressor output each)");
  for (const TensorInfo *t : r)
    if (t->shape.back() >= 0 && t->shape.back() != values())
      fail("decode.keypoints", per.substr(std::string("decode.keypoints ").size()));
  // Fixed anchor counts must be the grids' counts, each once.
  std::vector<size_t> left_s = counts, left_r = counts;
  auto take = [&](std::vector<size_t> &left, const TensorInfo *t) {
    const int64_t a = anchors_of(t->shape);
    if (a < 0) return;
    for (size_t &c : left)
      if (c != 0 && static_cast<int64_t>(c) == a) {
        c = 0;
        return;
      }
    fail("anchors.strides", "and anchors.anchors_per_layer: " + grids);
  };
  for (const TensorInfo *t : s) take(left_s, t);
  for (const TensorInfo *t : r) take(left_r, t);
}

bool BlazeFaceSpec::rectangular(const std::vector<TensorInfo> &inputs) const {
  const Shape &d = input.pick(sidecar, "input", inputs).shape;
  if (d.size() != 4) return false;
  const bool nchw = input.layout == TensorLayout::kNCHW;
  return d[nchw ? 2 : 1] < 0 && d[nchw ? 3 : 2] < 0;
}

void BlazeFaceSpec::gather(const std::vector<TensorInfo> &outputs,
                           const std::vector<const float *> &data, cv::Size input,
                           std::vector<float> &scores, std::vector<float> &regressors) const {
  const std::vector<size_t> counts = anchor_counts(anchors, input);
  size_t total = 0;
  for (size_t c : counts) total += c;
  const size_t v = static_cast<size_t>(values());
  scores.resize(total);
  regressors.resize(total * v);
  auto count_of = [](const TensorInfo &t) {
    return t.shape.size() < 2 ? size_t{0}
                              : static_cast<size_t>(Tensor::count(t.shape) / t.shape.back());
  };
  std::string why;
  if (!score_outputs.empty()) {
    auto copy = [&](const std::vector<std::string> &names, std::vector<float> &dst, size_t width) {
      size_t at = 0;
      for (const std::string &n : names) {
        size_t i = 0;
        while (i < outputs.size() && outputs[i].name != n) ++i;
        if (i == outputs.size()) throw std::runtime_error("no output " + quoted(n));
        const size_t len = static_cast<size_t>(Tensor::count(outputs[i].shape));
        if (at + len > dst.size() || count_of(outputs[i]) * width != len)
          throw std::runtime_error("output " + quoted(n) + " of " + shape_string(outputs[i].shape) +
                                   " does not fit " + std::to_string(total) + " anchors");
        std::copy_n(data[i], len, dst.data() + at);
        at += len;
      }
      if (at != dst.size())
        throw std::runtime_error("outputs hold " + std::to_string(at / width) + " anchors, not " +
                                 std::to_string(total));
    };
    copy(score_outputs, scores, 1);
    copy(regressor_outputs, regressors, v);
    return;
  }
  std::vector<bool> used(outputs.size(), false);
  size_t at = 0;
  for (size_t g = 0; g < counts.size(); ++g) {
    int si = -1, ri = -1;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (used[i] || outputs[i].shape.size() < 2 || count_of(outputs[i]) != counts[g]) continue;
      if (outputs[i].shape.back() == 1 && si < 0) si = static_cast<int>(i);
      if (static_cast<size_t>(outputs[i].shape.back()) == v && ri < 0) ri = static_cast<int>(i);
    }
    if (si < 0 || ri < 0) {
      std::string want;
      for (size_t c : counts)
        want += (want.empty() ? "" : ", ") + std::to_string(c) + " x 1, " + std::to_string(c) +
                " x " + std::to_string(v);
      throw std::runtime_error("unexpected outputs (want " + want + ")");
    }
    used[static_cast<size_t>(si)] = used[static_cast<size_t>(ri)] = true;
    std::copy_n(data[static_cast<size_t>(si)], counts[g], scores.data() + at);
    std::copy_n(data[static_cast<size_t>(ri)], counts[g] * v, regressors.data() + at * v);
    at += counts[g];
  }
}

}  // namespace emo::detect
