// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the "emo-landmark-boxes" upstream event (see emo/gst/landmark_event.hpp).
#include "emo/gst/landmark_event.hpp"

#include <opencv2/imgproc.hpp>

namespace emo::gst {

Box landmark_extent(const std::vector<Point> &points) {
  if (points.empty()) return Box();
  if (points.size() == 68) {  // iBUG 300-W: leave out the jaw line (points 0-16)
    const cv::Mat inner(51, 1, CV_32FC2, const_cast<Point *>(points.data() + 17));  // no copy
    return cv::boundingRect(inner);
  }
  return cv::boundingRect(points);
}

GstEvent *make_landmark_boxes_event(GstClockTime pts, const std::vector<LandmarkBox> &faces) {
  GValue ids = G_VALUE_INIT, boxes = G_VALUE_INIT, v = G_VALUE_INIT;
  g_value_init(&ids, GST_TYPE_ARRAY);
  g_value_init(&boxes, GST_TYPE_ARRAY);
  for (const LandmarkBox &f : faces) {
    g_value_init(&v, G_TYPE_UINT64);
    g_value_set_uint64(&v, f.track_id);
    gst_value_array_append_and_take_value(&ids, &v);
    for (int c : {f.extent.x, f.extent.y, f.extent.width, f.extent.height}) {
      g_value_init(&v, G_TYPE_INT);
      g_value_set_int(&v, c);
      gst_value_array_append_and_take_value(&boxes, &v);
    }
  }
  GstStructure *s = gst_structure_new(kLandmarkBoxesEvent, "pts", G_TYPE_UINT64,
                                      static_cast<guint64>(pts), nullptr);
  gst_structure_take_value(s, "track-ids", &ids);
  gst_structure_take_value(s, "boxes", &boxes);
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s);
}

bool is_landmark_boxes_event(GstEvent *event) {
  return GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
         gst_event_has_name(event, kLandmarkBoxesEvent);
}

bool parse_landmark_boxes_event(GstEvent *event, GstClockTime &pts,
                                std::vector<LandmarkBox> &faces) {
  faces.clear();
  if (!is_landmark_boxes_event(event)) return false;
  const GstStructure *s = gst_event_get_structure(event);
  guint64 p = 0;
  if (!gst_structure_get_uint64(s, "pts", &p)) return false;
  const GValue *ids = gst_structure_get_value(s, "track-ids");
  const GValue *boxes = gst_structure_get_value(s, "boxes");
  if (!ids || !boxes || !GST_VALUE_HOLDS_ARRAY(ids) || !GST_VALUE_HOLDS_ARRAY(boxes)) return false;
  const guint n = gst_value_array_get_size(ids);
  if (gst_value_array_get_size(boxes) != 4 * n) return false;
  for (guint i = 0; i < n; ++i) {
    const GValue *id = gst_value_array_get_value(ids, i);
    if (!G_VALUE_HOLDS_UINT64(id)) break;
    int c[4];
    bool ok = true;
    for (guint k = 0; k < 4 && ok; ++k) {
      const GValue *cv = gst_value_array_get_value(boxes, 4 * i + k);
      ok = G_VALUE_HOLDS_INT(cv);
      if (ok) c[k] = g_value_get_int(cv);
    }
    if (!ok || c[2] <= 0 || c[3] <= 0) break;
    faces.push_back({g_value_get_uint64(id), Box(c[0], c[1], c[2], c[3])});
  }
  if (faces.size() != n) {
    faces.clear();
    return false;
  }
  pts = p;
  return true;
}

}  // namespace emo::gst
