// SPDX-License-Identifier: LGPL-2.1-or-later
// emofacedetect through GstHarness: caps, face regions, passthrough, model errors, properties,
// shot cuts.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

class FaceDetectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  }
};

TEST_F(FaceDetectTest, EveryAnalysisFormatNegotiates) {
  for (const std::string &format : kAnalysisFormats) {
    SCOPED_TRACE(format);
    HarnessPtr h = make_harness("emofacedetect", format);
    BufferPtr in = make_frame(astronaut(), format);
    ASSERT_TRUE(in);
    ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out);
  }
}

TEST_F(FaceDetectTest, FindsTheAstronautInCommonFormats) {
  for (const std::string &format : kDetectFormats) {
    SCOPED_TRACE(format);
    HarnessPtr h = make_harness("emofacedetect", format);
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), format).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out);
    const auto faces = emo::gst::read_faces(out.get());
    ASSERT_EQ(faces.size(), 1u);
    EXPECT_EQ(std::string(g_quark_to_string(faces[0].meta->roi_type)), "face");
    // The face is around x 170..250, y 60..160 in the 512x512 image.
    const emo::Box &box = faces[0].box;
    EXPECT_GT(box.width, 60);
    EXPECT_LT(box.width, 200);
    EXPECT_NEAR(box.width, box.height, 2);
    const cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
    EXPECT_TRUE(cv::Rect(150, 50, 120, 130).contains(centre)) << box;
    EXPECT_TRUE(faces[0].landmarks.empty());
    EXPECT_FALSE(faces[0].emotion);
  }
}

TEST_F(FaceDetectTest, IdsAreUniqueInTheStream) {
  HarnessPtr h = make_harness("emofacedetect", "I420");
  int last_id = -1;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        gst_harness_push(h.get(), make_frame(astronaut(), "I420", i * GST_SECOND / 30).release()),
        GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    const auto faces = emo::gst::read_faces(out.get());
    ASSERT_EQ(faces.size(), 1u);
    EXPECT_GT(faces[0].id, last_id);
    last_id = faces[0].id;
  }
}

// The second shot of the cut tests: another picture (a light wall) with the astronaut smaller,
// lower right; its face is around (248, 162, 76, 76), away from the first shot's.
cv::Mat second_shot() {
  cv::Mat frame(512, 512, CV_8UC3, cv::Scalar(200, 215, 230)), small;
  cv::resize(astronaut(), small, cv::Size(400, 400), 0, 0, cv::INTER_AREA);
  small.copyTo(frame(cv::Rect(112, 112, 400, 400)));
  return frame;
}

// Runs shot A (the astronaut, 8 frames) then shot B (second_shot()) through emofacedetect and
// checks that no face of shot A shows on shot B: no box where A's face was, no track id of A.
// B's face must show on frame `expected` of shot B (-1: on any frame; the test then sleeps
// between frames to let a detection thread run).
void expect_cut_leaves_nothing_of_the_first_shot(const std::string &launch, int expected) {
  const bool timed = expected < 0;
  HarnessPtr h = make_harness(launch, "I420");
  const GstClockTime frame = GST_SECOND / 24;
  std::set<std::int64_t> ids_a;
  emo::Box box_a;
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420", i * frame).release()),
              GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    const auto faces = emo::gst::read_faces(out.get());
    ASSERT_EQ(faces.size(), 1u) << "shot A, frame " << i;
    ids_a.insert(faces[0].track_id);
    box_a = faces[0].box;
  }
  const cv::Mat b = second_shot();
  const emo::Box face_b(248, 162, 76, 76);
  int found_on = -1;
  for (int i = 0; i < 40 && found_on < 0; ++i) {
    SCOPED_TRACE("shot B, frame " + std::to_string(i));
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(b, "I420", (8 + i) * frame).release()),
              GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    for (const emo::gst::Face &f : emo::gst::read_faces(out.get())) {
      EXPECT_EQ(ids_a.count(f.track_id), 0u) << "a track of shot A survived the cut";
      EXPECT_LT(emo::iou(f.box, box_a), 0.1) << f.box << " is where shot A's face was";
      EXPECT_GT(emo::iou(f.box, face_b), 0.4) << f.box;
      found_on = i;
    }
    if (timed) g_usleep(20000);  // let the detection thread run
  }
  if (!timed)
    EXPECT_EQ(found_on, expected) << "shot B's face showed on another frame";
  else
    EXPECT_GE(found_on, 0) << "shot B's face never showed";
}

TEST_F(FaceDetectTest, ShotCutLeavesNoBoxOfTheFirstShotSynchronous) {
  // A detection interval far beyond the shot: only the cut can bring B's face in.
  expect_cut_leaves_nothing_of_the_first_shot(
      "emofacedetect async-detection=false detection-interval=1000 max-unconfirmed=100000 "
      "max-unconfirmed-time=0",
      0);  // synchronous detection runs on the cut frame itself
}

