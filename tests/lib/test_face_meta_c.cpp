// SPDX-License-Identifier: LGPL-2.1-or-later
// The C library libgstemometa-1.0 (gst/emo/face-meta.h): every field written is read back,
// "detection" keypoints and "object_id" included; "detection" keypoints survive a scale
// transform (companion meta) rescaled; the C++ reader sees what the C writer wrote.
#include <gst/emo/face-meta.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "../support/meta_scale.hpp"
#include "emo/gst/face_meta.hpp"

namespace {

struct BufferUnref {
  void operator()(GstBuffer *b) const { gst_buffer_unref(b); }
};
using BufferPtr = std::unique_ptr<GstBuffer, BufferUnref>;
struct FaceFree {
  void operator()(GstEmoFace *f) const { gst_emo_face_free(f); }
};
using FacePtr = std::unique_ptr<GstEmoFace, FaceFree>;

std::vector<FacePtr> faces_of(GstBuffer *buffer) {
  GPtrArray *array = gst_emo_buffer_get_faces(buffer);
  std::vector<FacePtr> faces;
  for (guint i = 0; i < array->len; ++i)
    faces.emplace_back(static_cast<GstEmoFace *>(g_ptr_array_index(array, i)));
  g_ptr_array_unref(array);
  return faces;
}

BufferPtr written() {
  BufferPtr buf(gst_buffer_new_allocate(nullptr, 64, nullptr));
  GstVideoRegionOfInterestMeta *roi = gst_emo_buffer_add_face(buf.get(), 100, 50, 200, 220, 3);
  const gfloat landmarks[] = {110.f, 60.f, 290.f, 260.f};
  gst_emo_face_meta_set_landmarks(roi, landmarks, 4, "dlib-ert");
  const gchar *labels[] = {"anger", "happiness", nullptr};
  const gdouble scores[] = {0.25, 0.75};
  gst_emo_face_meta_set_emotion(roi, "happiness", 1, 0.75, labels, scores, 2);
  gst_emo_face_meta_set_tracking(roi, 42, FALSE);
  const gfloat keypoints[] = {150.f, 120.f, 250.f, 120.f};
  gst_emo_face_meta_set_detection(roi, 0.875, keypoints, 4, "blazeface-front");
  // A region of another type is not a face.
  gst_buffer_add_video_region_of_interest_meta(buf.get(), "person", 0, 0, 10, 10);
  return buf;
}

}  // namespace

