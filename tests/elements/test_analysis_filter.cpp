// SPDX-License-Identifier: LGPL-2.1-or-later
// What GstEmoAnalysisFilter gives every analysis element: QoS that honours `qos` (default
// TRUE), QoS messages and `stats` for skipped analyses, the `model` rule while started
// (refused with a warning, the model in use reads back), `opencv-threads`, and a plugin that
// changes no process-wide state (OpenCV's thread setting) when it loads.
#include <gtest/gtest.h>

#include <opencv2/core/utility.hpp>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

// Set by main() before gst_init(), as an application would, before the plugin is loaded.
extern int g_opencv_threads_before_gst;

namespace {

const char *const kAnalysisElements[] = {"emofacedetect", "emolandmarks", "emoclassify",
                                         "emooverlay"};
const char *const kModelElements[] = {"emofacedetect", "emolandmarks", "emoclassify"};
const emo::Box kAstronautFace(170, 60, 90, 90);

// Sends a QOS event upstream saying that everything up to running time 1 s is too late.
void send_late_until_one_second(GstHarness *h) {
  ASSERT_TRUE(gst_harness_push_upstream_event(
      h, gst_event_new_qos(GST_QOS_TYPE_UNDERFLOW, 1.5, 0, GST_SECOND)));
}

guint64 stat(GstElement *element, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  EXPECT_TRUE(stats);
  if (!stats) return G_MAXUINT64;
  EXPECT_TRUE(gst_structure_has_name(stats, "emo-analysis-stats"));
  guint64 value = G_MAXUINT64;
  EXPECT_TRUE(gst_structure_get_uint64(stats, field, &value)) << field;
  gst_structure_free(stats);
  return value;
}

// The element's harness with a bus of our own (harnessed elements have none).
struct BusHarness {
  HarnessPtr h;
  BusPtr bus;
  BusHarness(const char *factory, const std::string &model = "")
      : h(make_element_harness(factory, "I420", model)), bus(gst_bus_new()) {
    gst_element_set_bus(h->element, bus.get());
  }
  ~BusHarness() { gst_element_set_bus(h->element, nullptr); }
  // Pushes the astronaut at `pts` (with a face region for the elements after the detector).
  BufferPtr push(GstClockTime pts, bool with_face) {
    BufferPtr in = make_frame(astronaut(), "I420", pts);
    if (with_face) emo::gst::add_face(in.get(), kAstronautFace, 1);
    EXPECT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
    return BufferPtr(gst_harness_pull(h.get()));
  }
};

std::string model_for(const char *factory) {
  return std::string(factory) == "emoclassify" ? tiny_model_path() : "";
}

}  // namespace

TEST(AnalysisFilter, QosIsOnByDefault) {
  for (const char *factory : kAnalysisElements) {
    SCOPED_TRACE(factory);
    ElementPtr element(gst_element_factory_make(factory, nullptr));
    ASSERT_TRUE(element);
    gst_object_ref_sink(element.get());
    gboolean qos = FALSE;
    g_object_get(element.get(), "qos", &qos, nullptr);
    EXPECT_TRUE(qos);
  }
}

