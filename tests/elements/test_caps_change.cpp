// SPDX-License-Identifier: LGPL-2.1-or-later
// Caps changes mid-stream and every accepted size: a change that moves pixels (frame size,
// pixel aspect ratio) ends every track and the shot like a cut, a format change alone keeps
// them; boxes after a change are in the new size's pixels; every accepted format at sizes from
// 1x1 to 3840x2160 goes through the whole chain (emofacedetect ! emolandmarks ! emoclassify !
// emooverlay) without an error, faces found where they can be and drawn.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/detect/detection.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

// The astronaut's face in astronaut.png (512x512), by eye (as in test_blazeface.cpp).
const emo::Box kFace(172, 74, 105, 105);
constexpr GstClockTime kFrame = GST_SECOND / 30;

// A `size` frame of mid grey with the astronaut scaled by `scale` pasted at `at`; `face` gets
// where its face lies.
cv::Mat scene(cv::Size size, cv::Point at, double scale, emo::Box *face = nullptr) {
  cv::Mat frame(size, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::Mat a;
  const int side = static_cast<int>(512 * scale);
  cv::resize(astronaut(), a, {side, side}, 0, 0, cv::INTER_AREA);
  a.copyTo(frame(cv::Rect(at.x, at.y, side, side)));
  if (face)
    *face =
        emo::Box(at.x + static_cast<int>(kFace.x * scale), at.y + static_cast<int>(kFace.y * scale),
                 static_cast<int>(kFace.width * scale), static_cast<int>(kFace.height * scale));
  return frame;
}

struct Pushed {
  std::vector<emo::gst::Face> faces;
  BufferPtr out;
};

Pushed push(GstHarness *h, const cv::Mat &bgr, const std::string &format, GstClockTime pts,
            const char *par = nullptr) {
  std::string caps = video_caps(format, bgr.cols, bgr.rows);
  if (par) caps += std::string(",pixel-aspect-ratio=") + par;
  gst_harness_set_src_caps_str(h, caps.c_str());  // a no-op when unchanged
  Pushed p;
  BufferPtr in = make_frame(bgr, format, pts);
  EXPECT_TRUE(in);
  if (!in) return p;
  EXPECT_EQ(gst_harness_push(h, in.release()), GST_FLOW_OK);
  p.out.reset(gst_harness_pull(h));
  EXPECT_TRUE(p.out);
  if (p.out) p.faces = emo::gst::read_faces(p.out.get());
  return p;
}

bool inside(const emo::Box &b, cv::Size size) {
  return b.x >= 0 && b.y >= 0 && b.width > 0 && b.height > 0 && b.x + b.width <= size.width &&
         b.y + b.height <= size.height;
}

HarnessPtr detector() {
  HarnessPtr h = make_element_harness("emofacedetect", "I420");
  return h;
}

// The case: 640x480 -> 1280x720. Before, the old track kept its box in the old size's
// pixels until max-unconfirmed dropped it: one face reported twice.
TEST(CapsChange, ANewFrameSizeEndsEveryTrackAndTheShot) {
  HarnessPtr h = detector();
  emo::Box before_face, after_face;
  const cv::Mat small = scene({640, 480}, {0, 0}, 0.9, &before_face);
  const cv::Mat large = scene({1280, 720}, {600, 150}, 1.0, &after_face);
  std::int64_t old_track = -1;
  GstClockTime pts = 0;
  for (int i = 0; i < 4; ++i, pts += kFrame) {
    Pushed p = push(h.get(), small, "I420", pts);
    ASSERT_EQ(p.faces.size(), 1u) << "frame " << i;
    EXPECT_GT(emo::detect::iou(p.faces[0].box, before_face), 0.5);
    old_track = p.faces[0].track_id;
  }
  for (int i = 0; i < 12; ++i, pts += kFrame) {
    Pushed p = push(h.get(), large, "I420", pts);
    ASSERT_EQ(p.faces.size(), 1u) << "frame " << i << " after the change: one face, once";
    const emo::gst::Face &f = p.faces[0];
    EXPECT_TRUE(inside(f.box, {1280, 720})) << f.box;
    EXPECT_GT(emo::detect::iou(f.box, after_face), 0.5) << f.box << " vs " << after_face;
    EXPECT_NE(f.track_id, old_track);
    EXPECT_EQ(f.shot_start, i == 0) << "frame " << i;
  }
}

// A new pixel aspect ratio at the same size moves the picture too; a new format alone moves
// no pixel and keeps the tracks.
TEST(CapsChange, AspectRatioEndsTracksFormatDoesNot) {
  HarnessPtr h = detector();
  emo::Box face;
  const cv::Mat frame = scene({640, 480}, {40, 0}, 0.9, &face);
  GstClockTime pts = 0;
  Pushed first = push(h.get(), frame, "I420", pts);
  ASSERT_EQ(first.faces.size(), 1u);
  const std::int64_t track = first.faces[0].track_id;
  for (const std::string &format : kAnalysisFormats) {
    pts += kFrame;
    Pushed p = push(h.get(), frame, format, pts);
    ASSERT_EQ(p.faces.size(), 1u) << format;
    EXPECT_EQ(p.faces[0].track_id, track) << format << ": a format change keeps the track";
    EXPECT_FALSE(p.faces[0].shot_start) << format;
    EXPECT_GT(emo::detect::iou(p.faces[0].box, face), 0.5) << format;
  }
  pts += kFrame;
  Pushed p = push(h.get(), frame, "RGBA", pts, "4/3");
  ASSERT_EQ(p.faces.size(), 1u);
  EXPECT_NE(p.faces[0].track_id, track) << "a new pixel aspect ratio ends the track";
  EXPECT_TRUE(p.faces[0].shot_start);
}

// Every accepted format at every size, 1x1 included, through the whole chain: never an error;
// boxes inside the frame; on the frames large enough the face is found, in the new size's
// pixels, and drawn.
TEST(CapsChange, EveryFormatAndSizeGoesThroughTheWholeChain) {
  HarnessPtr h(gst_harness_new_parse("emofacedetect ! emolandmarks ! emoclassify ! emooverlay"));
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(h->element, bus.get());
  const std::vector<cv::Size> sizes = {{1, 1}, {2, 2}, {17, 13}, {641, 479}, {3840, 2160}};
  GstClockTime pts = 0;
  for (const std::string &format : kAnalysisFormats) {
    for (const cv::Size &size : sizes) {
      SCOPED_TRACE(format + " " + std::to_string(size.width) + "x" + std::to_string(size.height));
      const bool has_face = size.width >= 641;
      emo::Box face;
      cv::Mat bgr;
      if (size.width == 641)
        bgr = scene(size, {101, 0}, 479.0 / 512, &face);  // odd width, face off the left edge
      else if (size.width == 3840)
        bgr = scene(size, {1700, 56}, 4.0, &face);  // a face of 420 px: 28 px in BlazeFace
      else
        cv::resize(astronaut(), bgr, size, 0, 0, cv::INTER_AREA);
      // Two frames: the second has the emotion (a shot's first faces are labelled from the
      // next frame on) and its label is drawn too.
      for (int i = 0; i < (has_face ? 2 : 1); ++i, pts += kFrame) {
        BufferPtr in = make_frame(bgr, format, pts);
        ASSERT_TRUE(in);
        gst_harness_set_src_caps_str(h.get(), video_caps(format, size.width, size.height).c_str());
        BufferPtr copy(gst_buffer_copy_deep(in.get()));
        ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
        BufferPtr out(gst_harness_pull(h.get()));
        ASSERT_TRUE(out);
        const std::vector<emo::gst::Face> faces = emo::gst::read_faces(out.get());
        for (const emo::gst::Face &f : faces) EXPECT_TRUE(inside(f.box, size)) << f.box;
        if (!has_face) continue;
        ASSERT_EQ(faces.size(), 1u);
        EXPECT_GT(emo::detect::iou(faces[0].box, face), 0.5) << faces[0].box << " vs " << face;
        EXPECT_EQ(faces[0].landmarks.size(), 68u);
        EXPECT_EQ(faces[0].emotion.has_value(), i == 1);
        EXPECT_FALSE(same_data(out.get(), copy.get())) << "nothing drawn";
      }
    }
  }
  MessagePtr error(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
  EXPECT_FALSE(error) << "an error was posted";
  gst_element_set_bus(h->element, nullptr);
}

}  // namespace
