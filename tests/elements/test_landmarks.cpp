// SPDX-License-Identifier: LGPL-2.1-or-later
// emolandmarks through GstHarness: caps, landmarks on detected faces, passthrough, model errors.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/landmarks/landmarker.hpp"

using namespace emo_test;

namespace {

class LandmarksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
    ASSERT_TRUE(g_file_test(emo::Landmarker::kDefaultModel, G_FILE_TEST_EXISTS))
        << emo::Landmarker::kDefaultModel << " (libdlib-data) is missing";
  }
};

// The dlib model takes about a second to load: one harness, renegotiated per format.
TEST_F(LandmarksTest, EveryAnalysisFormatNegotiates) {
  HarnessPtr h = make_element_harness("emolandmarks", "GRAY8");
  expect_every_analysis_format_negotiates(h.get());
}

TEST_F(LandmarksTest, FitsSixtyEightPointsInsideTheDetectedFace) {
  HarnessPtr h = make_harness("emofacedetect ! emolandmarks", "GRAY8");
  for (const char *format : {"GRAY8", "I420", "NV12", "YUY2", "BGR", "RGBA"}) {
    SCOPED_TRACE(format);
    gst_harness_set_src_caps_str(h.get(), video_caps(format).c_str());
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), format).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out);
    const auto faces = emo::gst::read_faces(out.get());
    ASSERT_EQ(faces.size(), 1u);
    ASSERT_EQ(faces[0].landmarks.size(), 68u);
    const emo::Box &box = faces[0].box;
    // Landmarks may stray slightly outside a cascade box (chin, jaw): allow 25 % each side.
    const cv::Rect2f expanded(box.x - 0.25f * box.width, box.y - 0.25f * box.height,
                              1.5f * box.width, 1.5f * box.height);
    for (const emo::Point &p : faces[0].landmarks) EXPECT_TRUE(expanded.contains(p)) << p;
    // Anatomy: eyes (36-47) above the mouth (48-67), left eye left of the right eye.
    EXPECT_LT(faces[0].landmarks[36].y, faces[0].landmarks[51].y);
    EXPECT_LT(faces[0].landmarks[36].x, faces[0].landmarks[45].x);
    // Stored with the backend name and the region they were fitted in.
    const GstStructure *s = gst_video_region_of_interest_meta_get_param(faces[0].meta, "landmarks");
    ASSERT_TRUE(s);
    EXPECT_STREQ(gst_structure_get_string(s, "backend"), "dlib-ert");
    EXPECT_FALSE(faces[0].emotion);
  }
}

TEST_F(LandmarksTest, FaceOutsideTheFrameIsSkipped) {
  HarnessPtr h = make_element_harness("emolandmarks", "GRAY8");
  BufferPtr in = make_frame(astronaut(), "GRAY8");
  emo::gst::add_face(in.get(), emo::Box(600, 600, 100, 100), 7);  // beyond the 512x512 frame
  emo::gst::add_face(in.get(), emo::Box(100, 100, 0, 0), 8);      // empty
  emo::gst::add_face(in.get(), emo::Box(170, 60, 90, 90), 9);
  ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  const auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 3u);
  EXPECT_TRUE(faces[0].landmarks.empty());
  EXPECT_TRUE(faces[1].landmarks.empty());
  EXPECT_EQ(faces[2].landmarks.size(), 68u);
}

/* Several faces (the astronaut's box, shifted copies, one outside the frame): the helper
 * thread of parallel=true changes nothing in the result, over many frames. */
TEST_F(LandmarksTest, ParallelFitsMatchSerialFits) {
  const std::vector<emo::Box> boxes = {{170, 60, 90, 90},  {150, 50, 110, 110}, {600, 600, 50, 50},
                                       {180, 70, 80, 80},  {20, 300, 120, 120}, {300, 200, 60, 60},
                                       {160, 40, 120, 120}};
  std::vector<std::vector<emo::gst::Face>> results[2];
  for (int parallel = 0; parallel < 2; ++parallel) {
    HarnessPtr h = make_harness(
        parallel ? "emolandmarks parallel=true" : "emolandmarks parallel=false", "GRAY8");
    for (int frame = 0; frame < 20; ++frame) {
      BufferPtr in = make_frame(astronaut(), "GRAY8", frame * GST_SECOND / 30);
      for (std::size_t i = 0; i < boxes.size(); ++i)
        emo::gst::add_face(in.get(), boxes[i], static_cast<int>(i));
      ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
      BufferPtr out(gst_harness_pull(h.get()));
      ASSERT_TRUE(out);
      results[parallel].push_back(emo::gst::read_faces(out.get()));
    }
  }
  for (std::size_t frame = 0; frame < results[0].size(); ++frame) {
    const auto &serial = results[0][frame];
    const auto &parallel = results[1][frame];
    ASSERT_EQ(serial.size(), boxes.size());
    ASSERT_EQ(parallel.size(), boxes.size());
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      EXPECT_EQ(serial[i].landmarks.size(), i == 2 ? 0u : 68u) << "face " << i;
      EXPECT_EQ(parallel[i].landmarks, serial[i].landmarks) << "frame " << frame << " face " << i;
    }
  }
}

TEST_F(LandmarksTest, NonVideoCapsDoNotNegotiate) {
  HarnessPtr h(gst_harness_new("emolandmarks"));
  gst_harness_set_src_caps_str(h.get(),
                               "audio/x-raw,format=S16LE,rate=48000,channels=1,"
                               "layout=interleaved");
  EXPECT_EQ(gst_harness_push(h.get(), gst_buffer_new_allocate(nullptr, 960, nullptr)),
            GST_FLOW_NOT_NEGOTIATED);
}

