// SPDX-License-Identifier: LGPL-2.1-or-later
// emooverlay blur=true (privacy): the astronaut's face region is pixelated so that a fresh
// emofacedetect no longer finds a face in it, every pixel outside the region is unchanged, the
// metadata (box, emotion) is kept, and a frame without faces passes untouched.
#include <gtest/gtest.h>

#include <cstring>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

namespace {

using namespace emo_test;

/* The frame's pixels alone (no metadata), as a fresh buffer. */
BufferPtr pixels_only(GstBuffer *buf) {
  return BufferPtr(gst_buffer_copy_region(buf, GST_BUFFER_COPY_MEMORY, 0, -1));
}

/* Number of bytes of the I420 planes that differ outside `keep_out` (frame pixels). */
int changed_outside(GstBuffer *a, GstBuffer *b, int w, int h, const cv::Rect &keep_out,
                    int *inside = nullptr) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, w, h);
  GstVideoFrame fa, fb;
  EXPECT_TRUE(gst_video_frame_map(&fa, &info, a, GST_MAP_READ));
  EXPECT_TRUE(gst_video_frame_map(&fb, &info, b, GST_MAP_READ));
  int outside = 0;
  if (inside) *inside = 0;
  for (int p = 0; p < 3; ++p) {
    const int sub = p ? 1 : 0;
    const cv::Mat ma(h >> sub, w >> sub, CV_8UC1, GST_VIDEO_FRAME_PLANE_DATA(&fa, p),
                     GST_VIDEO_FRAME_PLANE_STRIDE(&fa, p));
    const cv::Mat mb(h >> sub, w >> sub, CV_8UC1, GST_VIDEO_FRAME_PLANE_DATA(&fb, p),
                     GST_VIDEO_FRAME_PLANE_STRIDE(&fb, p));
    cv::Mat diff = ma != mb;
    const cv::Rect r(keep_out.x >> sub, keep_out.y >> sub, (keep_out.width >> sub) + 1,
                     (keep_out.height >> sub) + 1);
    const cv::Rect in = r & cv::Rect(0, 0, diff.cols, diff.rows);
    if (inside) *inside += cv::countNonZero(diff(in));
    diff(in).setTo(0);
    outside += cv::countNonZero(diff);
  }
  gst_video_frame_unmap(&fb);
  gst_video_frame_unmap(&fa);
  return outside;
}

int faces_found(GstBuffer *pixels) {
  HarnessPtr h = make_harness("emofacedetect", "I420");
  EXPECT_EQ(gst_harness_push(h.get(), pixels_only(pixels).release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  return out ? static_cast<int>(emo::gst::read_faces(out.get()).size()) : -1;
}

TEST(OverlayBlurTest, BlurredFaceIsNoLongerDetectedAndTheRestIsUnchanged) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  HarnessPtr detect = make_harness("emofacedetect", "I420");
  ASSERT_EQ(gst_harness_push(detect.get(), make_frame(astronaut(), "I420").release()), GST_FLOW_OK);
  BufferPtr detected(gst_harness_pull(detect.get()));
  const auto faces = emo::gst::read_faces(detected.get());
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_EQ(faces_found(detected.get()), 1) << "the unblurred frame has its face";

  HarnessPtr overlay = make_element_harness("emooverlay", "I420");
  g_object_set(overlay->element, "blur", TRUE, "draw-boxes", FALSE, "draw-landmarks", FALSE,
               "draw-labels", FALSE, nullptr);
  ASSERT_EQ(gst_harness_push(overlay.get(), gst_buffer_copy_deep(detected.get())), GST_FLOW_OK);
  BufferPtr blurred(gst_harness_pull(overlay.get()));
  ASSERT_TRUE(blurred);
  EXPECT_EQ(faces_found(blurred.get()), 0) << "a face is still found in the blurred frame";
  const cv::Rect box = faces[0].box;
  const int grow = box.width / 6;
  const cv::Rect region(box.x - grow, box.y - grow, box.width + 2 * grow, box.height + 2 * grow);
  int inside = 0;
  EXPECT_EQ(changed_outside(detected.get(), blurred.get(), 512, 512, region, &inside), 0);
  EXPECT_GT(inside, region.area() / 2);
  // The metadata stays: the box is still there for the emotion and the session.
  EXPECT_EQ(count_rois(blurred.get()), 1);
}

TEST(OverlayBlurTest, FrameWithoutFacesPassesUntouched) {
  HarnessPtr h = make_element_harness("emooverlay", "I420");
  g_object_set(h->element, "blur", TRUE, nullptr);
  expect_blank_frame_passes_through(h.get(), "I420");
  gboolean blur = FALSE;
  g_object_get(h->element, "blur", &blur, nullptr);
  EXPECT_TRUE(blur);
}

}  // namespace
