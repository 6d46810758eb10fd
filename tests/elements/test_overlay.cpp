// SPDX-License-Identifier: LGPL-2.1-or-later
// emooverlay through GstHarness: caps, drawing per layer, untouched frames, property toggles.
#include <gtest/gtest.h>

#include <cstring>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

const std::vector<std::string> kOverlayFormats = {"BGR",  "BGRx", "RGB",  "RGBx",
                                                  "BGRA", "RGBA", "I420", "NV12"};
const emo::Box kBox(20, 40, 160, 160);  // the synthetic landmarks lie in x 40..160, y 67..170

// A grey frame with one face: box, synthetic landmarks and (optionally) an emotion.
BufferPtr face_frame(const std::string &format, bool emotion = true, GstClockTime pts = 0) {
  BufferPtr buf = make_blank_frame(format, 512, 512, pts);
  auto *meta = emo::gst::add_face(buf.get(), kBox, 1);
  emo::gst::set_landmarks(meta, synthetic_landmarks(1.f), "dlib-ert");
  if (emotion) {
    emo::Prediction p;
    p.class_id = 0;
    p.label = "happiness";
    p.confidence = 0.87f;
    p.scores = {0.87f, 0.13f};
    emo::gst::set_emotion(meta, p, {"happiness", "sadness"});
  }
  return buf;
}

// True when plane 0 (luma, or the packed pixels) of the two frames differs inside `r`.
bool region_differs(GstBuffer *a, GstBuffer *b, const std::string &format, cv::Rect r) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format.c_str()), 512, 512);
  r &= cv::Rect(0, 0, 512, 512);
  GstVideoFrame fa, fb;
  if (!gst_video_frame_map(&fa, &info, a, GST_MAP_READ)) return false;
  if (!gst_video_frame_map(&fb, &info, b, GST_MAP_READ)) {
    gst_video_frame_unmap(&fa);
    return false;
  }
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&fa, 0);
  const int pstride = GST_VIDEO_FRAME_COMP_PSTRIDE(&fa, 0);
  bool differs = false;
  for (int y = r.y; y < r.y + r.height && !differs; ++y) {
    const size_t offset = static_cast<size_t>(y) * stride + static_cast<size_t>(r.x) * pstride;
    differs = std::memcmp(static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&fa, 0)) + offset,
                          static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&fb, 0)) + offset,
                          static_cast<size_t>(r.width) * pstride) != 0;
  }
  gst_video_frame_unmap(&fb);
  gst_video_frame_unmap(&fa);
  return differs;
}

// Pushes `in` through a fresh emooverlay with the given layers; returns the output.
BufferPtr draw(const std::string &format, GstBuffer *in, bool boxes, bool landmarks, bool labels) {
  HarnessPtr h = make_element_harness("emooverlay", format);
  g_object_set(h->element, "draw-boxes", boxes, "draw-landmarks", landmarks, "draw-labels", labels,
               nullptr);
  EXPECT_EQ(gst_harness_push(h.get(), gst_buffer_copy_deep(in)), GST_FLOW_OK);
  return BufferPtr(gst_harness_pull(h.get()));
}

TEST(OverlayTest, EveryOverlayFormatNegotiatesAndIsDrawnOn) {
  for (const std::string &format : kOverlayFormats) {
    SCOPED_TRACE(format);
    BufferPtr in = face_frame(format);
    BufferPtr out = draw(format, in.get(), true, true, true);
    ASSERT_TRUE(out);
    EXPECT_TRUE(region_differs(in.get(), out.get(), format, kBox));
    // Far from the face (bottom right) nothing is drawn.
    EXPECT_FALSE(region_differs(in.get(), out.get(), format, cv::Rect(300, 300, 200, 200)));
    EXPECT_EQ(count_rois(out.get()), 1);
  }
}

TEST(OverlayTest, NonVideoCapsDoNotNegotiate) {
  HarnessPtr h(gst_harness_new("emooverlay"));
  gst_harness_set_src_caps_str(h.get(),
                               "audio/x-raw,format=S16LE,rate=48000,channels=1,"
                               "layout=interleaved");
  EXPECT_EQ(gst_harness_push(h.get(), gst_buffer_new_allocate(nullptr, 960, nullptr)),
            GST_FLOW_NOT_NEGOTIATED);
}

