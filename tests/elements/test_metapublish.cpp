// SPDX-License-Identifier: LGPL-2.1-or-later
// emometapublish through GstHarness: one JSON line per frame (parsed back with json-glib),
// passthrough, timestamps, append, flushing, and a clear error for a file it cannot open;
// method=mqtt without a broker (closed port, bad address): warnings, passthrough, the queue's
// drop count in the stats property and in emo-publish-stats messages. With a real broker:
// tests/pipelines/test-mqtt.sh.
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "../support/closed_port.hpp"
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
  EXPECT_EQ(json_object_get_int_member(f0, "version"), 1);
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
  EXPECT_FALSE(json_object_has_member(a, "shot-start"));  // written only when TRUE
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

// emometapublish method=mqtt on its own bus, in a harness.
struct MqttHarness {
  HarnessPtr h;
  BusPtr bus{gst_bus_new()};
};
MqttHarness mqtt_publisher(const std::string &address, guint max_queue) {
  MqttHarness m;
  ElementPtr element(gst_element_factory_make("emometapublish", nullptr));
  if (!element) {
    ADD_FAILURE() << "no element emometapublish";
    return m;
  }
  gst_object_ref_sink(element.get());
  gst_element_set_bus(element.get(), m.bus.get());
  gst_util_set_object_arg(G_OBJECT(element.get()), "method", "mqtt");
  g_object_set(element.get(), "address", address.c_str(), "max-queue", max_queue, "topic",
               "emo/test", nullptr);
  m.h.reset(gst_harness_new_with_element(element.get(), "sink", "src"));
  gst_harness_set_src_caps_str(m.h.get(), video_caps("I420", 640, 480).c_str());
  return m;
}

guint64 stats_field(GstElement *element, const char *name) {
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  EXPECT_NE(stats, nullptr);
  guint64 v = G_MAXUINT64;
  if (stats) {
    EXPECT_TRUE(gst_structure_has_name(stats, "emo-publish-stats"));
    EXPECT_TRUE(gst_structure_get_uint64(stats, name, &v)) << name;
    gst_structure_free(stats);
  }
  return v;
}

std::string warning_text(GstBus *bus) {
  MessagePtr msg(gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND, GST_MESSAGE_WARNING));
  if (!msg) return "";
  GError *error = nullptr;
  gst_message_parse_warning(msg.get(), &error, nullptr);
  std::string text = error->message;
  g_error_free(error);
  return text;
}

TEST(MetaPublishMqtt, UnreachableBrokerWarnsQueuesAndCountsWhatItDrops) {
  const int port = emo::test::closed_port();
  MqttHarness m = mqtt_publisher("mqtt://127.0.0.1:" + std::to_string(port), 3);
  ASSERT_TRUE(m.h);
  // Frames pass through at once, broker or not; only frames with faces are queued.
  push_passthrough(m.h.get(), make_blank_frame("I420", 640, 480, 0));
  for (int i = 1; i <= 10; ++i) push_passthrough(m.h.get(), faces_frame(i * GST_SECOND / 30));
  const std::string warning = warning_text(m.bus.get());
  EXPECT_NE(warning.find("MQTT: cannot connect to mqtt://127.0.0.1:" + std::to_string(port) +
                         ": Connection refused; retrying in"),
            std::string::npos)
      << warning;
  EXPECT_EQ(stats_field(m.h->element, "queued"), 10u);
  EXPECT_EQ(stats_field(m.h->element, "queue-length"), 3u);
  EXPECT_EQ(stats_field(m.h->element, "dropped-queue-full"), 7u);
  EXPECT_EQ(stats_field(m.h->element, "dropped"), 7u);
  EXPECT_EQ(stats_field(m.h->element, "sent"), 0u);
  // The counters are on the bus too.
  bool seen = false;
  while (MessagePtr msg{gst_bus_pop_filtered(m.bus.get(), GST_MESSAGE_ELEMENT)}) {
    const GstStructure *s = gst_message_get_structure(msg.get());
    if (gst_structure_has_name(s, "emo-publish-stats")) seen = true;
  }
  EXPECT_TRUE(seen) << "no emo-publish-stats message";
  GstElement *element = GST_ELEMENT(gst_object_ref(m.h->element));
  m.h.reset();  // stops: what is still queued counts as dropped at stop
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  ASSERT_NE(stats, nullptr);
  guint64 dropped = 0, at_stop = 0;
  gst_structure_get_uint64(stats, "dropped", &dropped);
  gst_structure_get_uint64(stats, "dropped-at-stop", &at_stop);
  EXPECT_EQ(at_stop, 3u);
  EXPECT_EQ(dropped, 10u);
  gst_structure_free(stats);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(element);
}

