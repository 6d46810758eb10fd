// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the "detection" and "object_id" face structures (emo::gst::set_detection,
// set_object_id, read_faces) and of their keypoints across the companion meta's scale.
#include <gtest/gtest.h>

#include <memory>

#include "../support/meta_scale.hpp"
#include "emo/gst/face_meta.hpp"

namespace {

struct BufferDeleter {
  void operator()(GstBuffer *b) const { gst_buffer_unref(b); }
};
using BufferPtr = std::unique_ptr<GstBuffer, BufferDeleter>;

const std::vector<emo::Point> kKeypoints = {{130, 90},  {170, 92},  {150, 115},
                                            {150, 140}, {105, 100}, {195, 102}};

class DetectionMetaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(DetectionMetaTest, WrittenStructuresReadBack) {
  BufferPtr buf(gst_buffer_new_allocate(nullptr, 64, nullptr));
  GstVideoRegionOfInterestMeta *a = emo::gst::add_face(buf.get(), {100, 50, 100, 110}, 3);
  GstVideoRegionOfInterestMeta *b = emo::gst::add_face(buf.get(), {400, 60, 80, 80}, 4);
  emo::gst::set_detection(a, 0.87, kKeypoints, "blazeface-full");
  emo::gst::set_object_id(a, 12);
  emo::gst::set_detection(b, -1, {}, "cascade");
  emo::gst::set_detection(a, 0.91, kKeypoints, "blazeface-full");  // replaces, not appends

  const GstStructure *s = gst_video_region_of_interest_meta_get_param(a, "detection");
  ASSERT_NE(s, nullptr);
  gdouble confidence = 0;
  guint n = 0;
  EXPECT_TRUE(gst_structure_get_double(s, "confidence", &confidence));
  EXPECT_DOUBLE_EQ(confidence, 0.91);
  EXPECT_TRUE(gst_structure_get_uint(s, "n-keypoints", &n));
  EXPECT_EQ(n, 6u);
  const GValue *kp = gst_structure_get_value(s, "keypoints");
  ASSERT_TRUE(kp != nullptr && GST_VALUE_HOLDS_ARRAY(kp));
  ASSERT_EQ(gst_value_array_get_size(kp), 12u);
  EXPECT_TRUE(G_VALUE_HOLDS_FLOAT(gst_value_array_get_value(kp, 0)));
  EXPECT_STREQ(gst_structure_get_string(s, "model"), "blazeface-full");
  gint id = 0;
  const GstStructure *o = gst_video_region_of_interest_meta_get_param(a, "object_id");
  ASSERT_NE(o, nullptr);
  EXPECT_TRUE(gst_structure_get_int(o, "id", &id));
  EXPECT_EQ(id, 12);
  int count = 0;
  for (GList *l = a->params; l; l = l->next)
    count += gst_structure_has_name(static_cast<GstStructure *>(l->data), "detection");
  EXPECT_EQ(count, 1);

  const auto faces = emo::gst::read_faces(buf.get());
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_DOUBLE_EQ(faces[0].confidence, 0.91);
  EXPECT_EQ(faces[0].detector_model, "blazeface-full");
  ASSERT_EQ(faces[0].keypoints.size(), 6u);
  EXPECT_FLOAT_EQ(faces[0].keypoints[2].x, 150);
  EXPECT_FLOAT_EQ(faces[0].keypoints[2].y, 115);
  EXPECT_DOUBLE_EQ(faces[1].confidence, -1);  // the cascade has no score
  EXPECT_TRUE(faces[1].keypoints.empty());
  EXPECT_EQ(faces[1].detector_model, "cascade");
}

TEST_F(DetectionMetaTest, KeypointsFollowAVideoScale) {
  BufferPtr src(gst_buffer_new_allocate(nullptr, 64, nullptr));
  GstVideoRegionOfInterestMeta *a = emo::gst::add_face(src.get(), {100, 50, 100, 110}, 3);
  emo::gst::set_detection(a, 0.9, kKeypoints, "blazeface-short");
  // What videoconvertscale does to every "size" meta: 1280x720 -> 640x480.
  BufferPtr dest(gst_buffer_new_allocate(nullptr, 64, nullptr));
  emo::test::scale_metas(dest.get(), src.get(), 1280, 720, 640, 480);
  const auto faces = emo::gst::read_faces(dest.get());
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].box, emo::Box(50, 33, 50, 73));
  ASSERT_EQ(faces[0].keypoints.size(), 6u);
  for (size_t i = 0; i < kKeypoints.size(); ++i) {
    EXPECT_NEAR(faces[0].keypoints[i].x, kKeypoints[i].x * 0.5, 0.6) << i;
    EXPECT_NEAR(faces[0].keypoints[i].y, kKeypoints[i].y * 480 / 720.0, 0.6) << i;
  }
  EXPECT_DOUBLE_EQ(faces[0].confidence, 0.9);
  EXPECT_EQ(faces[0].detector_model, "blazeface-short");
}

}  // namespace
