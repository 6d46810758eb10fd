// SPDX-License-Identifier: LGPL-2.1-or-later
// Boxes follow the landmarks: emolandmarks sends "emo-landmark-boxes" upstream, emofacedetect
// moves its tracked boxes to them (follow-landmarks), ignoring late and implausible ones.
#include <gtest/gtest.h>

#include <atomic>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/gst/landmark_event.hpp"

using namespace emo_test;

namespace {

constexpr GstClockTime kFrame = GST_SECOND / 30;

// A 768x576 grey BGR frame with the astronaut pasted at (dx, dy).
cv::Mat astronaut_at(int dx, int dy) {
  cv::Mat frame(576, 768, CV_8UC3, cv::Scalar(90, 90, 90));
  astronaut().copyTo(frame(cv::Rect(dx, dy, 512, 512)));
  return frame;
}

// Pushes frame `i` (the astronaut at (dx, dy)) and returns its only face.
emo::gst::Face push_and_pull(GstHarness *h, int i, int dx = 0, int dy = 0) {
  EXPECT_EQ(gst_harness_push(h, make_frame(astronaut_at(dx, dy), "I420", i * kFrame).release()),
            GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h));
  EXPECT_TRUE(out);
  auto faces = emo::gst::read_faces(out.get());
  EXPECT_EQ(faces.size(), 1u) << "frame " << i;
  if (faces.size() != 1u) return {};
  emo::gst::Face face = faces[0];
  face.meta = nullptr;  // the buffer is gone
  return face;
}

void expect_near(const emo::Box &a, const emo::Box &b, int tolerance) {
  EXPECT_NEAR(a.x, b.x, tolerance) << a << " vs " << b;
  EXPECT_NEAR(a.y, b.y, tolerance) << a << " vs " << b;
  EXPECT_NEAR(a.width, b.width, tolerance) << a << " vs " << b;
  EXPECT_NEAR(a.height, b.height, tolerance) << a << " vs " << b;
}

// The box the tracker derives from `extent` with the framing of `det` around `extent0`
// (sizes in units of the extent's mean side, so the box keeps the detection's aspect ratio).
emo::Box framed(const emo::Box &det, const emo::Box &extent0, const emo::Box &extent) {
  const double s0 = (extent0.width + extent0.height) / 2.0;
  const double s = (extent.width + extent.height) / 2.0;
  const double ox = (det.x + det.width / 2.0 - (extent0.x + extent0.width / 2.0)) / s0;
  const double oy = (det.y + det.height / 2.0 - (extent0.y + extent0.height / 2.0)) / s0;
  const double w = det.width / s0 * s, h = det.height / s0 * s;
  const double cx = extent.x + extent.width / 2.0 + ox * s;
  const double cy = extent.y + extent.height / 2.0 + oy * s;
  return emo::Box(int(std::lround(cx - w / 2)), int(std::lround(cy - h / 2)), int(std::lround(w)),
                  int(std::lround(h)));
}

bool send_boxes(GstHarness *h, GstClockTime pts, std::uint64_t id, const emo::Box &extent) {
  return gst_harness_push_upstream_event(h,
                                         emo::gst::make_landmark_boxes_event(pts, {{id, extent}}));
}

class FollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  }
};

