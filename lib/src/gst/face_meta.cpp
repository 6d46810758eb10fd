// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: typed access to the face metadata that the gst-emo elements attach to buffers.
#include "emo/gst/face_meta.hpp"

#include <algorithm>
#include <cstring>

namespace emo::gst {
namespace {

// Removes (and frees) every param structure called `name` from a region.
void remove_param(GstVideoRegionOfInterestMeta *meta, const char *name) {
  GList *l = meta->params;
  while (l != nullptr) {
    GList *next = l->next;
    auto *s = static_cast<GstStructure *>(l->data);
    if (s != nullptr && gst_structure_has_name(s, name)) {
      gst_structure_free(s);
      meta->params = g_list_delete_link(meta->params, l);
    }
    l = next;
  }
}

const GstStructure *find_param(const GstVideoRegionOfInterestMeta *meta, const char *name) {
  return gst_video_region_of_interest_meta_get_param(
      const_cast<GstVideoRegionOfInterestMeta *>(meta), name);
}

template <typename Setter>
void append(GValue *array, GType type, Setter &&set) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, type);
  set(&v);
  gst_value_array_append_and_take_value(array, &v);
}

// The numeric array field `name` of `s` as doubles; false when absent or not all numbers.
bool get_number_array(const GstStructure *s, const char *name, std::vector<double> &out) {
  out.clear();
  const GValue *array = gst_structure_get_value(s, name);
  if (array == nullptr || !GST_VALUE_HOLDS_ARRAY(array)) return false;
  const guint n = gst_value_array_get_size(array);
  out.reserve(n);
  for (guint i = 0; i < n; ++i) {
    const GValue *v = gst_value_array_get_value(array, i);
    if (G_VALUE_HOLDS_FLOAT(v))
      out.push_back(g_value_get_float(v));
    else if (G_VALUE_HOLDS_DOUBLE(v))
      out.push_back(g_value_get_double(v));
    else if (G_VALUE_HOLDS_INT(v))
      out.push_back(g_value_get_int(v));
    else if (G_VALUE_HOLDS_UINT(v))
      out.push_back(g_value_get_uint(v));
    else
      return false;
  }
  return true;
}

bool get_string_array(const GstStructure *s, const char *name, std::vector<std::string> &out) {
  out.clear();
  const GValue *array = gst_structure_get_value(s, name);
  if (array == nullptr || !GST_VALUE_HOLDS_ARRAY(array)) return false;
  const guint n = gst_value_array_get_size(array);
  for (guint i = 0; i < n; ++i) {
    const GValue *v = gst_value_array_get_value(array, i);
    if (!G_VALUE_HOLDS_STRING(v)) return false;
    const gchar *str = g_value_get_string(v);
    out.emplace_back(str != nullptr ? str : "");
  }
  return true;
}

bool is_face(const GstVideoRegionOfInterestMeta *meta) {
  const gchar *type = g_quark_to_string(meta->roi_type);
  return type != nullptr && std::strcmp(type, kFaceRoiType) == 0;
}

// The points of a "landmarks" structure `s` ("detection": `field` "keypoints", count
// `count_field` "n-keypoints"), mapped to the current box of `meta`.
std::vector<Point> landmarks_from(const GstStructure *s, const GstVideoRegionOfInterestMeta *meta,
                                  const char *field = "points",
                                  const char *count_field = "n-points") {
  std::vector<Point> points;
  if (s == nullptr) return points;
  std::vector<double> coords;
  if (!get_number_array(s, field, coords) || coords.size() % 2 != 0) return points;
  guint n = 0;
  if (gst_structure_get_uint(s, count_field, &n) && 2 * static_cast<size_t>(n) != coords.size())
    return points;

  // Map from the region the points were fitted in to the region's current box.
  double sx = 1.0, sy = 1.0, ox = 0.0, oy = 0.0, rx = 0.0, ry = 0.0;
  std::vector<double> region;
  if (get_number_array(s, "region", region) && region.size() == 4 && region[2] > 0 &&
      region[3] > 0 && meta->w > 0 && meta->h > 0 &&
      (region[0] != meta->x || region[1] != meta->y || region[2] != meta->w ||
       region[3] != meta->h)) {
    rx = region[0];
    ry = region[1];
    sx = meta->w / region[2];
    sy = meta->h / region[3];
    ox = meta->x;
    oy = meta->y;
  }
  points.reserve(coords.size() / 2);
  for (size_t i = 0; i + 1 < coords.size(); i += 2) {
    const double x = ox + (coords[i] - rx) * sx;  // identity when not rescaled
    const double y = oy + (coords[i + 1] - ry) * sy;
    points.emplace_back(static_cast<float>(x), static_cast<float>(y));
  }
  return points;
}