TEST(AnalysisFilter, SkippedAnalysesArePostedAsQosMessagesAndCounted) {
  for (const char *factory : kAnalysisElements) {
    SCOPED_TRACE(factory);
    BusHarness t(factory, model_for(factory));
    const bool detector = std::string(factory) == "emofacedetect";
    send_late_until_one_second(t.h.get());
    BufferPtr late = t.push(GST_SECOND / 2, !detector);
    ASSERT_TRUE(late);  // passed on, not dropped
    EXPECT_EQ(GST_BUFFER_PTS(late.get()), GST_SECOND / 2);
    BufferPtr early = t.push(2 * GST_SECOND, !detector);
    ASSERT_TRUE(early);
    if (detector) {
      EXPECT_EQ(count_rois(late.get()), 0);
      EXPECT_EQ(count_rois(early.get()), 1);
    }

    MessagePtr qos(gst_bus_pop_filtered(t.bus.get(), GST_MESSAGE_QOS));
    ASSERT_TRUE(qos) << "no QoS message for the skipped analysis";
    EXPECT_EQ(GST_MESSAGE_SRC(qos.get()), GST_OBJECT(t.h->element));
    gboolean live;
    guint64 running, stream, timestamp, duration;
    gst_message_parse_qos(qos.get(), &live, &running, &stream, &timestamp, &duration);
    EXPECT_EQ(timestamp, GST_SECOND / 2);
    EXPECT_EQ(running, GST_SECOND / 2);
    gint64 jitter;
    gdouble proportion;
    gint quality;
    gst_message_parse_qos_values(qos.get(), &jitter, &proportion, &quality);
    EXPECT_EQ(jitter, static_cast<gint64>(GST_SECOND / 2));  // 0.5 s before the earliest wanted
    EXPECT_DOUBLE_EQ(proportion, 1.5);
    GstFormat format;
    guint64 processed, dropped;
    gst_message_parse_qos_stats(qos.get(), &format, &processed, &dropped);
    EXPECT_EQ(format, GST_FORMAT_BUFFERS);
    EXPECT_EQ(processed, 0u);
    EXPECT_EQ(dropped, 1u);
    EXPECT_FALSE(MessagePtr(gst_bus_pop_filtered(t.bus.get(), GST_MESSAGE_QOS)));

    EXPECT_EQ(stat(t.h->element, "processed"), 1u);
    EXPECT_EQ(stat(t.h->element, "skipped"), 1u);
  }
}

TEST(AnalysisFilter, QosOffAnalysesLateFrames) {
  BusHarness t("emofacedetect");
  g_object_set(t.h->element, "qos", FALSE, "async-detection", FALSE, nullptr);
  send_late_until_one_second(t.h.get());
  BufferPtr out = t.push(GST_SECOND / 2, false);
  ASSERT_TRUE(out);
  EXPECT_EQ(count_rois(out.get()), 1);
  EXPECT_FALSE(MessagePtr(gst_bus_pop_filtered(t.bus.get(), GST_MESSAGE_QOS)));
  EXPECT_EQ(stat(t.h->element, "processed"), 1u);
  EXPECT_EQ(stat(t.h->element, "skipped"), 0u);
}

