// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the face metadata layout (emo::gst) on real GstBuffers.
#include <cstring>

#include <gtest/gtest.h>

#include "emo/gst/face_meta.hpp"

namespace {

class FaceMetaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override { buffer_ = gst_buffer_new_allocate(nullptr, 64, nullptr); }
  void TearDown() override { gst_buffer_unref(buffer_); }

  static int count_params(const GstVideoRegionOfInterestMeta *meta, const char *name) {
    int n = 0;
    for (GList *l = meta->params; l != nullptr; l = l->next)
      n += gst_structure_has_name(static_cast<GstStructure *>(l->data), name);
    return n;
  }

  static emo::Prediction prediction(int class_id, std::vector<float> scores,
                                    const std::vector<std::string> &labels) {
    emo::Prediction p;
    p.class_id = class_id;
    p.label = labels[static_cast<size_t>(class_id)];
    p.scores = std::move(scores);
    p.confidence = p.scores[static_cast<size_t>(class_id)];
    return p;
  }

  GstBuffer *buffer_ = nullptr;
  const std::vector<std::string> labels_{"anger", "happiness", "neutral"};
};

TEST_F(FaceMetaTest, RoundTrip) {
  GstVideoRegionOfInterestMeta *a = emo::gst::add_face(buffer_, {100, 50, 200, 220}, 7);
  GstVideoRegionOfInterestMeta *b = emo::gst::add_face(buffer_, {400, 60, 90, 100}, 8);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(g_quark_to_string(a->roi_type), "face");
  EXPECT_EQ(a->parent_id, -1);
  const std::vector<emo::Point> points{{120.5f, 80.25f}, {250.f, 81.f}, {180.f, 200.75f}};
  emo::gst::set_landmarks(a, points, "dlib-ert");
  const auto pa = prediction(1, {0.1f, 0.7f, 0.2f}, labels_);
  emo::gst::set_emotion(a, pa, labels_);
  const auto pb = prediction(2, {0.25f, 0.25f, 0.5f}, labels_);
  emo::gst::set_emotion(b, pb, labels_);

  const std::vector<emo::gst::Face> faces = emo::gst::read_faces(buffer_);
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_EQ(faces[0].meta, a);
  EXPECT_EQ(faces[0].id, 7);
  EXPECT_EQ(faces[0].box, emo::Box(100, 50, 200, 220));
  EXPECT_EQ(faces[0].landmarks, points);
  ASSERT_TRUE(faces[0].emotion.has_value());
  EXPECT_EQ(faces[0].emotion->class_id, 1);
  EXPECT_EQ(faces[0].emotion->label, "happiness");
  EXPECT_FLOAT_EQ(faces[0].emotion->confidence, 0.7f);
  EXPECT_EQ(faces[0].emotion->scores, pa.scores);
  EXPECT_EQ(faces[0].emotion_labels, labels_);

  EXPECT_EQ(faces[1].id, 8);
  EXPECT_EQ(faces[1].box, emo::Box(400, 60, 90, 100));
  EXPECT_TRUE(faces[1].landmarks.empty());
  ASSERT_TRUE(faces[1].emotion.has_value());
  EXPECT_EQ(faces[1].emotion->label, "neutral");
  EXPECT_EQ(faces[1].emotion->scores, pb.scores);
}

