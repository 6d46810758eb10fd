// SPDX-License-Identifier: LGPL-2.1-or-later
// Face metadata through GStreamer's own scaler and converter (a GstHarness around a parsed
// pipeline): boxes and landmarks follow the new frame size, emotion and tracking are kept.
#include <gtest/gtest.h>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

const std::vector<emo::Point> kPoints{{420.f, 240.f}, {500.5f, 250.f}, {460.f, 330.25f}};

// A 1280x720 I420 frame with two faces: one fully analysed and tracked, one bare box.
BufferPtr analysed_frame(GstClockTime pts) {
  BufferPtr buf = make_blank_frame("I420", 1280, 720, pts);
  GstVideoRegionOfInterestMeta *a = emo::gst::add_face(buf.get(), {400, 200, 120, 140}, 11);
  emo::gst::add_face(buf.get(), {900, 100, 64, 80}, 12);
  emo::gst::set_landmarks(a, kPoints, "dlib-ert");
  emo::Prediction p;
  p.class_id = 0;
  p.label = "happiness";
  p.scores = {0.9f, 0.1f};
  p.confidence = 0.9f;
  emo::gst::set_emotion(a, p, {"happiness", "sadness"});
  emo::gst::set_tracking(a, 5, true);
  return buf;
}

const emo::gst::Face &face_with_id(const std::vector<emo::gst::Face> &faces, int id) {
  for (const auto &f : faces)
    if (f.id == id) return f;
  throw std::runtime_error("no face " + std::to_string(id));
}

void expect_analysed_frame_at(GstBuffer *out, float f) {
  const auto faces = emo::gst::read_faces(out);
  ASSERT_EQ(faces.size(), 2u);
  const auto &a = face_with_id(faces, 11);
  EXPECT_EQ(a.box, emo::Box(static_cast<int>(400 * f), static_cast<int>(200 * f),
                            static_cast<int>(120 * f), static_cast<int>(140 * f)));
  ASSERT_EQ(a.landmarks.size(), kPoints.size());
  for (size_t i = 0; i < kPoints.size(); ++i) {
    EXPECT_FLOAT_EQ(a.landmarks[i].x, kPoints[i].x * f) << "point " << i;
    EXPECT_FLOAT_EQ(a.landmarks[i].y, kPoints[i].y * f) << "point " << i;
  }
  ASSERT_TRUE(a.emotion.has_value());
  EXPECT_EQ(a.emotion->label, "happiness");
  EXPECT_FLOAT_EQ(a.emotion->confidence, 0.9f);
  EXPECT_EQ(a.emotion->scores, (std::vector<float>{0.9f, 0.1f}));
  EXPECT_EQ(a.track_id, 5);
  EXPECT_TRUE(a.detected);
  const auto &b = face_with_id(faces, 12);
  EXPECT_EQ(b.box, emo::Box(static_cast<int>(900 * f), static_cast<int>(100 * f),
                            static_cast<int>(64 * f), static_cast<int>(80 * f)));
  EXPECT_TRUE(b.landmarks.empty());
  EXPECT_FALSE(b.emotion.has_value());
}

TEST(Interop, FacesFollowVideoscaleAndVideoconvert) {
  HarnessPtr h(gst_harness_new_parse(
      "videoscale ! capsfilter caps=video/x-raw,width=640,height=360 ! videoconvert ! "
      "capsfilter caps=video/x-raw,format=RGB"));
  gst_harness_set_src_caps_str(h.get(), video_caps("I420", 1280, 720).c_str());
  for (int i = 0; i < 3; ++i) {
    const GstClockTime pts = i * GST_SECOND / 30;
    BufferPtr out(gst_harness_push_and_pull(h.get(), analysed_frame(pts).release()));
    ASSERT_TRUE(out);
    EXPECT_EQ(GST_BUFFER_PTS(out.get()), pts);
    EXPECT_EQ(gst_buffer_get_size(out.get()), 640u * 360u * 3u);  // really scaled, really RGB
    expect_analysed_frame_at(out.get(), 0.5f);
  }
}

TEST(Interop, FacesSurviveAFormatOnlyConversionAndAQueue) {
  // videoconvert converting at the same size calls the ROI meta's scale transform too.
  HarnessPtr h(
      gst_harness_new_parse("videoconvert ! capsfilter caps=video/x-raw,format=BGRx ! queue"));
  gst_harness_set_src_caps_str(h.get(), video_caps("I420", 1280, 720).c_str());
  BufferPtr out(gst_harness_push_and_pull(h.get(), analysed_frame(0).release()));
  ASSERT_TRUE(out);
  EXPECT_EQ(gst_buffer_get_size(out.get()), 1280u * 720u * 4u);
  expect_analysed_frame_at(out.get(), 1.f);
}

}  // namespace