std::optional<Prediction> emotion_from(const GstStructure *s) {
  if (s == nullptr) return std::nullopt;
  Prediction p;
  gint class_id = -1;
  if (gst_structure_get_int(s, "class-id", &class_id)) p.class_id = class_id;
  if (const gchar *label = gst_structure_get_string(s, "label")) p.label = label;
  gdouble confidence = 0.0;
  if (gst_structure_get_double(s, "confidence", &confidence))
    p.confidence = static_cast<float>(confidence);
  std::vector<double> scores;
  if (get_number_array(s, "scores", scores))
    for (double v : scores) p.scores.push_back(static_cast<float>(v));
  std::vector<std::string> labels;
  if (p.label.empty() && p.class_id >= 0 && get_string_array(s, "labels", labels) &&
      static_cast<size_t>(p.class_id) < labels.size())
    p.label = labels[static_cast<size_t>(p.class_id)];
  return p;
}

}  // namespace

GstVideoRegionOfInterestMeta *add_face(GstBuffer *buffer, const Box &box, int id) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  g_return_val_if_fail(gst_buffer_is_writable(buffer), nullptr);
  ensure_face_params_meta(buffer);
  GstVideoRegionOfInterestMeta *meta = gst_buffer_add_video_region_of_interest_meta(
      buffer, kFaceRoiType, static_cast<guint>(std::max(box.x, 0)),
      static_cast<guint>(std::max(box.y, 0)), static_cast<guint>(std::max(box.width, 0)),
      static_cast<guint>(std::max(box.height, 0)));
  if (meta != nullptr) {
    meta->id = id;
    meta->parent_id = -1;
  }
  return meta;
}

void set_landmarks(GstVideoRegionOfInterestMeta *meta, const std::vector<Point> &points,
                   const char *backend) {
  g_return_if_fail(meta != nullptr);
  GstStructure *s = gst_structure_new_empty(kLandmarksParam);
  gst_structure_set(s, "n-points", G_TYPE_UINT, static_cast<guint>(points.size()), nullptr);

  GValue coords = G_VALUE_INIT;
  g_value_init(&coords, GST_TYPE_ARRAY);
  for (const Point &p : points) {
    append(&coords, G_TYPE_FLOAT, [&](GValue *v) { g_value_set_float(v, p.x); });
    append(&coords, G_TYPE_FLOAT, [&](GValue *v) { g_value_set_float(v, p.y); });
  }
  gst_structure_take_value(s, "points", &coords);

  GValue region = G_VALUE_INIT;
  g_value_init(&region, GST_TYPE_ARRAY);
  for (guint r : {meta->x, meta->y, meta->w, meta->h})
    append(&region, G_TYPE_INT, [&](GValue *v) { g_value_set_int(v, static_cast<gint>(r)); });
  gst_structure_take_value(s, "region", &region);

  gst_structure_set(s, "backend", G_TYPE_STRING, backend != nullptr ? backend : "", nullptr);
  remove_param(meta, kLandmarksParam);
  gst_video_region_of_interest_meta_add_param(meta, s);
}

void set_emotion(GstVideoRegionOfInterestMeta *meta, const Prediction &prediction,
                 const std::vector<std::string> &labels) {
  g_return_if_fail(meta != nullptr);
  GstStructure *s =
      gst_structure_new(kEmotionParam, "label", G_TYPE_STRING, prediction.label.c_str(), "class-id",
                        G_TYPE_INT, prediction.class_id, "confidence", G_TYPE_DOUBLE,
                        static_cast<gdouble>(prediction.confidence), nullptr);
  GValue names = G_VALUE_INIT;
  g_value_init(&names, GST_TYPE_ARRAY);
  for (const std::string &l : labels)
    append(&names, G_TYPE_STRING, [&](GValue *v) { g_value_set_string(v, l.c_str()); });
  gst_structure_take_value(s, "labels", &names);

  GValue scores = G_VALUE_INIT;
  g_value_init(&scores, GST_TYPE_ARRAY);
  for (float score : prediction.scores)
    append(&scores, G_TYPE_DOUBLE, [&](GValue *v) { g_value_set_double(v, score); });
  gst_structure_take_value(s, "scores", &scores);

  remove_param(meta, kEmotionParam);
  gst_video_region_of_interest_meta_add_param(meta, s);
}