TEST_F(FaceDetectTest, ShotCutFacesShowOnTheCutFrameWithAsynchronousDetection) {
  // The default (detection on the worker, applied a frame later) and a larger lag: the cut
  // frame's detection is waited for whatever the timing (no sleep here), so shot B's face
  // shows on the cut frame itself.
  for (const char *lag : {"", " detection-lag=3"}) {
    SCOPED_TRACE(lag);
    expect_cut_leaves_nothing_of_the_first_shot(
        std::string("emofacedetect detection-interval=1000 max-unconfirmed=100000 "
                    "max-unconfirmed-time=0") +
            lag,
        0);
  }
}

TEST_F(FaceDetectTest, ShotCutLeavesNoBoxOfTheFirstShotWhateverTheTiming) {
  expect_cut_leaves_nothing_of_the_first_shot("emofacedetect async-detection=true", -1);
}

TEST_F(FaceDetectTest, WithoutCutDetectionTheFirstShotsTrackEndsWhenUnconfirmed) {
  // The same cut with shot-cut-threshold=0: the old track (optical flow on the new picture)
  // may stay, but never beyond max-unconfirmed frames after the last detection that saw it
  // (detection then runs on every frame: at least every max-unconfirmed / 2 frames).
  HarnessPtr h = make_harness(
      "emofacedetect async-detection=false detection-interval=1000 shot-cut-threshold=0 "
      "max-unconfirmed=3 max-unconfirmed-time=0",
      "I420");
  const GstClockTime frame = GST_SECOND / 24;
  ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420", 0).release()), GST_FLOW_OK);
  BufferPtr first(gst_harness_pull(h.get()));
  const auto faces_a = emo::gst::read_faces(first.get());
  ASSERT_EQ(faces_a.size(), 1u);
  const cv::Mat b = second_shot();
  bool found_b = false;
  for (int i = 1; i <= 6; ++i) {
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(b, "I420", i * frame).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    for (const emo::gst::Face &f : emo::gst::read_faces(out.get())) {
      if (f.track_id != faces_a[0].track_id) found_b = true;
      if (i > 3) {
        EXPECT_NE(f.track_id, faces_a[0].track_id) << "frame " << i;
      }
    }
  }
  EXPECT_TRUE(found_b);
}

TEST_F(FaceDetectTest, NonVideoCapsDoNotNegotiate) {
  HarnessPtr h(gst_harness_new("emofacedetect"));
  gst_harness_set_src_caps_str(h.get(),
                               "audio/x-raw,format=S16LE,rate=48000,channels=1,"
                               "layout=interleaved");
  EXPECT_EQ(gst_harness_push(h.get(), gst_buffer_new_allocate(nullptr, 960, nullptr)),
            GST_FLOW_NOT_NEGOTIATED);
}

TEST_F(FaceDetectTest, UnsupportedVideoFormatDoesNotNegotiate) {
  HarnessPtr h(gst_harness_new("emofacedetect"));
  gst_harness_set_src_caps_str(h.get(), video_caps("v210", 64, 64).c_str());
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_v210, 64, 64);
  EXPECT_EQ(gst_harness_push(h.get(), gst_buffer_new_allocate(nullptr, info.size, nullptr)),
            GST_FLOW_NOT_NEGOTIATED);
}

TEST_F(FaceDetectTest, BlankFramePassesThroughUntouched) {
  for (const char *format : {"GRAY8", "NV12", "BGRx"}) {
    SCOPED_TRACE(format);
    HarnessPtr h = make_harness("emofacedetect", format);
    expect_blank_frame_passes_through(h.get(), format);
  }
}

TEST_F(FaceDetectTest, FrameWithFaceKeepsItsPixels) {
  HarnessPtr h = make_harness("emofacedetect", "RGBA");
  BufferPtr in = make_frame(astronaut(), "RGBA");
  BufferPtr expected(gst_buffer_copy_deep(in.get()));
  ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  EXPECT_EQ(count_rois(out.get()), 1);
  EXPECT_TRUE(same_data(out.get(), expected.get()));
}

// A user's own cascade comes from no Debian package: the error names the path, not
// opencv-data (issue 13).
TEST_F(FaceDetectTest, MissingCascadeFailsToStartAndNamesThePathOnly) {
  std::string error;
  EXPECT_EQ(start_with_model("emofacedetect", "/nonexistent/x.xml", error),
            GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error.find("/nonexistent/x.xml"), std::string::npos) << error;
  EXPECT_EQ(error.find("opencv-data"), std::string::npos) << error;
}

