// SPDX-License-Identifier: LGPL-2.1-or-later
// emometapublish through GstHarness: one JSON line per frame (parsed back with json-glib),
// passthrough, timestamps, append, flushing, and a clear error for a file it cannot open.
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <fstream>
#include <sstream>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

struct ObjectUnref {
  void operator()(gpointer o) const { g_object_unref(o); }
};
using ParserPtr = std::unique_ptr<JsonParser, ObjectUnref>;

const std::vector<emo::Point> kPoints{{120.5f, 80.25f}, {250.f, 81.f}, {180.015625f, 200.75f}};

std::string temp_path(const std::string &name) { return temp_dir() + "/" + name; }

std::vector<std::string> read_lines(const std::string &path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Parses one line; the returned parser owns the object.
ParserPtr parse(const std::string &line, JsonObject **object) {
  ParserPtr parser(json_parser_new());
  GError *error = nullptr;
  if (!json_parser_load_from_data(parser.get(), line.c_str(), -1, &error)) {
    ADD_FAILURE() << "not JSON: " << line << ": " << error->message;
    g_error_free(error);
    *object = nullptr;
    return parser;
  }
  JsonNode *root = json_parser_get_root(parser.get());
  EXPECT_TRUE(JSON_NODE_HOLDS_OBJECT(root)) << line;
  *object = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
  return parser;
}

HarnessPtr publisher(const std::string &location, bool append = false, guint flush_every = 1) {
  ElementPtr element(gst_element_factory_make("emometapublish", nullptr));
  if (!element) {
    ADD_FAILURE() << "no element emometapublish";
    return nullptr;
  }
  gst_object_ref_sink(element.get());
  g_object_set(element.get(), "location", location.c_str(), "append", append, "flush-every",
               flush_every, nullptr);
  HarnessPtr h(gst_harness_new_with_element(element.get(), "sink", "src"));
  gst_harness_set_src_caps_str(h.get(), video_caps("I420", 640, 480).c_str());
  return h;
}

// A grey 640x480 frame with two faces: one fully analysed and tracked, one bare box.
BufferPtr faces_frame(GstClockTime pts) {
  BufferPtr buf = make_blank_frame("I420", 640, 480, pts);
  GstVideoRegionOfInterestMeta *a = emo::gst::add_face(buf.get(), {100, 60, 180, 170}, 4);
  emo::gst::add_face(buf.get(), {400, 50, 60, 70}, 5);
  emo::gst::set_landmarks(a, kPoints, "dlib-ert");
  emo::Prediction p;
  p.class_id = 1;
  p.label = "sadness";
  p.scores = {0.25f, 0.75f};
  p.confidence = 0.75f;
  emo::gst::set_emotion(a, p, {"happiness", "sadness"});
  emo::gst::set_tracking(a, 9, false);
  return buf;
}

void push_passthrough(GstHarness *h, BufferPtr in) {
  GstBuffer *sent = in.get();
  BufferPtr out(gst_harness_push_and_pull(h, in.release()));
  ASSERT_TRUE(out);
  EXPECT_EQ(out.get(), sent) << "emometapublish must pass the buffer through untouched";
}

TEST(MetaPublish, OneJsonLinePerFrameWithAndWithoutFaces) {
  const std::string path = temp_path("frames.jsonl");
  {
    HarnessPtr h = publisher(path);
    ASSERT_TRUE(h);
    push_passthrough(h.get(), make_blank_frame("I420", 640, 480, 0));
    push_passthrough(h.get(), faces_frame(GST_SECOND / 30));
    BufferPtr untimed = make_blank_frame("I420", 640, 480, 0);
    GST_BUFFER_PTS(untimed.get()) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION(untimed.get()) = GST_CLOCK_TIME_NONE;
    push_passthrough(h.get(), std::move(untimed));
    EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_eos()));
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);

  JsonObject *f0 = nullptr;
  ParserPtr p0 = parse(lines[0], &f0);
  ASSERT_NE(f0, nullptr);
  EXPECT_EQ(json_object_get_int_member(f0, "frame"), 0);
  EXPECT_EQ(json_object_get_int_member(f0, "pts"), 0);
  EXPECT_EQ(json_object_get_int_member(f0, "running-time"), 0);
  EXPECT_EQ(json_object_get_int_member(f0, "stream-time"), 0);
  EXPECT_EQ(json_object_get_int_member(f0, "width"), 640);
  EXPECT_EQ(json_object_get_int_member(f0, "height"), 480);
  ASSERT_TRUE(json_object_has_member(f0, "faces"));
  EXPECT_EQ(json_array_get_length(json_object_get_array_member(f0, "faces")), 0u);

  JsonObject *f1 = nullptr;
  ParserPtr p1 = parse(lines[1], &f1);
  ASSERT_NE(f1, nullptr);
  EXPECT_EQ(json_object_get_int_member(f1, "frame"), 1);
  EXPECT_EQ(json_object_get_int_member(f1, "pts"), static_cast<gint64>(GST_SECOND / 30));
  EXPECT_EQ(json_object_get_int_member(f1, "running-time"), static_cast<gint64>(GST_SECOND / 30));
  JsonArray *faces = json_object_get_array_member(f1, "faces");
  ASSERT_EQ(json_array_get_length(faces), 2u);
  JsonObject *a = json_array_get_object_element(faces, 0);
  JsonObject *b = json_array_get_object_element(faces, 1);
  if (json_object_get_int_member(a, "id") != 4) std::swap(a, b);
  EXPECT_EQ(json_object_get_int_member(a, "id"), 4);
  EXPECT_EQ(json_object_get_int_member(a, "track-id"), 9);
  EXPECT_FALSE(json_object_get_boolean_member(a, "detected"));
  JsonObject *box = json_object_get_object_member(a, "box");
  EXPECT_EQ(json_object_get_int_member(box, "x"), 100);
  EXPECT_EQ(json_object_get_int_member(box, "y"), 60);
  EXPECT_EQ(json_object_get_int_member(box, "width"), 180);
  EXPECT_EQ(json_object_get_int_member(box, "height"), 170);
  JsonArray *landmarks = json_object_get_array_member(a, "landmarks");
  ASSERT_EQ(json_array_get_length(landmarks), kPoints.size());
  for (guint i = 0; i < kPoints.size(); ++i) {
    JsonArray *xy = json_array_get_array_element(landmarks, i);
    ASSERT_EQ(json_array_get_length(xy), 2u);
    EXPECT_DOUBLE_EQ(json_array_get_double_element(xy, 0), kPoints[i].x) << "point " << i;
    EXPECT_DOUBLE_EQ(json_array_get_double_element(xy, 1), kPoints[i].y) << "point " << i;
  }
  JsonObject *emotion = json_object_get_object_member(a, "emotion");
  ASSERT_NE(emotion, nullptr);
  EXPECT_STREQ(json_object_get_string_member(emotion, "label"), "sadness");
  EXPECT_EQ(json_object_get_int_member(emotion, "class-id"), 1);
  EXPECT_NEAR(json_object_get_double_member(emotion, "confidence"), 0.75, 1e-9);
  JsonObject *scores = json_object_get_object_member(emotion, "scores");
  ASSERT_NE(scores, nullptr);
  EXPECT_EQ(json_object_get_size(scores), 2u);
  EXPECT_NEAR(json_object_get_double_member(scores, "happiness"), 0.25, 1e-9);
  EXPECT_NEAR(json_object_get_double_member(scores, "sadness"), 0.75, 1e-9);

  EXPECT_EQ(json_object_get_int_member(b, "id"), 5);
  EXPECT_FALSE(json_object_has_member(b, "track-id"));
  EXPECT_TRUE(json_object_get_boolean_member(b, "detected"));
  EXPECT_EQ(json_array_get_length(json_object_get_array_member(b, "landmarks")), 0u);
  EXPECT_FALSE(json_object_has_member(b, "emotion"));

  JsonObject *f2 = nullptr;
  ParserPtr p2 = parse(lines[2], &f2);
  ASSERT_NE(f2, nullptr);
  EXPECT_EQ(json_object_get_int_member(f2, "frame"), 2);
  EXPECT_TRUE(json_object_get_null_member(f2, "pts"));
  EXPECT_TRUE(json_object_get_null_member(f2, "running-time"));
  EXPECT_EQ(json_array_get_length(json_object_get_array_member(f2, "faces")), 0u);
}