void set_detection(GstVideoRegionOfInterestMeta *meta, double confidence,
                   const std::vector<Point> &keypoints, const char *model) {
  g_return_if_fail(meta != nullptr);
  GstStructure *s = gst_structure_new_empty(kDetectionParam);
  if (confidence >= 0) gst_structure_set(s, "confidence", G_TYPE_DOUBLE, confidence, nullptr);
  gst_structure_set(s, "n-keypoints", G_TYPE_UINT, static_cast<guint>(keypoints.size()), nullptr);
  GValue coords = G_VALUE_INIT;
  g_value_init(&coords, GST_TYPE_ARRAY);
  for (const Point &p : keypoints) {
    append(&coords, G_TYPE_FLOAT, [&](GValue *v) { g_value_set_float(v, p.x); });
    append(&coords, G_TYPE_FLOAT, [&](GValue *v) { g_value_set_float(v, p.y); });
  }
  gst_structure_take_value(s, "keypoints", &coords);
  // The box the keypoints were placed on, so that a reader can follow a rescaled ROI.
  GValue region = G_VALUE_INIT;
  g_value_init(&region, GST_TYPE_ARRAY);
  for (guint r : {meta->x, meta->y, meta->w, meta->h})
    append(&region, G_TYPE_INT, [&](GValue *v) { g_value_set_int(v, static_cast<gint>(r)); });
  gst_structure_take_value(s, "region", &region);
  gst_structure_set(s, "model", G_TYPE_STRING, model != nullptr ? model : "", nullptr);
  remove_param(meta, kDetectionParam);
  gst_video_region_of_interest_meta_add_param(meta, s);
}

void set_object_id(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id) {
  g_return_if_fail(meta != nullptr);
  GstStructure *s = gst_structure_new(kObjectIdParam, "id", G_TYPE_INT,
                                      static_cast<gint>(track_id & G_MAXINT), nullptr);
  remove_param(meta, kObjectIdParam);
  gst_video_region_of_interest_meta_add_param(meta, s);
}

void set_tracking(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id, bool detected) {
  g_return_if_fail(meta != nullptr);
  GstStructure *s =
      gst_structure_new(kTrackingParam, "track-id", G_TYPE_UINT64, static_cast<guint64>(track_id),
                        "detected", G_TYPE_BOOLEAN, detected ? TRUE : FALSE, nullptr);
  remove_param(meta, kTrackingParam);
  gst_video_region_of_interest_meta_add_param(meta, s);
}

std::vector<Point> get_landmarks(const GstVideoRegionOfInterestMeta *meta) {
  if (meta == nullptr) return {};
  try {
    return landmarks_from(find_param(meta, kLandmarksParam), meta);
  } catch (...) {
    return {};
  }
}

std::optional<Prediction> get_emotion(const GstVideoRegionOfInterestMeta *meta) {
  if (meta == nullptr) return std::nullopt;
  try {
    return emotion_from(find_param(meta, kEmotionParam));
  } catch (...) {
    return std::nullopt;
  }
}

std::vector<Face> read_faces(GstBuffer *buffer) {
  std::vector<Face> faces;
  if (buffer == nullptr || !GST_IS_BUFFER(buffer)) return faces;
  try {
    const FaceParamsMeta *carrier = get_face_params_meta(buffer);
    gpointer state = nullptr;
    GstMeta *m = nullptr;
    while ((m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                                 GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      auto *meta = reinterpret_cast<GstVideoRegionOfInterestMeta *>(m);
      if (!is_face(meta)) continue;
      Face face;
      face.meta = meta;
      face.id = meta->id;
      face.box = Box(static_cast<int>(meta->x), static_cast<int>(meta->y),
                     static_cast<int>(meta->w), static_cast<int>(meta->h));
      // The region's own structures, else the ones the companion meta carried for its id.
      face.landmarks = landmarks_from(find_face_param(carrier, meta, kLandmarksParam), meta);
      const GstStructure *emotion = find_face_param(carrier, meta, kEmotionParam);
      face.emotion = emotion_from(emotion);
      if (emotion != nullptr && !get_string_array(emotion, "labels", face.emotion_labels))
        face.emotion_labels.clear();
      if (const GstStructure *t = find_face_param(carrier, meta, kTrackingParam)) {
        guint64 track_id = 0;
        if (gst_structure_get_uint64(t, "track-id", &track_id))
          face.track_id = static_cast<std::int64_t>(track_id);
        gboolean detected = TRUE;
        if (gst_structure_get_boolean(t, "detected", &detected)) face.detected = detected;
      }
      if (const GstStructure *d = find_face_param(carrier, meta, kDetectionParam)) {
        gdouble confidence = -1;
        if (gst_structure_get_double(d, "confidence", &confidence)) face.confidence = confidence;
        face.keypoints = landmarks_from(d, meta, "keypoints", "n-keypoints");
        if (const gchar *model = gst_structure_get_string(d, "model")) face.detector_model = model;
      }
      faces.push_back(std::move(face));
    }
  } catch (...) {
  }
  return faces;
}

}  // namespace emo::gst
