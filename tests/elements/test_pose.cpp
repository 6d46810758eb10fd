// SPDX-License-Identifier: LGPL-2.1-or-later
// Head pose through the elements: emolandmarks writes a "pose" structure on the astronaut
// (read back through emo::gst::read_faces() and the C API), its roll follows a known in-plane
// turn of the image; emometapublish writes it as "pose" in its JSON; emooverlay draw-pose=true
// draws the axes and draws nothing with it off.
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <fstream>
#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

namespace {

using namespace emo_test;

BufferPtr analysed(const cv::Mat &bgr) {
  HarnessPtr h = make_harness("emofacedetect ! emolandmarks", "I420");
  EXPECT_EQ(gst_harness_push(h.get(), make_frame(bgr, "I420").release()), GST_FLOW_OK);
  return BufferPtr(gst_harness_pull(h.get()));
}

TEST(PoseTest, LandmarksWriteThePoseAndItsRollFollowsATurn) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  BufferPtr straight = analysed(astronaut());
  auto faces = emo::gst::read_faces(straight.get());
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].pose);
  const cv::Vec3d p0 = *faces[0].pose;
  EXPECT_LT(std::abs(p0[0]), 30.0);
  EXPECT_LT(std::abs(p0[2]), 20.0);
  // The C API reads the same values.
  GstEmoFace *c = gst_emo_face_new_from_meta(straight.get(), faces[0].meta);
  gdouble yaw = 0, pitch = 0, roll = 0;
  EXPECT_TRUE(gst_emo_face_has_pose(c));
  EXPECT_TRUE(gst_emo_face_get_pose(c, &yaw, &pitch, &roll));
  EXPECT_DOUBLE_EQ(yaw, p0[0]);
  EXPECT_DOUBLE_EQ(pitch, p0[1]);
  EXPECT_DOUBLE_EQ(roll, p0[2]);
  gst_emo_face_free(c);
  // Turned 20 degrees counter-clockwise about the image centre: the roll falls by 20.
  cv::Mat turned;
  cv::warpAffine(astronaut(), turned, cv::getRotationMatrix2D(cv::Point2f(256.f, 256.f), 20.0, 1.0),
                 astronaut().size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  BufferPtr out = analysed(turned);
  faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].pose);
  EXPECT_NEAR((*faces[0].pose)[2] - p0[2], -20.0, 4.0);
  EXPECT_NEAR((*faces[0].pose)[0], p0[0], 8.0);
}

TEST(PoseTest, NoLandmarksNoPose) {
  BufferPtr buf = make_blank_frame("I420", 320, 240);
  emo::gst::add_face(buf.get(), emo::Box(10, 10, 50, 50), 1);
  const auto faces = emo::gst::read_faces(buf.get());
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_FALSE(faces[0].pose);
}

TEST(PoseTest, MetaPublishWritesThePose) {
  const std::string path = temp_dir() + "/pose.jsonl";
  BufferPtr buf = make_blank_frame("I420", 640, 480);
  auto *meta = emo::gst::add_face(buf.get(), emo::Box(100, 100, 200, 200), 1);
  emo::gst::set_pose(meta, -12.34, 5.0, 30.06);
  HarnessPtr h = make_harness("emometapublish location=" + path, "I420");
  ASSERT_EQ(gst_harness_push(h.get(), buf.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  h.reset();  // flushes and closes the file
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  JsonParser *parser = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_data(parser, line.c_str(), -1, nullptr));
  JsonObject *face = json_array_get_object_element(
      json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "faces"), 0);
  ASSERT_TRUE(json_object_has_member(face, "pose"));
  JsonObject *pose = json_object_get_object_member(face, "pose");
  EXPECT_NEAR(json_object_get_double_member(pose, "yaw"), -12.3, 1e-9);
  EXPECT_NEAR(json_object_get_double_member(pose, "pitch"), 5.0, 1e-9);
  EXPECT_NEAR(json_object_get_double_member(pose, "roll"), 30.1, 1e-9);
  g_object_unref(parser);
}

TEST(PoseTest, OverlayDrawsTheAxesOnlyWhenAsked) {
  ASSERT_FALSE(astronaut().empty());
  BufferPtr in = analysed(astronaut());
  for (gboolean pose : {gboolean(FALSE), gboolean(TRUE)}) {
    HarnessPtr h = make_element_harness("emooverlay", "I420");
    g_object_set(h->element, "draw-boxes", FALSE, "draw-landmarks", FALSE, "draw-labels", FALSE,
                 "draw-pose", pose, nullptr);
    gboolean back = !pose;
    g_object_get(h->element, "draw-pose", &back, nullptr);
    EXPECT_EQ(back, pose);
    ASSERT_EQ(gst_harness_push(h.get(), gst_buffer_copy_deep(in.get())), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    EXPECT_EQ(!same_data(in.get(), out.get()), pose == TRUE);
  }
}

}  // namespace