TEST_F(FaceDetectTest, PropertiesChangeWhileStreaming) {
  HarnessPtr h = make_element_harness("emofacedetect", "I420");
  GValue scale = G_VALUE_INIT;
  g_value_init(&scale, G_TYPE_DOUBLE);
  g_value_set_double(&scale, 1.2);
  GValue width = G_VALUE_INIT;
  g_value_init(&width, G_TYPE_INT);
  g_value_set_int(&width, 320);
  GstHarnessThread *t1 =
      gst_harness_stress_property_start_full(h.get(), "scale-factor", &scale, 100);
  GstHarnessThread *t2 =
      gst_harness_stress_property_start_full(h.get(), "detection-width", &width, 100);
  const int frames = 15;
  for (int i = 0; i < frames; ++i) {
    ASSERT_EQ(
        gst_harness_push(h.get(), make_frame(astronaut(), "I420", i * GST_SECOND / 30).release()),
        GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out);
    EXPECT_EQ(count_rois(out.get()), 1) << "frame " << i;
  }
  EXPECT_GT(gst_harness_stress_thread_stop(t1), 0u);
  EXPECT_GT(gst_harness_stress_thread_stop(t2), 0u);
  g_value_unset(&scale);
  g_value_unset(&width);
  // The last values set by the stress threads stuck.
  gdouble scale_now = 0;
  gint width_now = 0;
  g_object_get(h->element, "scale-factor", &scale_now, "detection-width", &width_now, nullptr);
  EXPECT_DOUBLE_EQ(scale_now, 1.2);
  EXPECT_EQ(width_now, 320);
}

// A background without a face (skimage's brick wall, 512x512) with the astronaut pasted at
// 256 px (face about 52 px around (118, 61)) when `face`.
cv::Mat wall_scene(bool face) {
  cv::Mat wall =
              cv::imread("/usr/lib/python3/dist-packages/skimage/data/brick.png", cv::IMREAD_COLOR),
          frame;
  cv::resize(wall, frame, cv::Size(512, 512), 0, 0, cv::INTER_LINEAR);
  if (face) {
    cv::Mat small;
    cv::resize(astronaut(), small, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
    small.copyTo(frame(cv::Rect(32, 24, 256, 256)));
  }
  return frame;
}

// confirmations=2: a face detected on one frame only never reaches the metadata; one that
// stays shows from the next detection run on (here the next frame: synchronous detection).
TEST_F(FaceDetectTest, AOneOffDetectionIsNeverPublished) {
  for (const bool stays : {false, true}) {
    SCOPED_TRACE(stays ? "the face stays" : "the face shows on one frame");
    HarnessPtr h = make_harness(
        "emofacedetect async-detection=false detection-interval=1 confirmations=2", "I420");
    int first = -1;
    for (int i = 0; i < 12; ++i) {
      const bool face = i == 6 || (stays && i > 6);
      ASSERT_EQ(gst_harness_push(
                    h.get(), make_frame(wall_scene(face), "I420", i * GST_SECOND / 24).release()),
                GST_FLOW_OK);
      BufferPtr out(gst_harness_pull(h.get()));
      const auto faces = emo::gst::read_faces(out.get());
      if (!faces.empty() && first < 0) first = i;
      EXPECT_LE(faces.size(), 1u) << "frame " << i;
      EXPECT_FALSE(faces.size() == 1 && !face) << "frame " << i << ": a box without a face";
    }
    if (stays)
      EXPECT_EQ(first, 7) << "the face shows from the confirming run";
    else
      EXPECT_EQ(first, -1) << "a one-off detection was published";
  }
}

// A cross-fade from the astronaut to the wall with the small astronaut: no box on the frames
// found inside it, and the new shot's face after it.
TEST_F(FaceDetectTest, NoFaceIsPublishedInsideACrossFade) {
  HarnessPtr h = make_harness("emofacedetect async-detection=false detection-interval=1", "I420");
  const cv::Mat a = astronaut(), b = wall_scene(true);
  bool faded_out = false, found_after = false;
  GstClockTime pts = 0;
  for (int i = 0; i < 60; ++i, pts += GST_SECOND / 24) {
    cv::Mat mix;
    const double t = std::clamp((i - 6) / 24.0, 0.0, 1.0);  // the fade: frames 7-29
    cv::addWeighted(a, 1 - t, b, t, 0, mix);
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(mix, "I420", pts).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    const auto faces = emo::gst::read_faces(out.get());
    if (i >= 17 && i <= 29) {  // found within 10 frames of its start
      EXPECT_TRUE(faces.empty()) << "frame " << i << " is inside the cross-fade";
      faded_out = faded_out || faces.empty();
    }
    if (i > 44 && !faces.empty()) {
      found_after = true;
      EXPECT_GT(emo::iou(faces[0].box, emo::Box(118, 61, 52, 52)), 0.3) << faces[0].box;
    }
  }
  EXPECT_TRUE(faded_out);
  EXPECT_TRUE(found_after) << "the new shot's face never showed";
}

}  // namespace
