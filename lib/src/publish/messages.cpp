// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the published JSON messages (see emo/publish/messages.hpp), json-glib.
#include "emo/publish/messages.hpp"

#include <json-glib/json-glib.h>

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "emo/gst/face_meta.hpp"

namespace emo::publish {

namespace {

double rounded(double v, double unit) { return std::round(v / unit) * unit; }

void add_time(JsonBuilder *b, const char *name, GstClockTime t) {
  json_builder_set_member_name(b, name);
  if (GST_CLOCK_TIME_IS_VALID(t))
    json_builder_add_int_value(b, static_cast<gint64>(t));
  else
    json_builder_add_null_value(b);
}

void add_int(JsonBuilder *b, const char *name, gint64 v) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, v);
}

void add_emotion(JsonBuilder *b, const emo::Prediction &p, const std::vector<std::string> &labels,
                 const std::optional<emo::gst::Face::Gate> &gate) {
  json_builder_set_member_name(b, "emotion");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "label");
  json_builder_add_string_value(b, p.label.c_str());
  add_int(b, "class-id", p.class_id);
  json_builder_set_member_name(b, "confidence");
  json_builder_add_double_value(b, rounded(p.confidence, 1e-4));
  json_builder_set_member_name(b, "scores");
  json_builder_begin_object(b);
  for (size_t c = 0; c < p.scores.size(); ++c) {
    /* keyed by label; by class index when the structure has no matching labels */
    const std::string key = labels.size() == p.scores.size() ? labels[c] : std::to_string(c);
    json_builder_set_member_name(b, key.c_str());
    json_builder_add_double_value(b, rounded(p.scores[c], 1e-4));
  }
  json_builder_end_object(b);
  if (gate) { /* what emoclassify's gate saw (docs/emotion-labels.md) */
    json_builder_set_member_name(b, "unsure");
    json_builder_add_string_value(b, gate->unsure.c_str());
    if (gate->quality.size >= 0) add_int(b, "face-size", gate->quality.size);
    for (const auto &[name, v] : {std::pair<const char *, double>{"yaw", gate->quality.yaw},
                                  {"sharpness", gate->quality.sharpness},
                                  {"margin", gate->margin}}) {
      if (!std::isfinite(v)) continue;
      json_builder_set_member_name(b, name);
      json_builder_add_double_value(b, rounded(v, 1e-4));
    }
  }
  json_builder_end_object(b);
}

void add_face(JsonBuilder *b, const emo::gst::Face &face, bool include_landmarks) {
  json_builder_begin_object(b);
  add_int(b, "id", face.id);
  if (face.track_id >= 0) add_int(b, "track-id", face.track_id);
  json_builder_set_member_name(b, "detected");
  json_builder_add_boolean_value(b, face.detected);
  if (face.shot_start) {
    json_builder_set_member_name(b, "shot-start");
    json_builder_add_boolean_value(b, TRUE);
  }
  json_builder_set_member_name(b, "box");
  json_builder_begin_object(b);
  add_int(b, "x", face.box.x);
  add_int(b, "y", face.box.y);
  add_int(b, "width", face.box.width);
  add_int(b, "height", face.box.height);
  json_builder_end_object(b);
  if (include_landmarks) {
    json_builder_set_member_name(b, "landmarks");
    json_builder_begin_array(b);
    for (const emo::Point &p : face.landmarks) {
      json_builder_begin_array(b);
      json_builder_add_double_value(b, rounded(p.x, 1.0 / 64));
      json_builder_add_double_value(b, rounded(p.y, 1.0 / 64));
      json_builder_end_array(b);
    }
    json_builder_end_array(b);
  }
  if (face.pose) {
    json_builder_set_member_name(b, "pose");
    json_builder_begin_object(b);
    const char *names[] = {"yaw", "pitch", "roll"};
    for (int i = 0; i < 3; ++i) {
      json_builder_set_member_name(b, names[i]);
      json_builder_add_double_value(b, rounded((*face.pose)[i], 0.1));
    }
    json_builder_end_object(b);
  }
  if (face.emotion) add_emotion(b, *face.emotion, face.emotion_labels, face.gate);
  json_builder_end_object(b);
}

std::string generate(JsonNode *root) {
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  gsize length = 0;
  g_autofree gchar *text = json_generator_to_data(gen, &length);
  return std::string(text, length);
}

}  // namespace

std::string frame_json(GstBuffer *buffer, const FrameInfo &info, std::size_t *n_faces) {
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  add_int(b, "version", kSchemaVersion);
  add_int(b, "frame", static_cast<gint64>(info.frame));
  add_time(b, "pts", pts);
  add_time(b, "duration", GST_BUFFER_DURATION(buffer));
  const bool timed = info.segment && info.segment->format == GST_FORMAT_TIME;
  add_time(b, "running-time",
           timed ? gst_segment_to_running_time(info.segment, GST_FORMAT_TIME, pts)
                 : GST_CLOCK_TIME_NONE);
  add_time(
      b, "stream-time",
      timed ? gst_segment_to_stream_time(info.segment, GST_FORMAT_TIME, pts) : GST_CLOCK_TIME_NONE);
  add_int(b, "width", info.width);
  add_int(b, "height", info.height);
  json_builder_set_member_name(b, "faces");
  json_builder_begin_array(b);
  const std::vector<emo::gst::Face> faces = emo::gst::read_faces(buffer);
  for (const emo::gst::Face &face : faces) add_face(b, face, info.include_landmarks);
  json_builder_end_array(b);
  json_builder_end_object(b);
  if (n_faces) *n_faces = faces.size();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return generate(root);
}

std::string with_event(const std::string &object_json, const char *event) {
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, object_json.c_str(),
                                  static_cast<gssize>(object_json.size()), nullptr))
    return "";
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return "";
  JsonObject *o = json_node_get_object(root);
  json_object_set_int_member(o, "version", kSchemaVersion);
  if (event) json_object_set_string_member(o, "event", event);
  return generate(root);
}

}  // namespace emo::publish
