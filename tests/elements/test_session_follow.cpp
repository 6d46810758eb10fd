// SPDX-License-Identifier: LGPL-2.1-or-later
// emosession follow=all through GstHarness: two people, each with windows of their own
// ("track-id" in the bus messages, "track_id" in the JSON lines), a third seen too briefly
// makes none; emooverlay session=NAME then draws each person's panel under their face.
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/session/session.hpp"

namespace {

using namespace emo_test;
constexpr GstClockTime kFrame = GST_SECOND / 25;

/* A 640x480 BGRx frame at `t` with tracked, classified faces (track id -> box). */
BufferPtr people(GstClockTime t, const std::map<int, emo::Box> &faces) {
  BufferPtr buf = make_blank_frame("BGRx", 640, 480, t);
  GST_BUFFER_DURATION(buf.get()) = kFrame;
  for (const auto &[track, box] : faces) {
    auto *meta = emo::gst::add_face(buf.get(), box, track);
    emo::gst::set_tracking(meta, static_cast<std::uint64_t>(track), true);
    emo::Prediction p;
    p.label = track == 1 ? "happiness" : "sadness";
    p.class_id = 0;
    p.confidence = 0.8f;
    p.scores = {0.8f, 0.2f};
    emo::gst::set_emotion(meta, p, {p.label, "other"});
  }
  return buf;
}

const emo::Box kLeft(60, 80, 120, 120), kRight(400, 80, 120, 120), kBrief(250, 300, 60, 60);

TEST(SessionFollowTest, EachTrackHasItsOwnWindowsAndPanel) {
  GstElement *bin = gst_pipeline_new("top");
  GstElement *session = gst_element_factory_make("emosession", "people");
  GstElement *overlay = gst_element_factory_make("emooverlay", nullptr);
  ASSERT_TRUE(session && overlay);
  gst_bin_add_many(GST_BIN(bin), session, overlay, nullptr);
  const std::string location = temp_dir() + "/follow.jsonl";
  g_unlink(location.c_str());
  gst_util_set_object_arg(G_OBJECT(session), "follow", "all");
  g_object_set(session, "sync", FALSE, "async", FALSE, "window", 4.0, "min-window", 1.0, "location",
               location.c_str(), nullptr);
  g_object_set(overlay, "session", "people", "draw-boxes", FALSE, "draw-landmarks", FALSE,
               "draw-labels", FALSE, nullptr);
  GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(bin));
  HarnessPtr sh(gst_harness_new_with_element(session, "sink", nullptr));
  gst_harness_set_src_caps_str(sh.get(),
                               "video/x-raw,format=BGRx,width=640,height=480,framerate=25/1");
  HarnessPtr oh(gst_harness_new_with_element(overlay, "sink", "src"));
  gst_harness_set_src_caps_str(oh.get(),
                               "video/x-raw,format=BGRx,width=640,height=480,framerate=25/1");
  // 0-5 s: track 1 all along, track 2 until 3 s, track 5 for 0.5 s (< min-window).
  for (GstClockTime t = 0; t < 5 * GST_SECOND; t += kFrame) {
    std::map<int, emo::Box> faces = {{1, kLeft}};
    if (t < 3 * GST_SECOND) faces[2] = kRight;
    if (t >= GST_SECOND && t < GST_SECOND + GST_SECOND / 2) faces[5] = kBrief;
    ASSERT_EQ(gst_harness_push(sh.get(), people(t, faces).release()), GST_FLOW_OK);
    if (t == 2 * GST_SECOND) {
      // Both people on screen, each with their own panel under their face.
      BufferPtr in = people(t, {{1, kLeft}, {2, kRight}});
      BufferPtr copy(gst_buffer_copy_deep(in.get()));
      ASSERT_EQ(gst_harness_push(oh.get(), copy.release()), GST_FLOW_OK);
      BufferPtr out(gst_harness_pull(oh.get()));
      const cv::Rect under_left(kLeft.x, kLeft.y + kLeft.height + 2, kLeft.width, 20);
      const cv::Rect under_right(kRight.x, kRight.y + kRight.height + 2, kRight.width, 20);
      GstMapInfo a, b;
      gst_buffer_map(in.get(), &a, GST_MAP_READ);
      gst_buffer_map(out.get(), &b, GST_MAP_READ);
      const cv::Mat ma(480, 640, CV_8UC4, a.data), mb(480, 640, CV_8UC4, b.data);
      cv::Mat diff;
      cv::absdiff(ma, mb, diff);
      cv::cvtColor(diff, diff, cv::COLOR_BGRA2GRAY);
      EXPECT_GT(cv::countNonZero(diff(under_left)), 100);
      EXPECT_GT(cv::countNonZero(diff(under_right)), 100);
      EXPECT_EQ(cv::countNonZero(diff(cv::Rect(0, 0, 640, 60))), 0) << "nothing above the faces";
      gst_buffer_unmap(out.get(), &b);
      gst_buffer_unmap(in.get(), &a);
    }
  }
  ASSERT_TRUE(gst_harness_push_event(sh.get(), gst_event_new_eos()));
  std::map<gint64, int> windows, analyses;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS));
    if (!msg) break;
    const GstStructure *s = gst_message_get_structure(msg);
    gint64 track = -2;
    if (s && gst_structure_get_int64(s, "track-id", &track)) {
      if (gst_structure_has_name(s, "emo-session-window")) ++windows[track];
      if (gst_structure_has_name(s, "emo-session-analysis")) ++analyses[track];
    }
    const bool eos = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
    gst_message_unref(msg);
    if (eos || (analyses.size() == 2 && analyses[1] == 2 && analyses[2] == 1)) break;
  }
  // Track 1: [0, 4) full and [4, 5) at EOS; track 2: [0, 3) closed by the gap; track 5: none.
  EXPECT_EQ(windows[1], 2);
  EXPECT_EQ(windows[2], 1);
  EXPECT_EQ(windows.count(5), 0u);
  EXPECT_EQ(analyses[1], 2);
  EXPECT_EQ(analyses[2], 1);
  sh.reset();
  oh.reset();
  std::ifstream in(location);
  std::map<std::int64_t, int> lines;
  std::string error;
  for (std::string line; std::getline(in, line);) {
    const auto r = emo::record_from_json(line, &error);
    ASSERT_TRUE(r) << error;
    ++lines[r->track_id];
  }
  EXPECT_EQ(lines[1], 2);
  EXPECT_EQ(lines[2], 1);
  gst_object_unref(bus);
  gst_object_unref(bin);
}

TEST(SessionFollowTest, FollowPropertyReadsBack) {
  GstElement *e = gst_element_factory_make("emosession", nullptr);
  ASSERT_TRUE(e);
  gint follow = -1;
  g_object_get(e, "follow", &follow, nullptr);
  EXPECT_EQ(follow, 0);  // primary
  gst_util_set_object_arg(G_OBJECT(e), "follow", "all");
  g_object_get(e, "follow", &follow, nullptr);
  EXPECT_EQ(follow, 1);
  gst_object_unref(e);
}

}  // namespace