TEST(MetaPublishMqtt, BadAddressIsAWarningAndTheStreamGoesOn) {
  MqttHarness m = mqtt_publisher("mqtt://user:hunter2@127.0.0.1:1883", 10);
  ASSERT_TRUE(m.h);
  push_passthrough(m.h.get(), faces_frame(0));
  const std::string warning = warning_text(m.bus.get());
  EXPECT_NE(warning.find("Invalid MQTT address"), std::string::npos) << warning;
  EXPECT_NE(warning.find("must not hold a user or password"), std::string::npos) << warning;
  EXPECT_EQ(warning.find("hunter2"), std::string::npos) << warning;
  EXPECT_EQ(stats_field(m.h->element, "queued"), 0u);
  gst_element_set_bus(m.h->element, nullptr);
}

TEST(MetaPublishMqtt, FailOnDisconnectMakesABadAddressAnError) {
  ElementPtr element(gst_element_factory_make("emometapublish", nullptr));
  ASSERT_TRUE(element);
  gst_object_ref_sink(element.get());
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(element.get(), bus.get());
  gst_util_set_object_arg(G_OBJECT(element.get()), "method", "mqtt");
  g_object_set(element.get(), "address", "garbage", "fail-on-disconnect", TRUE, nullptr);
  EXPECT_EQ(gst_element_set_state(element.get(), GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
  ASSERT_TRUE(msg);
  GError *error = nullptr;
  gst_message_parse_error(msg.get(), &error, nullptr);
  EXPECT_NE(std::string(error->message).find("\"garbage\" is not a broker address"),
            std::string::npos)
      << error->message;
  g_error_free(error);
  gst_element_set_state(element.get(), GST_STATE_NULL);
  gst_element_set_bus(element.get(), nullptr);
}

TEST(MetaPublishMqtt, PropertiesAndDefaults) {
  ElementPtr element(gst_element_factory_make("emometapublish", nullptr));
  ASSERT_TRUE(element);
  gst_object_ref_sink(element.get());
  gchar *topic = nullptr, *env = nullptr;
  gint qos = -1, method = -1;
  guint max_queue = 0;
  gboolean fail = TRUE;
  g_object_get(element.get(), "topic", &topic, "password-env", &env, "mqtt-qos", &qos, "max-queue",
               &max_queue, "fail-on-disconnect", &fail, "method", &method, nullptr);
  EXPECT_STREQ(topic, "gst-emo/faces");
  EXPECT_STREQ(env, "EMO_MQTT_PASSWORD");
  EXPECT_EQ(qos, 1);
  EXPECT_EQ(max_queue, 1000u);
  EXPECT_FALSE(fail);
  EXPECT_EQ(method, 0);  // file
  g_free(topic);
  g_free(env);
  GParamSpec *stats = g_object_class_find_property(G_OBJECT_GET_CLASS(element.get()), "stats");
  ASSERT_NE(stats, nullptr);
  EXPECT_FALSE(stats->flags & G_PARAM_WRITABLE);
  EXPECT_EQ(stats_field(element.get(), "dropped"), 0u);
  // emosession has the same MQTT properties (one definition, gstemopublish.cpp).
  ElementPtr session(gst_element_factory_make("emosession", nullptr));
  ASSERT_TRUE(session);
  gst_object_ref_sink(session.get());
  for (const char *name : {"address", "topic", "mqtt-qos", "client-id", "username", "password-env",
                           "tls-ca-file", "max-queue", "fail-on-disconnect", "stats"})
    EXPECT_NE(g_object_class_find_property(G_OBJECT_GET_CLASS(session.get()), name), nullptr)
        << name;
}

}  // namespace
