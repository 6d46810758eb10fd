// SPDX-License-Identifier: LGPL-2.1-or-later
// emooverlay session=NAME with an emosession of the same bin (the tee layout of
// pipelines/session-*.sh): the panel appears at the bottom of the frame while a window is
// recorded, grows when Gemini's reading arrives (Gemini test server), and nothing is drawn
// without the property or for a name that is no emosession.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"
#include "gemini_test_server.hpp"

namespace {

using namespace emo_test;
constexpr GstClockTime kFrame = GST_SECOND / 25;

/* An emosession "sess" and an emooverlay in one bin, each driven by its own harness. */
class SessionOverlay {
 public:
  SessionOverlay(const std::string &endpoint, const char *overlay_session) {
    bin_ = gst_bin_new("top");
    gst_object_ref_sink(bin_);
    session_ = gst_element_factory_make("emosession", "sess");
    overlay_ = gst_element_factory_make("emooverlay", nullptr);
    gst_bin_add_many(GST_BIN(bin_), session_, overlay_, nullptr);
    g_object_set(session_, "sync", FALSE, "async", FALSE, "window", 4.0, "min-window", 1.0,
                 "eos-timeout", 5.0, nullptr);
    if (!endpoint.empty())
      g_object_set(session_, "api-key", "k", "endpoint", endpoint.c_str(), nullptr);
    if (overlay_session) g_object_set(overlay_, "session", overlay_session, nullptr);
    sh_.reset(gst_harness_new_with_element(session_, "sink", nullptr));
    gst_harness_set_src_caps_str(sh_.get(),
                                 "video/x-raw,format=GRAY8,width=320,height=240,framerate=25/1");
    oh_.reset(gst_harness_new_with_element(overlay_, "sink", "src"));
    gst_harness_set_src_caps_str(oh_.get(),
                                 "video/x-raw,format=BGRx,width=640,height=480,framerate=25/1");
  }
  ~SessionOverlay() {
    sh_.reset();
    oh_.reset();
    gst_object_unref(bin_);
  }

  /* Frames over [from, to) with one happy face, to the session. */
  void feed_session(GstClockTime from, GstClockTime to) {
    for (GstClockTime t = from; t < to; t += kFrame) {
      GstBuffer *buf = gst_buffer_new_allocate(nullptr, 320 * 240, nullptr);
      GST_BUFFER_PTS(buf) = t;
      GST_BUFFER_DURATION(buf) = kFrame;
      auto *meta = emo::gst::add_face(buf, emo::Box(10, 10, 80, 80), 0);
      emo::Prediction p;
      p.label = "happiness";
      p.class_id = 0;
      p.confidence = 0.8f;
      p.scores = {0.8f, 0.2f};
      emo::gst::set_emotion(meta, p, {"happiness", "other"});
      ASSERT_EQ(gst_harness_push(sh_.get(), buf), GST_FLOW_OK);
    }
  }

  /* Rows of the overlay's output frame (no faces) at `pts` that differ from the grey input. */
  int changed_rows(GstClockTime pts, int *first_row = nullptr) {
    BufferPtr in = make_blank_frame("BGRx", 640, 480, pts);
    BufferPtr copy(gst_buffer_copy_deep(in.get()));
    EXPECT_EQ(gst_harness_push(oh_.get(), copy.release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(oh_.get()));
    GstMapInfo a, b;
    gst_buffer_map(in.get(), &a, GST_MAP_READ);
    gst_buffer_map(out.get(), &b, GST_MAP_READ);
    int rows = 0;
    if (first_row) *first_row = -1;
    for (int y = 0; y < 480; ++y)
      if (memcmp(a.data + y * 640 * 4, b.data + y * 640 * 4, 640 * 4) != 0) {
        if (first_row && *first_row < 0) *first_row = y;
        ++rows;
      }
    gst_buffer_unmap(out.get(), &b);
    gst_buffer_unmap(in.get(), &a);
    return rows;
  }

  GstElement *overlay() { return overlay_; }

 private:
  GstElement *bin_, *session_, *overlay_;
  HarnessPtr sh_, oh_;
};

TEST(OverlaySessionTest, SessionStateIsDrawnAndTheReadingAddsLines) {
  emo::test::GeminiTestServer server;
  emo::test::GeminiReply reply;
  reply.text =
      "Parece que hoy sonríes mucho; me alegra verte así. ¿Qué es lo que más te ilusiona de "
      "tu nuevo trabajo? Cuéntamelo con calma.";
  server.set_default(reply);
  SessionOverlay s(server.endpoint(), "sess");
  EXPECT_EQ(s.changed_rows(0), 0) << "nothing before the session has seen a frame";
  s.feed_session(0, 2 * GST_SECOND);
  int first = -1;
  const int recording = s.changed_rows(2 * GST_SECOND, &first);
  EXPECT_GT(recording, 480 / 24) << "the status line";
  EXPECT_GT(first, 480 / 2) << "at the bottom of the frame";
  s.feed_session(2 * GST_SECOND, 5 * GST_SECOND);  // window 0 closes at 4 s
  for (int i = 0; i < 100 && server.request_count() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(server.request_count(), 1u);
  int with_reading = 0;
  for (int i = 0; i < 100; ++i) {  // the reply reaches the board on the client's thread
    with_reading = s.changed_rows(5 * GST_SECOND);
    if (with_reading > recording + 2 * 480 / 30) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(with_reading, recording + 2 * 480 / 30) << "the reading, on two lines at least";
}

TEST(OverlaySessionTest, NoSessionOrAWrongNameDrawsNothing) {
  for (const char *name : {static_cast<const char *>(nullptr), "nosuch"}) {
    SessionOverlay s("", name);
    s.feed_session(0, 2 * GST_SECOND);
    EXPECT_EQ(s.changed_rows(GST_SECOND), 0) << (name ? name : "(unset)");
  }
}

TEST(OverlaySessionTest, SessionPropertyReadsBack) {
  GstElement *e = gst_element_factory_make("emooverlay", nullptr);
  ASSERT_TRUE(e);
  gchar *value = nullptr;
  g_object_get(e, "session", &value, nullptr);
  EXPECT_EQ(value, nullptr);
  g_object_set(e, "session", "s1", nullptr);
  g_object_get(e, "session", &value, nullptr);
  EXPECT_STREQ(value, "s1");
  g_free(value);
  gst_object_unref(e);
}

}  // namespace