TEST_F(FollowTest, FaceDetectMovesItsBoxesToTheReportedLandmarks) {
  HarnessPtr h(gst_harness_new_parse(
      "emofacedetect async-detection=false detection-interval=100 max-unconfirmed=1000 "
      "max-unconfirmed-time=0 detection-width=0 "
      "follow-landmarks=true"));
  gst_harness_set_src_caps_str(h.get(), video_caps("I420", 768, 576).c_str());
  // The picture never moves: optical flow keeps a box where it is, so every change of the box
  // comes from the landmark boxes.
  const emo::gst::Face f0 = push_and_pull(h.get(), 0);
  ASSERT_TRUE(f0.detected);
  const emo::Box det = f0.box;
  const auto id = static_cast<std::uint64_t>(f0.track_id);
  const emo::Box extent0(det.x + 10, det.y + 15, det.width - 20, det.height - 25);
  ASSERT_TRUE(send_boxes(h.get(), 0, id, extent0));  // frame 0: framing learnt
  expect_near(push_and_pull(h.get(), 1).box, det, 1);
  ASSERT_TRUE(send_boxes(h.get(), 1 * kFrame, id, extent0 + cv::Point(12, 6)));
  const emo::gst::Face f2 = push_and_pull(h.get(), 2);
  EXPECT_FALSE(f2.detected);
  EXPECT_EQ(f2.track_id, f0.track_id);
  expect_near(f2.box, det + cv::Point(12, 6), 1);
  // Late (for frame 1, the element is past frame 2): ignored.
  ASSERT_TRUE(send_boxes(h.get(), 1 * kFrame, id, extent0 + cv::Point(40, 0)));
  expect_near(push_and_pull(h.get(), 3).box, f2.box, 1);
  // Implausible (far from the box): ignored.
  ASSERT_TRUE(send_boxes(h.get(), 3 * kFrame, id, extent0 + cv::Point(300, 200)));
  expect_near(push_and_pull(h.get(), 4).box, f2.box, 1);
  // Turned off: ignored.
  g_object_set(gst_harness_find_element(h.get(), "emofacedetect"), "follow-landmarks", FALSE,
               nullptr);
  ASSERT_TRUE(send_boxes(h.get(), 4 * kFrame, id, extent0));
  expect_near(push_and_pull(h.get(), 5).box, f2.box, 1);
  // emofacedetect consumed every landmark event: none went further upstream.
  while (GstEvent *e = gst_harness_try_pull_upstream_event(h.get())) {
    EXPECT_FALSE(emo::gst::is_landmark_boxes_event(e));
    gst_event_unref(e);
  }
}

GstPadProbeReturn count_landmark_event(GstPad *, GstPadProbeInfo *info, gpointer counter) {
  if (emo::gst::is_landmark_boxes_event(GST_PAD_PROBE_INFO_EVENT(info)))
    ++*static_cast<std::atomic<int> *>(counter);
  return GST_PAD_PROBE_OK;
}

TEST_F(FollowTest, BoxesFollowTheLandmarksOfEmoLandmarks) {
  HarnessPtr h(gst_harness_new_parse(
      "emofacedetect name=d async-detection=false detection-interval=100 max-unconfirmed=1000 "
      "max-unconfirmed-time=0 detection-width=0 "
      "follow-landmarks=true ! emolandmarks"));
  gst_harness_set_src_caps_str(h.get(), video_caps("I420", 768, 576).c_str());
  ElementPtr detect(gst_bin_get_by_name(GST_BIN(h->element), "d"));
  ASSERT_TRUE(detect);
  std::atomic<int> reached{0}, forwarded{0};
  GstPad *src = gst_element_get_static_pad(detect.get(), "src");
  GstPad *sink = gst_element_get_static_pad(detect.get(), "sink");
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, count_landmark_event, &reached,
                    nullptr);
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, count_landmark_event, &forwarded,
                    nullptr);
  gst_object_unref(src);
  gst_object_unref(sink);

  constexpr int kDx = 6, kDy = 2;  // the face moves 6 px right and 2 px down per frame
  const emo::gst::Face f0 = push_and_pull(h.get(), 0);
  ASSERT_EQ(f0.landmarks.size(), 68u);
  const emo::Box extent0 = emo::gst::landmark_extent(f0.landmarks);
  emo::Box previous_extent = extent0;
  for (int i = 1; i < 8; ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    const emo::gst::Face face = push_and_pull(h.get(), i, kDx * i, kDy * i);
    EXPECT_EQ(face.track_id, f0.track_id);
    EXPECT_FALSE(face.detected);
    // The box is the detection's framing around the previous frame's landmarks, moved on by
    // optical flow (the face's motion).
    expect_near(face.box, framed(f0.box, extent0, previous_extent) + cv::Point(kDx, kDy), 3);
    ASSERT_EQ(face.landmarks.size(), 68u);
    previous_extent = emo::gst::landmark_extent(face.landmarks);
  }
  EXPECT_EQ(reached.load(), 8);    // one event per frame with faces
  EXPECT_EQ(forwarded.load(), 0);  // consumed by emofacedetect
}

}  // namespace
