// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: typed C++ access to the face metadata, a thin wrapper of the C library
// libgstemometa-1.0 (gst/emo/face-meta.h), which owns the layout and the companion meta.
#include "emo/gst/face_meta.hpp"

#include <cmath>
#include <memory>

namespace emo::gst {
namespace {

struct FaceFree {
  void operator()(GstEmoFace *face) const { gst_emo_face_free(face); }
};
using FacePtr = std::unique_ptr<GstEmoFace, FaceFree>;

std::vector<Point> points_of(const gfloat *coords, guint n) {
  std::vector<Point> points;
  points.reserve(n / 2);
  for (guint i = 0; i + 1 < n; i += 2) points.emplace_back(coords[i], coords[i + 1]);
  return points;
}

std::vector<Point> landmarks_of(const GstEmoFace *face) {
  guint n = 0;
  const gfloat *coords = gst_emo_face_get_landmarks(face, &n);
  return points_of(coords, n);
}

std::optional<Prediction> emotion_of(const GstEmoFace *face) {
  if (!gst_emo_face_has_emotion(face)) return std::nullopt;
  Prediction p;
  p.class_id = gst_emo_face_get_emotion_class_id(face);
  const gchar *label = gst_emo_face_get_emotion_label(face);
  p.label = label != nullptr ? label : "";
  p.confidence = static_cast<float>(gst_emo_face_get_emotion_confidence(face));
  guint n = 0;
  const gdouble *scores = gst_emo_face_get_emotion_scores(face, &n);
  for (guint i = 0; i < n; ++i) p.scores.push_back(static_cast<float>(scores[i]));
  return p;
}

}  // namespace

GstVideoRegionOfInterestMeta *add_face(GstBuffer *buffer, const Box &box, int id) {
  return gst_emo_buffer_add_face(buffer, box.x, box.y, box.width, box.height, id);
}

void set_landmarks(GstVideoRegionOfInterestMeta *meta, const std::vector<Point> &points,
                   const char *backend) {
  std::vector<gfloat> coords;
  coords.reserve(2 * points.size());
  for (const Point &p : points) {
    coords.push_back(p.x);
    coords.push_back(p.y);
  }
  gst_emo_face_meta_set_landmarks(meta, coords.data(), static_cast<guint>(coords.size()), backend);
}

void set_emotion(GstVideoRegionOfInterestMeta *meta, const Prediction &prediction,
                 const std::vector<std::string> &labels) {
  std::vector<const gchar *> names;
  names.reserve(labels.size() + 1);
  for (const std::string &l : labels) names.push_back(l.c_str());
  names.push_back(nullptr);
  const std::vector<gdouble> scores(prediction.scores.begin(), prediction.scores.end());
  gst_emo_face_meta_set_emotion(meta, prediction.label.c_str(), prediction.class_id,
                                prediction.confidence, names.data(), scores.data(),
                                static_cast<guint>(scores.size()));
}

void set_emotion_gate(GstVideoRegionOfInterestMeta *meta, const char *unsure,
                      const FaceQuality &quality, double margin) {
  GstStructure *s = gst_video_region_of_interest_meta_get_param(meta, kEmotionParam);
  if (s == nullptr) return;
  gst_structure_set(s, "unsure", G_TYPE_STRING, unsure != nullptr ? unsure : "", "face-size",
                    G_TYPE_INT, quality.size, "margin", G_TYPE_DOUBLE, margin, nullptr);
  if (std::isfinite(quality.yaw)) gst_structure_set(s, "yaw", G_TYPE_DOUBLE, quality.yaw, nullptr);
  if (std::isfinite(quality.sharpness))
    gst_structure_set(s, "sharpness", G_TYPE_DOUBLE, quality.sharpness, nullptr);
}

void set_emotion_brows(GstVideoRegionOfInterestMeta *meta, double brow_raise,
                       bool surprise_vetoed) {
  GstStructure *s = gst_video_region_of_interest_meta_get_param(meta, kEmotionParam);
  if (s == nullptr) return;
  if (std::isfinite(brow_raise))
    gst_structure_set(s, "brow-raise", G_TYPE_DOUBLE, brow_raise, nullptr);
  if (surprise_vetoed) gst_structure_set(s, "surprise-vetoed", G_TYPE_BOOLEAN, TRUE, nullptr);
}

void set_tracking(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id, bool detected,
                  bool shot_start) {
  gst_emo_face_meta_set_tracking(meta, track_id, detected ? TRUE : FALSE);
  if (shot_start) gst_emo_face_meta_set_shot_start(meta, TRUE);
}

void set_detection(GstVideoRegionOfInterestMeta *meta, double confidence,
                   const std::vector<Point> &keypoints, const char *model) {
  std::vector<gfloat> coords;
  coords.reserve(2 * keypoints.size());
  for (const Point &p : keypoints) {
    coords.push_back(p.x);
    coords.push_back(p.y);
  }
  gst_emo_face_meta_set_detection(meta, confidence, coords.data(),
                                  static_cast<guint>(coords.size()), model);
}

void set_pose(GstVideoRegionOfInterestMeta *meta, double yaw, double pitch, double roll) {
  gst_emo_face_meta_set_pose(meta, yaw, pitch, roll);
}

void set_object_id(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id) {
  gst_emo_face_meta_set_object_id(meta, static_cast<gint>(track_id & G_MAXINT));
}

std::vector<Point> get_landmarks(const GstVideoRegionOfInterestMeta *meta) {
  if (meta == nullptr) return {};
  FacePtr face(
      gst_emo_face_new_from_meta(nullptr, const_cast<GstVideoRegionOfInterestMeta *>(meta)));
  return face ? landmarks_of(face.get()) : std::vector<Point>{};
}

std::optional<Prediction> get_emotion(const GstVideoRegionOfInterestMeta *meta) {
  if (meta == nullptr) return std::nullopt;
  FacePtr face(
      gst_emo_face_new_from_meta(nullptr, const_cast<GstVideoRegionOfInterestMeta *>(meta)));
  return face ? emotion_of(face.get()) : std::nullopt;
}

std::vector<Face> read_faces(GstBuffer *buffer) {
  std::vector<Face> faces;
  if (buffer == nullptr || !GST_IS_BUFFER(buffer)) return faces;
  try {
    gpointer state = nullptr;
    GstMeta *m = nullptr;
    while ((m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                                 GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      auto *meta = reinterpret_cast<GstVideoRegionOfInterestMeta *>(m);
      FacePtr c(gst_emo_face_new_from_meta(buffer, meta));
      if (!c) continue;  // not a face region
      Face face;
      face.meta = meta;
      face.id = gst_emo_face_get_id(c.get());
      gst_emo_face_get_box(c.get(), &face.box.x, &face.box.y, &face.box.width, &face.box.height);
      face.landmarks = landmarks_of(c.get());
      face.emotion = emotion_of(c.get());
      if (face.emotion)
        for (const gchar *const *l = gst_emo_face_get_emotion_labels(c.get()); *l; ++l)
          face.emotion_labels.emplace_back(*l);
      face.track_id = gst_emo_face_get_track_id(c.get());
      face.detected = gst_emo_face_is_detected(c.get());
      face.shot_start = gst_emo_face_is_shot_start(c.get());
      double yaw = 0, pitch = 0, roll = 0;
      if (gst_emo_face_get_pose(c.get(), &yaw, &pitch, &roll))
        face.pose = cv::Vec3d(yaw, pitch, roll);
      if (gst_emo_face_has_detection(c.get())) {
        face.confidence = gst_emo_face_get_detection_confidence(c.get());
        guint n = 0;
        const gfloat *k = gst_emo_face_get_keypoints(c.get(), &n);
        face.keypoints = points_of(k, n);
        if (const gchar *model = gst_emo_face_get_detection_model(c.get()))
          face.detector_model = model;
      }
      if (const GstStructure *s =
              find_face_param(get_face_params_meta(buffer), meta, kEmotionParam);
          s != nullptr && gst_structure_has_field_typed(s, "unsure", G_TYPE_STRING)) {
        Face::Gate gate;
        gate.unsure = gst_structure_get_string(s, "unsure");
        gate.quality.size = -1;
        gst_structure_get_int(s, "face-size", &gate.quality.size);
        gst_structure_get_double(s, "yaw", &gate.quality.yaw);
        gst_structure_get_double(s, "sharpness", &gate.quality.sharpness);
        gst_structure_get_double(s, "margin", &gate.margin);
        face.gate = std::move(gate);
      }
      faces.push_back(std::move(face));
    }
  } catch (...) {  // std::bad_alloc: what was read so far
  }
  return faces;
}

GType face_params_meta_api_get_type() { return gst_emo_face_params_meta_api_get_type(); }
const GstMetaInfo *face_params_meta_get_info() { return gst_emo_face_params_meta_get_info(); }
FaceParamsMeta *get_face_params_meta(GstBuffer *buffer) {
  return gst_emo_buffer_get_face_params_meta(buffer);
}
FaceParamsMeta *ensure_face_params_meta(GstBuffer *buffer) {
  return gst_emo_buffer_ensure_face_params_meta(buffer);
}
const GstStructure *find_face_param(const FaceParamsMeta *carrier,
                                    const GstVideoRegionOfInterestMeta *roi, const char *name) {
  return gst_emo_face_params_meta_find_param(carrier, roi, name);
}

}  // namespace emo::gst