TEST(MetaPublish, RunningAndStreamTimeFollowTheSegment) {
  const std::string path = temp_path("segment.jsonl");
  {
    HarnessPtr h = publisher(path);
    ASSERT_TRUE(h);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    segment.start = GST_SECOND;
    segment.time = 10 * GST_SECOND;
    ASSERT_TRUE(gst_harness_push_event(h.get(), gst_event_new_segment(&segment)));
    push_passthrough(h.get(), faces_frame(3 * GST_SECOND / 2));
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 1u);
  JsonObject *f = nullptr;
  ParserPtr p = parse(lines[0], &f);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(json_object_get_int_member(f, "pts"), static_cast<gint64>(3 * GST_SECOND / 2));
  EXPECT_EQ(json_object_get_int_member(f, "running-time"), static_cast<gint64>(GST_SECOND / 2));
  EXPECT_EQ(json_object_get_int_member(f, "stream-time"),
            static_cast<gint64>(10 * GST_SECOND + GST_SECOND / 2));
}

TEST(MetaPublish, AppendsOrTruncates) {
  const std::string path = temp_path("append.jsonl");
  auto run = [&](bool append, int frames) {
    HarnessPtr h = publisher(path, append);
    ASSERT_TRUE(h);
    for (int i = 0; i < frames; ++i) push_passthrough(h.get(), make_blank_frame("I420", 640, 480));
  };
  run(false, 2);
  EXPECT_EQ(read_lines(path).size(), 2u);
  run(true, 3);
  EXPECT_EQ(read_lines(path).size(), 5u);
  run(false, 1);
  EXPECT_EQ(read_lines(path).size(), 1u);
}