TEST(FaceMetaC, EveryFieldWrittenIsReadBack) {
  gst_init(nullptr, nullptr);
  BufferPtr buf = written();
  std::vector<FacePtr> faces = faces_of(buf.get());
  ASSERT_EQ(faces.size(), 1u);
  const GstEmoFace *f = faces[0].get();
  EXPECT_EQ(gst_emo_face_get_id(f), 3);
  gint x, y, w, h;
  gst_emo_face_get_box(f, &x, &y, &w, &h);
  EXPECT_EQ(std::vector<gint>({x, y, w, h}), std::vector<gint>({100, 50, 200, 220}));
  guint n = 0;
  const gfloat *lm = gst_emo_face_get_landmarks(f, &n);
  ASSERT_EQ(n, 4u);
  EXPECT_FLOAT_EQ(lm[2], 290.f);
  EXPECT_STREQ(gst_emo_face_get_landmarks_backend(f), "dlib-ert");
  ASSERT_TRUE(gst_emo_face_has_emotion(f));
  EXPECT_STREQ(gst_emo_face_get_emotion_label(f), "happiness");
  EXPECT_EQ(gst_emo_face_get_emotion_class_id(f), 1);
  EXPECT_DOUBLE_EQ(gst_emo_face_get_emotion_confidence(f), 0.75);
  const gchar *const *labels = gst_emo_face_get_emotion_labels(f);
  ASSERT_EQ(g_strv_length(const_cast<gchar **>(labels)), 2u);
  EXPECT_STREQ(labels[1], "happiness");
  const gdouble *scores = gst_emo_face_get_emotion_scores(f, &n);
  ASSERT_EQ(n, 2u);
  EXPECT_DOUBLE_EQ(scores[0], 0.25);
  EXPECT_EQ(gst_emo_face_get_track_id(f), 42);
  EXPECT_FALSE(gst_emo_face_is_detected(f));
  ASSERT_TRUE(gst_emo_face_has_detection(f));
  EXPECT_DOUBLE_EQ(gst_emo_face_get_detection_confidence(f), 0.875);
  const gfloat *kp = gst_emo_face_get_keypoints(f, &n);
  ASSERT_EQ(n, 4u);
  EXPECT_FLOAT_EQ(kp[2], 250.f);
  EXPECT_STREQ(gst_emo_face_get_detection_model(f), "blazeface-front");
  // The DL Streamer-style "object_id" is written beside "tracking".
  GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta_id(buf.get(), 3);
  gint object_id = -1;
  ASSERT_TRUE(gst_structure_get_int(gst_video_region_of_interest_meta_get_param(roi, "object_id"),
                                    "id", &object_id));
  EXPECT_EQ(object_id, 42);
  // A copy is independent of the buffer.
  FacePtr copy(gst_emo_face_copy(f));
  faces.clear();
  buf.reset();
  EXPECT_STREQ(gst_emo_face_get_detection_model(copy.get()), "blazeface-front");

  // The C++ reader is a wrapper of the same reading.
  BufferPtr again = written();
  const std::vector<emo::gst::Face> cpp = emo::gst::read_faces(again.get());
  ASSERT_EQ(cpp.size(), 1u);
  EXPECT_EQ(cpp[0].box, emo::Box(100, 50, 200, 220));
  EXPECT_EQ(cpp[0].track_id, 42);
  ASSERT_TRUE(cpp[0].emotion);
  EXPECT_EQ(cpp[0].emotion->label, "happiness");
  EXPECT_EQ(cpp[0].emotion_labels, std::vector<std::string>({"anger", "happiness"}));
  ASSERT_EQ(cpp[0].landmarks.size(), 2u);
  EXPECT_FLOAT_EQ(cpp[0].landmarks[1].x, 290.f);
}

TEST(FaceMetaC, ObjectIdAloneGivesTheTrackId) {
  gst_init(nullptr, nullptr);
  BufferPtr buf(gst_buffer_new_allocate(nullptr, 64, nullptr));
  GstVideoRegionOfInterestMeta *roi = gst_emo_buffer_add_face(buf.get(), 0, 0, 10, 10, 1);
  gst_video_region_of_interest_meta_add_param(
      roi, gst_structure_new("object_id", "id", G_TYPE_INT, 7, nullptr));
  std::vector<FacePtr> faces = faces_of(buf.get());
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(gst_emo_face_get_track_id(faces[0].get()), 7);
  EXPECT_FALSE(gst_emo_face_has_emotion(faces[0].get()));
  EXPECT_FALSE(gst_emo_face_has_detection(faces[0].get()));
  EXPECT_DOUBLE_EQ(gst_emo_face_get_detection_confidence(faces[0].get()), -1.0);
}

TEST(FaceMetaC, KeypointsAreRescaledWithTheFrame) {
  gst_init(nullptr, nullptr);
  BufferPtr src = written();
  BufferPtr dest(gst_buffer_new_allocate(nullptr, 64, nullptr));
  emo::test::scale_metas(dest.get(), src.get(), 640, 480, 320, 240);
  std::vector<FacePtr> faces = faces_of(dest.get());
  ASSERT_EQ(faces.size(), 1u);  // the ROI meta's own scale: box halved, params lost
  gint x, y, w, h;
  gst_emo_face_get_box(faces[0].get(), &x, &y, &w, &h);
  EXPECT_EQ(w, 100);
  guint n = 0;
  const gfloat *kp = gst_emo_face_get_keypoints(faces[0].get(), &n);
  ASSERT_EQ(n, 4u);  // from the companion, halved
  EXPECT_FLOAT_EQ(kp[0], 75.f);
  EXPECT_FLOAT_EQ(kp[1], 60.f);
  EXPECT_STREQ(gst_emo_face_get_emotion_label(faces[0].get()), "happiness");
  EXPECT_EQ(gst_emo_face_get_track_id(faces[0].get()), 42);
}