TEST_F(LandmarksTest, BlankFramePassesThroughUntouched) {
  HarnessPtr h = make_harness("emofacedetect ! emolandmarks", "I420");
  expect_blank_frame_passes_through(h.get(), "I420");
}

TEST_F(LandmarksTest, FrameWithFaceKeepsItsPixels) {
  HarnessPtr h = make_harness("emofacedetect ! emolandmarks", "BGR");
  BufferPtr in = make_frame(astronaut(), "BGR");
  BufferPtr expected(gst_buffer_copy_deep(in.get()));
  ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  EXPECT_EQ(emo::gst::read_faces(out.get()).at(0).landmarks.size(), 68u);
  EXPECT_TRUE(same_data(out.get(), expected.get()));
}

TEST_F(LandmarksTest, MissingModelFailsToStartAndNamesPathAndPackage) {
  std::string error;
  EXPECT_EQ(start_with_model("emolandmarks", "/nonexistent/x.xml", error),
            GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error.find("/nonexistent/x.xml"), std::string::npos) << error;
  EXPECT_NE(error.find("libdlib-data"), std::string::npos) << error;
}

TEST_F(LandmarksTest, BrokenLbfModelFailsToStart) {
  const std::string path = temp_dir() + "/broken.yaml";
  ASSERT_TRUE(g_file_set_contents(path.c_str(), "%YAML:1.0\nnot: a model\n", -1, nullptr));
  std::string error;
  EXPECT_EQ(start_with_model("emolandmarks", path, error), GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

/* max-reuse: a tracked face that stayed still takes its last fit, moved with its box: on frame
 * 1 the box is the same and half the face 6 grey levels brighter (under the 12 of a change),
 * on frame 2 face and box moved by (2, 1) px. On frame 3 the box moved 12 px (13 % of its
 * side): fitted again. A face without a track id and max-reuse=0 are fitted on every frame.
 * The fresh fits come from max-reuse=0. */
TEST_F(LandmarksTest, StillTrackedFaceTakesItsLastFitMovedWithTheBox) {
  const emo::Box still(170, 60, 90, 90);
  const cv::Mat &picture = astronaut();
  cv::Mat brighter = picture.clone(), moved;
  brighter(cv::Rect(still.x, still.y, still.width / 2, still.height)) += cv::Scalar(6, 6, 6);
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 2, 0, 1, 1);
  cv::warpAffine(picture, moved, shift, picture.size());
  const std::vector<std::pair<cv::Mat, emo::Box>> frames = {{picture, still},
                                                            {brighter, still},
                                                            {moved, still + cv::Point(2, 1)},
                                                            {picture, still + cv::Point(12, 0)}};
  std::vector<std::vector<emo::Point>> got[2], untracked;
  for (int reuse = 0; reuse < 2; ++reuse) {
    HarnessPtr h = make_harness(reuse ? "emolandmarks" : "emolandmarks max-reuse=0", "GRAY8");
    for (std::size_t frame = 0; frame < frames.size(); ++frame) {
      BufferPtr in = make_frame(frames[frame].first, "GRAY8", frame * GST_SECOND / 25);
      emo::gst::set_tracking(emo::gst::add_face(in.get(), frames[frame].second, 0), 1, false);
      emo::gst::add_face(in.get(), frames[frame].second, 1);  // the same box, no track id
      ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
      BufferPtr out(gst_harness_pull(h.get()));
      const auto faces = emo::gst::read_faces(out.get());
      ASSERT_EQ(faces.size(), 2u);
      ASSERT_EQ(faces[0].landmarks.size(), 68u);
      got[reuse].push_back(faces[0].landmarks);
      if (reuse) untracked.push_back(faces[1].landmarks);
    }
  }
  for (std::size_t frame = 0; frame < frames.size(); ++frame)
    EXPECT_EQ(got[0][frame], untracked[frame]) << "max-reuse=0 fits every face, frame " << frame;
  EXPECT_EQ(got[1][0], got[0][0]);
  EXPECT_EQ(got[1][1], got[1][0]) << "frame 1 takes frame 0's fit";
  EXPECT_NE(got[0][1], got[0][0]) << "a fresh fit of frame 1 differs";
  for (std::size_t i = 0; i < 68; ++i)
    ASSERT_EQ(got[1][2][i], got[1][0][i] + cv::Point2f(2.f, 1.f)) << "frame 2 point " << i;
  EXPECT_EQ(got[1][3], got[0][3]) << "frame 3 is fitted again";
  EXPECT_NE(got[1][3], got[1][0]);
}

// emolandmarks has no property that may change while playing (the model is MUTABLE_READY):
// stress the base class's "qos" switch to check that streaming and property access coexist.
TEST_F(LandmarksTest, PropertyChangesWhileStreaming) {
  HarnessPtr h = make_element_harness("emolandmarks", "NV12");
  GValue off = G_VALUE_INIT;
  g_value_init(&off, G_TYPE_BOOLEAN);
  g_value_set_boolean(&off, FALSE);
  GstHarnessThread *t = gst_harness_stress_property_start_full(h.get(), "qos", &off, 100);
  for (int i = 0; i < 10; ++i) {
    BufferPtr in = make_frame(astronaut(), "NV12", i * GST_SECOND / 30);
    emo::gst::add_face(in.get(), emo::Box(170, 60, 90, 90), i);
    ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out);
    EXPECT_EQ(emo::gst::read_faces(out.get()).at(0).landmarks.size(), 68u) << "frame " << i;
  }
  EXPECT_GT(gst_harness_stress_thread_stop(t), 0u);
  g_value_unset(&off);
}

}  // namespace