TEST(MetaPublish, FlushEveryControlsWhenLinesReachTheFile) {
  const std::string path = temp_path("flush.jsonl");
  {
    HarnessPtr h = publisher(path, false, 0);  // only at EOS and stop
    ASSERT_TRUE(h);
    push_passthrough(h.get(), make_blank_frame("I420", 640, 480));
    push_passthrough(h.get(), make_blank_frame("I420", 640, 480));
    EXPECT_EQ(read_lines(path).size(), 0u);  // still in the stdio buffer
    EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_eos()));
    EXPECT_EQ(read_lines(path).size(), 2u);
  }
  {
    HarnessPtr h = publisher(path, false, 2);
    ASSERT_TRUE(h);
    push_passthrough(h.get(), make_blank_frame("I420", 640, 480));
    EXPECT_EQ(read_lines(path).size(), 0u);
    push_passthrough(h.get(), make_blank_frame("I420", 640, 480));
    EXPECT_EQ(read_lines(path).size(), 2u);
  }
}

TEST(MetaPublish, IncludeLandmarksFalseLeavesThemOut) {
  const std::string path = temp_path("nolandmarks.jsonl");
  {
    HarnessPtr h = publisher(path);
    ASSERT_TRUE(h);
    g_object_set(h->element, "include-landmarks", FALSE, nullptr);
    push_passthrough(h.get(), faces_frame(0));
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 1u);
  JsonObject *f = nullptr;
  ParserPtr p = parse(lines[0], &f);
  ASSERT_NE(f, nullptr);
  JsonArray *faces = json_object_get_array_member(f, "faces");
  ASSERT_EQ(json_array_get_length(faces), 2u);
  for (guint i = 0; i < 2; ++i) {
    JsonObject *face = json_array_get_object_element(faces, i);
    EXPECT_FALSE(json_object_has_member(face, "landmarks"));
    EXPECT_TRUE(json_object_has_member(face, "box"));
  }
}

TEST(MetaPublish, UnwritableLocationIsAClearError) {
  const std::string path = temp_path("no-such-dir/faces.jsonl");
  ElementPtr element(gst_element_factory_make("emometapublish", nullptr));
  ASSERT_TRUE(element);
  gst_object_ref_sink(element.get());
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(element.get(), bus.get());
  g_object_set(element.get(), "location", path.c_str(), nullptr);
  EXPECT_EQ(gst_element_set_state(element.get(), GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
  ASSERT_TRUE(msg);
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(msg.get(), &error, &debug);
  EXPECT_TRUE(g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE));
  EXPECT_NE(std::string(error->message).find(path), std::string::npos) << error->message;
  EXPECT_NE(std::string(debug ? debug : "").find("No such file"), std::string::npos) << debug;
  g_error_free(error);
  g_free(debug);
  gst_element_set_state(element.get(), GST_STATE_NULL);
  gst_element_set_bus(element.get(), nullptr);
}

}  // namespace
