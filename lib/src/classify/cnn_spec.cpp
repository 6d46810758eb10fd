// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the JSON sidecar of an appearance CNN (see emo/classify/cnn_spec.hpp).
#include "emo/classify/cnn_spec.hpp"

#include <opencv2/core/persistence.hpp>

namespace emo {
namespace {

constexpr const char *kFormat = "gst-emo-cnn-model";

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

// The optional "gate" object: each threshold in the range of its emoclassify property.
GateOverrides read_gate(const SidecarReader &r, const cv::FileNode &root) {
  GateOverrides g;
  const cv::FileNode gate = root["gate"];
  if (gate.empty()) return g;
  r.need_map(gate, "gate");
  if (!gate["min_face_size"].empty())
    g.min_face_size = r.integer(gate, "min_face_size", "gate.min_face_size", 0, true, 0, 4096);
  if (!gate["max_yaw"].empty())
    g.max_yaw = r.number(gate, "max_yaw", "gate.max_yaw", 0, true, 0, 90);
  if (!gate["min_sharpness"].empty())
    g.min_sharpness = r.number(gate, "min_sharpness", "gate.min_sharpness", 0, true, 0, 10);
  if (!gate["min_margin"].empty())
    g.min_margin = r.number(gate, "min_margin", "gate.min_margin", 0, true, 0, 1);
  return g;
}

}  // namespace

CnnSpec CnnSpec::parse(const std::string &path) {
  CnnSpec s;
  s.sidecar = path;
  read_sidecar(path, kFormat, [&s](const SidecarReader &r, const cv::FileNode &root) {
    s.onnx = r.model_path(root);
    s.input = InputSpec::read(r, root, "input", false);
    const cv::FileNode outputs = root["outputs"];
    r.need_map(outputs, "outputs");
    s.scores_output = r.string(outputs, "scores", "outputs.scores", "", true);
    s.embedding_output = r.string(outputs, "embedding", "outputs.embedding", "", false);
    const cv::FileNode crop = root["crop"];
    if (!crop.empty()) {
      r.need_map(crop, "crop");
      // Ranges in units of the interocular distance d (box_scale: of the box width).
      s.crop.size = r.number(crop, "size", "crop.size", s.crop.size, false, 0.5, 10);
      s.crop.below_eyes =
          r.number(crop, "below_eyes", "crop.below_eyes", s.crop.below_eyes, false, -5, 5);
      s.crop.box_scale =
          r.number(crop, "box_scale", "crop.box_scale", s.crop.box_scale, false, 0.1, 10);
    }
    s.labels = r.strings(root, "labels", "labels");
    if (s.labels.size() < 2) r.fail("labels", "must list at least 2 class names");
    s.gate = read_gate(r, root);
  });
  return s;
}

void CnnSpec::validate(const std::vector<TensorInfo> &inputs,
                       const std::vector<TensorInfo> &outputs) const {
  validate_inputs(inputs);
  validate_outputs(outputs);
}

void CnnSpec::validate_inputs(const std::vector<TensorInfo> &inputs) const {
  input.check(sidecar, "input", input.pick(sidecar, "input", inputs));
}

void CnnSpec::validate_outputs(const std::vector<TensorInfo> &outputs) const {
  auto named = [&](const char *field, const std::string &name) -> const TensorInfo & {
    if (const TensorInfo *t = find_tensor(outputs, name)) return *t;
    throw SidecarError(sidecar, field,
                       std::string(field) + " names " + quoted(name) +
                           " but the network's outputs are " + tensor_names(outputs));
  };
  const TensorInfo &scores = named("outputs.scores", scores_output);
  if (!embedding_output.empty()) named("outputs.embedding", embedding_output);
  // Scores: [N, K] or [N, K, 1, 1]...: the values per face are the product of the dimensions
  // after the batch; checked when they are all fixed.
  int64_t per_face = 1;
  for (size_t i = 1; i < scores.shape.size(); ++i)
    per_face = scores.shape[i] < 0 || per_face < 0 ? -1 : per_face * scores.shape[i];
  if (scores.shape.size() < 2) per_face = scores.shape.empty() ? 1 : -1;
  if (per_face >= 0 && per_face != static_cast<int64_t>(labels.size()))
    throw SidecarError(sidecar, "labels",
                       "labels has " + std::to_string(labels.size()) + " entries but output " +
                           quoted(scores.name) + " has " + std::to_string(per_face) + " (" +
                           shape_string(scores.shape) + ")");
}

int CnnSpec::batch_size(const std::vector<TensorInfo> &inputs) const {
  return input.batch_of(input.pick(sidecar, "input", inputs));
}

Tensor CnnSpec::input_tensor(const std::vector<cv::Mat> &crops, int pad_to) const {
  return input.tensor(crops, pad_to, false);
}

}  // namespace emo