TEST(OverlayTest, EachLayerDrawsOnItsOwn) {
  for (const char *format : {"BGRx", "I420"}) {
    SCOPED_TRACE(format);
    BufferPtr in = face_frame(format);
    // Box edge only: the left side of the box, away from landmarks and label.
    BufferPtr boxes = draw(format, in.get(), true, false, false);
    EXPECT_TRUE(
        region_differs(in.get(), boxes.get(), format, cv::Rect(kBox.x - 3, kBox.y + 40, 7, 60)));
    // Landmarks only: the mouth region (synthetic mouth around (100, 140)).
    BufferPtr landmarks = draw(format, in.get(), false, true, false);
    EXPECT_TRUE(region_differs(in.get(), landmarks.get(), format, cv::Rect(70, 125, 60, 30)));
    EXPECT_FALSE(region_differs(in.get(), landmarks.get(), format,
                                cv::Rect(kBox.x - 3, kBox.y + 40, 5, 60)));
    // Labels only: somewhere around the box, nothing inside the face centre.
    BufferPtr labels = draw(format, in.get(), false, false, true);
    EXPECT_FALSE(same_data(in.get(), labels.get()));
  }
}

// A face that got no emotion (emoclassify's gate: label "unknown", scores kept) gets its box
// but no label tag.
TEST(OverlayTest, AFaceWithoutEmotionGetsNoLabel) {
  for (const char *format : {"BGRx", "I420"}) {
    SCOPED_TRACE(format);
    BufferPtr in = make_blank_frame(format, 512, 512, 0);
    auto *meta = emo::gst::add_face(in.get(), kBox, 1);
    emo::Prediction p;
    p.label = "unknown";
    p.scores = {0.52f, 0.48f};
    emo::gst::set_emotion(meta, p, {"happiness", "sadness"});
    BufferPtr labels = draw(format, in.get(), false, false, true);
    EXPECT_TRUE(same_data(in.get(), labels.get())) << "no tag for an unknown emotion";
    BufferPtr boxes = draw(format, in.get(), true, false, true);
    EXPECT_TRUE(
        region_differs(in.get(), boxes.get(), format, cv::Rect(kBox.x - 3, kBox.y + 40, 7, 60)));
  }
}

TEST(OverlayTest, AllLayersOffLeavesTheFrameIdentical) {
  for (const std::string &format : kOverlayFormats) {
    SCOPED_TRACE(format);
    BufferPtr in = face_frame(format);
    BufferPtr out = draw(format, in.get(), false, false, false);
    ASSERT_TRUE(out);
    EXPECT_TRUE(same_data(in.get(), out.get()));
    EXPECT_EQ(count_rois(out.get()), 1);
  }
}

TEST(OverlayTest, FrameWithoutFacesPassesThroughUntouched) {
  HarnessPtr h = make_element_harness("emooverlay", "NV12");
  expect_blank_frame_passes_through(h.get(), "NV12");
}

TEST(OverlayTest, DrawsTheDetectedAstronaut) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  HarnessPtr h = make_harness("emofacedetect ! emooverlay", "RGBA");
  BufferPtr in = make_frame(astronaut(), "RGBA");
  BufferPtr expected(gst_buffer_copy_deep(in.get()));
  ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  const auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_TRUE(region_differs(expected.get(), out.get(), "RGBA", faces[0].box));
}

TEST(OverlayTest, LayerTogglesWhileStreaming) {
  HarnessPtr h = make_element_harness("emooverlay", "I420");
  GValue off = G_VALUE_INIT;
  g_value_init(&off, G_TYPE_BOOLEAN);
  g_value_set_boolean(&off, FALSE);
  GValue width = G_VALUE_INIT;
  g_value_init(&width, G_TYPE_INT);
  g_value_set_int(&width, 4);
  GstHarnessThread *t1 = gst_harness_stress_property_start_full(h.get(), "draw-boxes", &off, 50);
  GstHarnessThread *t2 = gst_harness_stress_property_start_full(h.get(), "draw-labels", &off, 50);
  GstHarnessThread *t3 = gst_harness_stress_property_start_full(h.get(), "line-width", &width, 50);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(gst_harness_push(h.get(), face_frame("I420", true, i * GST_SECOND / 30).release()),
              GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out) << "frame " << i;
    EXPECT_EQ(count_rois(out.get()), 1);
  }
  for (GstHarnessThread *t : {t1, t2, t3}) EXPECT_GT(gst_harness_stress_thread_stop(t), 0u);
  g_value_unset(&off);
  g_value_unset(&width);
}

}  // namespace