TEST_F(FaceMetaTest, StructuresFollowTheDocumentedLayout) {
  GstVideoRegionOfInterestMeta *m = emo::gst::add_face(buffer_, {10, 20, 30, 40}, 1);
  emo::gst::set_landmarks(m, {{11.f, 21.f}, {12.f, 22.f}}, "opencv-lbf");
  emo::gst::set_emotion(m, prediction(0, {0.6f, 0.3f, 0.1f}, labels_), labels_);

  const GstStructure *lm = gst_video_region_of_interest_meta_get_param(m, "landmarks");
  ASSERT_NE(lm, nullptr);
  guint n = 0;
  EXPECT_TRUE(gst_structure_get_uint(lm, "n-points", &n));
  EXPECT_EQ(n, 2u);
  const GValue *pts = gst_structure_get_value(lm, "points");
  ASSERT_TRUE(pts && GST_VALUE_HOLDS_ARRAY(pts));
  ASSERT_EQ(gst_value_array_get_size(pts), 4u);
  EXPECT_TRUE(G_VALUE_HOLDS_FLOAT(gst_value_array_get_value(pts, 0)));
  EXPECT_EQ(g_value_get_float(gst_value_array_get_value(pts, 3)), 22.f);
  const GValue *region = gst_structure_get_value(lm, "region");
  ASSERT_TRUE(region && GST_VALUE_HOLDS_ARRAY(region));
  ASSERT_EQ(gst_value_array_get_size(region), 4u);
  EXPECT_EQ(g_value_get_int(gst_value_array_get_value(region, 2)), 30);
  EXPECT_STREQ(gst_structure_get_string(lm, "backend"), "opencv-lbf");

  const GstStructure *em = gst_video_region_of_interest_meta_get_param(m, "emotion");
  ASSERT_NE(em, nullptr);
  EXPECT_STREQ(gst_structure_get_string(em, "label"), "anger");
  gint id = -1;
  EXPECT_TRUE(gst_structure_get_int(em, "class-id", &id));
  EXPECT_EQ(id, 0);
  gdouble conf = 0;
  EXPECT_TRUE(gst_structure_get_double(em, "confidence", &conf));
  EXPECT_NEAR(conf, 0.6, 1e-6);
  const GValue *names = gst_structure_get_value(em, "labels");
  ASSERT_TRUE(names && GST_VALUE_HOLDS_ARRAY(names));
  ASSERT_EQ(gst_value_array_get_size(names), 3u);
  EXPECT_STREQ(g_value_get_string(gst_value_array_get_value(names, 2)), "neutral");
  const GValue *scores = gst_structure_get_value(em, "scores");
  ASSERT_TRUE(scores && GST_VALUE_HOLDS_ARRAY(scores));
  EXPECT_TRUE(G_VALUE_HOLDS_DOUBLE(gst_value_array_get_value(scores, 0)));
}

TEST_F(FaceMetaTest, ReplacingKeepsOneStructure) {
  GstVideoRegionOfInterestMeta *m = emo::gst::add_face(buffer_, {0, 0, 100, 100}, 3);
  emo::gst::set_emotion(m, prediction(0, {0.9f, 0.05f, 0.05f}, labels_), labels_);
  emo::gst::set_emotion(m, prediction(2, {0.1f, 0.1f, 0.8f}, labels_), labels_);
  emo::gst::set_landmarks(m, {{1.f, 2.f}}, "dlib-ert");
  emo::gst::set_landmarks(m, {{3.f, 4.f}, {5.f, 6.f}}, "dlib-ert");
  EXPECT_EQ(count_params(m, "emotion"), 1);
  EXPECT_EQ(count_params(m, "landmarks"), 1);
  const auto emotion = emo::gst::get_emotion(m);
  ASSERT_TRUE(emotion.has_value());
  EXPECT_EQ(emotion->label, "neutral");
  EXPECT_EQ(emotion->class_id, 2);
  EXPECT_EQ(emo::gst::get_landmarks(m), (std::vector<emo::Point>{{3.f, 4.f}, {5.f, 6.f}}));
}

TEST_F(FaceMetaTest, LandmarksFollowARescaledRegion) {
  GstVideoRegionOfInterestMeta *m = emo::gst::add_face(buffer_, {100, 50, 200, 100}, 4);
  emo::gst::set_landmarks(m, {{100.f, 50.f}, {150.f, 100.f}, {300.f, 150.f}}, "dlib-ert");
  // What videoscale does to a 2x downscaled frame's ROI meta.
  m->x = 50;
  m->y = 25;
  m->w = 100;
  m->h = 50;
  const auto p = emo::gst::get_landmarks(m);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_FLOAT_EQ(p[0].x, 50.f);
  EXPECT_FLOAT_EQ(p[0].y, 25.f);
  EXPECT_FLOAT_EQ(p[1].x, 75.f);
  EXPECT_FLOAT_EQ(p[1].y, 50.f);
  EXPECT_FLOAT_EQ(p[2].x, 150.f);
  EXPECT_FLOAT_EQ(p[2].y, 75.f);
  // A non-uniform change (crop + stretch) maps each axis on its own.
  m->x = 0;
  m->y = 0;
  m->w = 400;
  m->h = 100;
  const auto q = emo::gst::get_landmarks(m);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_FLOAT_EQ(q[1].x, 100.f);
  EXPECT_FLOAT_EQ(q[1].y, 50.f);
  EXPECT_EQ(emo::gst::read_faces(buffer_)[0].landmarks, q);
}

