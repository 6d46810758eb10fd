// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the emotion gate and the per-track label hysteresis (see emo/classify/gate.hpp).
#include "emo/classify/gate.hpp"
#include "track_ages.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace emo {
namespace {

constexpr int kSharpnessSide = 64;  // px, the CNN's input side

}  // namespace

const char *to_string(Unsure why) {
  switch (why) {
    case Unsure::None:
      return "";
    case Unsure::Small:
      return "small";
    case Unsure::Turned:
      return "turned";
    case Unsure::Blurred:
      return "blurred";
    case Unsure::Flat:
      return "flat";
  }
  return "";
}

double yaw_from_keypoints(const std::vector<Point> &keypoints) {
  if (keypoints.size() < 6) return std::nan("");
  const Point eye_r = keypoints[0], eye_l = keypoints[1];
  // Rotate about the right eye so that the eyes are level (removes the head's roll).
  const double roll = std::atan2(eye_l.y - eye_r.y, eye_l.x - eye_r.x);
  const double c = std::cos(-roll), s = std::sin(-roll);
  auto x_of = [&](const Point &p) { return c * (p.x - eye_r.x) - s * (p.y - eye_r.y); };
  const double nose = x_of(keypoints[2]);
  const double ear_r = x_of(keypoints[4]), ear_l = x_of(keypoints[5]);
  const double half = std::abs(ear_l - ear_r) / 2.0;
  if (!(half > 1e-6)) return std::nan("");
  const double offset = nose - (ear_r + ear_l) / 2.0;
  // The image x axis is flipped by the roll when the eyes are right to left (the face upside
  // down or a mirrored order): measure the offset along the right-ear -> left-ear direction.
  const double sign = ear_l >= ear_r ? 1.0 : -1.0;
  return std::atan(sign * offset / (kNoseDepth * half)) * 180.0 / CV_PI;
}

double face_sharpness(const cv::Mat &gray, const Box &box) {
  if (gray.empty() || gray.type() != CV_8UC1) return std::nan("");
  const Box crop = box & Box(0, 0, gray.cols, gray.rows);
  if (crop.width < 2 || crop.height < 2) return std::nan("");
  cv::Mat face, lap;
  cv::resize(gray(crop), face, cv::Size(kSharpnessSide, kSharpnessSide), 0, 0,
             crop.width >= kSharpnessSide ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Scalar mean, pixels_sd, lap_sd;
  cv::meanStdDev(face, mean, pixels_sd);
  if (!(pixels_sd[0] > 1e-6)) return std::nan("");
  cv::Laplacian(face, lap, CV_32F, 3);
  cv::meanStdDev(lap, mean, lap_sd);
  return lap_sd[0] / pixels_sd[0];
}

double score_margin(const std::vector<float> &scores) {
  if (scores.empty()) return 0.0;
  float first = -1.f, second = 0.f;
  for (float v : scores) {
    if (v > first) {
      second = std::max(first, 0.f);
      first = v;
    } else if (v > second) {
      second = v;
    }
  }
  return static_cast<double>(first) - static_cast<double>(second);
}

GateSettings resolve_gate(const GateSettings &element, unsigned explicitly_set,
                          const GateOverrides &model) {
  GateSettings g = element;
  if (model.min_face_size && !(explicitly_set & kGateMinFaceSize))
    g.min_face_size = *model.min_face_size;
  if (model.max_yaw && !(explicitly_set & kGateMaxYaw)) g.max_yaw = *model.max_yaw;
  if (model.min_sharpness && !(explicitly_set & kGateMinSharpness))
    g.min_sharpness = *model.min_sharpness;
  if (model.min_margin && !(explicitly_set & kGateMinMargin)) g.min_margin = *model.min_margin;
  return g;
}

Unsure gate_face(const FaceQuality &quality, const std::vector<float> &scores,
                 const GateSettings &settings) {
  if (settings.min_face_size > 0 && quality.size < settings.min_face_size) return Unsure::Small;
  if (settings.max_yaw < 90.0 && std::abs(quality.yaw) > settings.max_yaw) return Unsure::Turned;
  if (settings.min_sharpness > 0.0 && quality.sharpness < settings.min_sharpness)
    return Unsure::Blurred;
  if (settings.min_margin > 0.0 && score_margin(scores) < settings.min_margin) return Unsure::Flat;
  return Unsure::None;
}

void LabelHysteresis::begin_frame() {
  ++frame_;
  detail::forget_missed_tracks(tracks_, frame_, max_missed);
}

int LabelHysteresis::update(std::int64_t track_id, int candidate, std::int64_t pts,
                            const Settings &settings, const std::vector<float> *scores,
                            int classification) {
  if (track_id < 0) return candidate;
  auto [it, is_new] = tracks_.try_emplace(track_id);
  Track &t = it->second;
  t.last_frame = frame_;
  const bool classified = classification != kNoClassification;
  if (classified) t.last_top = classification == kCandidate ? candidate : classification;
  // Every classification supports "unknown" (the gate's reasons are not the network's).
  auto supports = [candidate](int top) {
    return top != kNoClassification && (candidate < 0 || top == candidate);
  };
  if (!is_new && scores != nullptr && t.held >= 0 && static_cast<size_t>(t.held) < scores->size() &&
      2.f * (*scores)[static_cast<size_t>(t.held)] * static_cast<float>(scores->size()) < 1.f)
    t.held = -1;  // the held label lost its support: "unknown" until a new one holds
  if (is_new || candidate == t.held) {
    t.held = candidate;
    t.pending = candidate;
    t.pending_frames = 0;
    t.pending_since = -1;
    return t.held;
  }
  if (candidate != t.pending || t.pending_frames == 0) {
    t.pending = candidate;
    t.pending_frames = 0;
    t.pending_since = pts;
    t.pending_support = supports(t.last_top) ? 1 : 0;  // the classification shown now
  } else if (classified && supports(t.last_top)) {
    ++t.pending_support;
  }
  ++t.pending_frames;
  const bool frames_hold = t.pending_frames >= std::max(settings.hold_frames, 1);
  const bool time_holds = settings.hold_time <= 0 || pts < 0 || t.pending_since < 0 ||
                          pts - t.pending_since >= settings.hold_time;
  const bool runs_hold =
      settings.hold_classifications <= 1 || t.pending_support >= settings.hold_classifications;
  if (frames_hold && time_holds && runs_hold) {
    t.held = candidate;
    t.pending_frames = 0;
    t.pending_since = -1;
  }
  return t.held;
}

void LabelHysteresis::reset() {
  tracks_.clear();
  frame_ = 0;
}

}  // namespace emo