TEST(AnalysisFilter, ModelSetWhileStartedIsRefusedAndTheModelInUseReadsBack) {
  for (const char *factory : kModelElements) {
    SCOPED_TRACE(factory);
    BusHarness t(factory, model_for(factory));
    gchar *before = nullptr;
    g_object_get(t.h->element, "model", &before, nullptr);
    ASSERT_TRUE(t.push(0, std::string(factory) != "emofacedetect"));  // started, playing
    ASSERT_EQ(GST_STATE(t.h->element), GST_STATE_PLAYING);

    g_object_set(t.h->element, "model", "/elsewhere/other-model", nullptr);
    gchar *after = nullptr;
    g_object_get(t.h->element, "model", &after, nullptr);
    EXPECT_STREQ(after, before);
    g_free(after);
    MessagePtr warning(gst_bus_pop_filtered(t.bus.get(), GST_MESSAGE_WARNING));
    ASSERT_TRUE(warning);
    GError *error = nullptr;
    gst_message_parse_warning(warning.get(), &error, nullptr);
    EXPECT_NE(std::string(error->message).find("'model' cannot change"), std::string::npos)
        << error->message;
    EXPECT_NE(std::string(error->message).find(before), std::string::npos) << error->message;
    g_error_free(error);
    // Still analysing with the old model.
    EXPECT_TRUE(t.push(GST_SECOND, std::string(factory) != "emofacedetect"));

    // Stopped (READY), the new path is taken.
    ASSERT_EQ(gst_element_set_state(t.h->element, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    g_object_set(t.h->element, "model", "/elsewhere/other-model", nullptr);
    g_object_get(t.h->element, "model", &after, nullptr);
    EXPECT_STREQ(after, "/elsewhere/other-model");
    g_free(after);
    // NULL restores the default.
    g_object_set(t.h->element, "model", nullptr, nullptr);
    g_object_get(t.h->element, "model", &after, nullptr);
    if (std::string(factory) != "emoclassify") {
      EXPECT_STREQ(after, before);
    }
    EXPECT_TRUE(after && *after);
    g_free(after);
    g_free(before);
  }
}

TEST(AnalysisFilter, OpenCVThreadsIsReadAtStartAndRefusedWhileStarted) {
  ElementPtr element(gst_element_factory_make("emofacedetect", nullptr));
  ASSERT_TRUE(element);
  gst_object_ref_sink(element.get());
  gst_util_set_object_arg(G_OBJECT(element.get()), "opencv-threads", "pool");
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(element.get(), bus.get());
  HarnessPtr h(gst_harness_new_with_element(element.get(), "sink", "src"));  // starts it
  gst_harness_set_src_caps_str(h.get(), video_caps("I420").c_str());
  ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420", 0).release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  EXPECT_EQ(count_rois(out.get()), 1);
  gst_util_set_object_arg(G_OBJECT(element.get()), "opencv-threads", "own");
  gint threads = -1;
  g_object_get(element.get(), "opencv-threads", &threads, nullptr);
  EXPECT_EQ(threads, 1);  // pool, still in use
  EXPECT_TRUE(MessagePtr(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_WARNING)));
  h.reset();
  gst_element_set_bus(element.get(), nullptr);
}

// Either choice finds the same faces and leaves OpenCV's process-wide setting as the
// application chose it (main() set it before GStreamer and the plugin were loaded).
TEST(AnalysisFilter, PluginAndElementsLeaveOpenCVThreadSettingAlone) {
  ASSERT_TRUE(gst_plugin_load_by_name("emo"));
  for (int threads : {0, 1}) {
    SCOPED_TRACE(threads);
    HarnessPtr h =
        make_harness("emofacedetect async-detection=" + std::string(threads ? "true" : "false") +
                         " opencv-threads=" + (threads ? "pool" : "own") +
                         " ! emolandmarks ! emoclassify model=" + tiny_model_path(),
                     "I420");
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420", 0).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    EXPECT_EQ(emo::gst::read_faces(out.get()).size(), 1u);
    EXPECT_EQ(cv::getNumThreads(), g_opencv_threads_before_gst);
  }
}

namespace {

guint model_stat(GstElement *element, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  if (!stats) return G_MAXUINT;
  guint value = G_MAXUINT;
  if (!gst_structure_get_uint(stats, field, &value)) value = G_MAXUINT;
  gst_structure_free(stats);
  return value;
}

}  // namespace

// `stats` says how the process shares each element's model file: detection, landmarks and
// emotion models are loaded once for every element using them; a stopped element counts no more.
TEST(AnalysisFilter, StatsReportHowTheModelFileIsShared) {
  for (const char *factory : kModelElements) {
    SCOPED_TRACE(factory);
    const bool with_face = std::string(factory) != "emofacedetect";
    BusHarness a(factory, model_for(factory)), b(factory, model_for(factory)),
        c(factory, model_for(factory));
    ASSERT_TRUE(a.push(0, with_face));
    ASSERT_TRUE(b.push(0, with_face));
    ASSERT_TRUE(c.push(0, with_face));
    EXPECT_EQ(model_stat(a.h->element, "model-users"), 3u);
    EXPECT_EQ(model_stat(c.h->element, "model-users"), 3u);
    // Every model is loaded once: BlazeFace's ONNX Runtime session is shared too.
    EXPECT_EQ(model_stat(a.h->element, "model-loaded"), 1u);
    ASSERT_EQ(gst_element_set_state(c.h->element, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    EXPECT_EQ(model_stat(a.h->element, "model-users"), 2u);
    EXPECT_EQ(model_stat(c.h->element, "model-users"), G_MAXUINT);  // stopped: no field
    GstStructure *stats = nullptr;
    g_object_get(a.h->element, "stats", &stats, nullptr);
    ASSERT_TRUE(stats);
    const gchar *path = gst_structure_get_string(stats, "model");
    EXPECT_TRUE(path && g_path_is_absolute(path)) << (path ? path : "(none)");
    gst_structure_free(stats);
  }
}