TEST_F(FaceMetaTest, MetaSurvivesABufferCopy) {
  GstVideoRegionOfInterestMeta *m = emo::gst::add_face(buffer_, {5, 6, 70, 80}, 9);
  emo::gst::set_landmarks(m, {{10.f, 20.f}}, "dlib-ert");
  emo::gst::set_emotion(m, prediction(1, {0.f, 1.f, 0.f}, labels_), labels_);
  GstBuffer *copy = gst_buffer_copy(buffer_);
  const auto faces = emo::gst::read_faces(copy);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].id, 9);
  EXPECT_EQ(faces[0].landmarks, (std::vector<emo::Point>{{10.f, 20.f}}));
  ASSERT_TRUE(faces[0].emotion.has_value());
  EXPECT_EQ(faces[0].emotion->label, "happiness");
  gst_buffer_unref(copy);
}

TEST_F(FaceMetaTest, TrackingRoundTripsAndDefaultsToUntracked) {
  GstVideoRegionOfInterestMeta *a = emo::gst::add_face(buffer_, {0, 0, 10, 10}, 1);
  GstVideoRegionOfInterestMeta *b = emo::gst::add_face(buffer_, {20, 0, 10, 10}, 2);
  emo::gst::set_tracking(a, 7, true);
  emo::gst::set_tracking(a, 1ull << 40, false);  // replaces, and keeps 64 bits
  auto faces = emo::gst::read_faces(buffer_);
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_EQ(faces[0].track_id, static_cast<std::int64_t>(1ull << 40));
  EXPECT_FALSE(faces[0].detected);
  EXPECT_EQ(faces[1].track_id, -1);
  EXPECT_TRUE(faces[1].detected);
  // "tracking" and DL Streamer's "object_id" (id = track id), each once.
  EXPECT_EQ(g_list_length(a->params), 2u);
  gint object_id = 0;
  EXPECT_TRUE(gst_structure_get_int(gst_video_region_of_interest_meta_get_param(a, "object_id"),
                                    "id", &object_id));
  EXPECT_EQ(object_id, static_cast<gint>(1ull << 40));
  EXPECT_FALSE(faces[0].shot_start);  // absent: FALSE
  emo::gst::set_tracking(b, 3, true, true);
  faces = emo::gst::read_faces(buffer_);
  EXPECT_TRUE(faces[1].shot_start);
  EXPECT_EQ(faces[1].track_id, 3);
  EXPECT_FALSE(faces[0].shot_start);
}

TEST_F(FaceMetaTest, SkipsOtherRegionsAndMalformedFields) {
  gst_buffer_add_video_region_of_interest_meta(buffer_, "car", 1, 2, 3, 4);
  GstVideoRegionOfInterestMeta *m = emo::gst::add_face(buffer_, {0, 0, 10, 10}, 5);
  // A landmarks structure whose points are strings, and an emotion without scores.
  gst_video_region_of_interest_meta_add_param(
      m, gst_structure_new("landmarks", "n-points", G_TYPE_UINT, 1u, "points", G_TYPE_STRING, "1,2",
                           nullptr));
  gst_video_region_of_interest_meta_add_param(
      m, gst_structure_new("emotion", "label", G_TYPE_STRING, "fear", "class-id", G_TYPE_INT, 3,
                           nullptr));
  const auto faces = emo::gst::read_faces(buffer_);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].id, 5);
  EXPECT_TRUE(faces[0].landmarks.empty());
  ASSERT_TRUE(faces[0].emotion.has_value());
  EXPECT_EQ(faces[0].emotion->label, "fear");
  EXPECT_TRUE(faces[0].emotion->scores.empty());

  // n-points disagreeing with the array length is malformed too.
  emo::gst::set_landmarks(m, {{1.f, 1.f}, {2.f, 2.f}}, "dlib-ert");
  GstStructure *lm = gst_video_region_of_interest_meta_get_param(m, "landmarks");
  gst_structure_set(lm, "n-points", G_TYPE_UINT, 5u, nullptr);
  EXPECT_TRUE(emo::gst::get_landmarks(m).empty());

  EXPECT_TRUE(emo::gst::get_landmarks(nullptr).empty());
  EXPECT_FALSE(emo::gst::get_emotion(nullptr).has_value());
  EXPECT_TRUE(emo::gst::read_faces(nullptr).empty());
}

}  // namespace
