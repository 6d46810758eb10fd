// SPDX-License-Identifier: LGPL-2.1-or-later
// emofacedetect with the BlazeFace CNN (its default): the "detection" and "object_id"
// structures, the threshold, a non-square frame, the short-range model, the cascade option
// and model errors.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/detect/blazeface.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

std::string model_dir() {
  const char *d = g_getenv("GST_EMO_MODEL_DIR");
  return d ? d : "";
}

// One frame through emofacedetect with `props`: the buffer that came out (kept, since the
// faces point into its metas) and its faces.
struct Detected {
  BufferPtr buffer;
  std::vector<emo::gst::Face> faces;
};
Detected detect(const std::string &props, const cv::Mat &image,
                const std::string &format = "I420") {
  HarnessPtr h = make_harness("emofacedetect " + props, format);
  EXPECT_EQ(gst_harness_push(h.get(), make_frame(image, format).release()), GST_FLOW_OK);
  Detected d;
  d.buffer.reset(gst_harness_pull(h.get()));
  EXPECT_TRUE(d.buffer);
  if (d.buffer) d.faces = emo::gst::read_faces(d.buffer.get());
  return d;
}

class FaceDetectBlazeFaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
    ASSERT_FALSE(model_dir().empty()) << "GST_EMO_MODEL_DIR is not set";
  }
};

TEST_F(FaceDetectBlazeFaceTest, DefaultIsBlazeFaceWithDetectionAndObjectId) {
  ElementPtr e(gst_element_factory_make("emofacedetect", nullptr));
  gchar *model = nullptr;
  gdouble threshold = 0;
  g_object_get(e.get(), "model", &model, "threshold", &threshold, nullptr);
  EXPECT_NE(std::string(model).find("blazeface/face_detection_back_256_rect.onnx"),
            std::string::npos)
      << model;
  g_free(model);
  EXPECT_DOUBLE_EQ(threshold, 0.52);

  for (const char *format : {"I420", "RGB", "GRAY8"}) {
    SCOPED_TRACE(format);
    const Detected out = detect("", astronaut(), format);
    const auto &faces = out.faces;
    ASSERT_EQ(faces.size(), 1u);
    const emo::gst::Face &f = faces[0];
    EXPECT_EQ(f.detector_model, "blazeface-full");
    EXPECT_GT(f.confidence, 0.52);
    EXPECT_LE(f.confidence, 1.0);
    ASSERT_EQ(f.keypoints.size(), 6u);
    for (int k = 0; k < 4; ++k)  // eyes, nose, mouth inside the box
      EXPECT_TRUE(cv::Rect2f(f.box).contains(f.keypoints[k])) << k << " " << f.keypoints[k];
    EXPECT_LT(f.keypoints[0].x, f.keypoints[1].x);  // the person's right eye on the left
    // DL Streamer's object_id = the track id.
    const GstStructure *o = gst_video_region_of_interest_meta_get_param(f.meta, "object_id");
    ASSERT_NE(o, nullptr);
    gint id = -1;
    ASSERT_TRUE(gst_structure_get_int(o, "id", &id));
    EXPECT_EQ(id, f.track_id);
    EXPECT_GE(f.track_id, 1);
    const GstStructure *d = gst_video_region_of_interest_meta_get_param(f.meta, "detection");
    ASSERT_NE(d, nullptr);
    guint n = 0;
    EXPECT_TRUE(gst_structure_get_uint(d, "n-keypoints", &n));
    EXPECT_EQ(n, 6u);
  }
}

TEST_F(FaceDetectBlazeFaceTest, ThresholdIsHonoured) {
  const auto all = detect("threshold=0.6", astronaut()).faces;
  ASSERT_EQ(all.size(), 1u);
  const double score = all[0].confidence;
  ASSERT_GT(score, 0.6);
  EXPECT_EQ(detect("threshold=" + std::to_string(std::min(0.999, score + 0.02)), astronaut())
                .faces.size(),
            0u);
  EXPECT_EQ(detect("threshold=" + std::to_string(score - 0.05), astronaut()).faces.size(), 1u);
}

TEST_F(FaceDetectBlazeFaceTest, NonSquareFrameMapsBackToTheFace) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(60, 110, 90));
  astronaut().copyTo(frame(cv::Rect(640, 100, 512, 512)));
  for (const char *format : {"NV12", "YUY2", "BGRx"}) {
    SCOPED_TRACE(format);
    HarnessPtr h(gst_harness_new_parse("emofacedetect"));
    gst_harness_set_src_caps_str(h.get(), video_caps(format, 1280, 720).c_str());
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(frame, format).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    ASSERT_TRUE(out);
    const auto faces = emo::gst::read_faces(out.get());
    ASSERT_EQ(faces.size(), 1u);
    EXPECT_GT(emo::iou(faces[0].box, emo::Box(172 + 640, 74 + 100, 105, 105)), 0.7) << faces[0].box;
  }
}

TEST_F(FaceDetectBlazeFaceTest, ShortRangeAndCascadeModels) {
  const auto near =
      detect("model=" + model_dir() + "/blazeface/face_detection_front_128_rect.onnx", astronaut())
          .faces;
  ASSERT_EQ(near.size(), 1u);
  EXPECT_EQ(near[0].detector_model, "blazeface-short");
  EXPECT_EQ(near[0].keypoints.size(), 6u);
  const auto cascade =
      detect("model=/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
             astronaut())
          .faces;
  ASSERT_EQ(cascade.size(), 1u);
  EXPECT_EQ(cascade[0].detector_model, "cascade");
  EXPECT_DOUBLE_EQ(cascade[0].confidence, -1);  // no score
  EXPECT_TRUE(cascade[0].keypoints.empty());
}

TEST_F(FaceDetectBlazeFaceTest, MissingOrCorruptModelIsAnErrorNamingPathAndHowToGetIt) {
  const std::string missing = temp_dir() + "/missing.onnx";
  const std::string corrupt = temp_dir() + "/corrupt.onnx";
  std::ofstream(corrupt) << "not a network";
  const std::string truncated = temp_dir() + "/truncated.onnx";
  {
    std::ifstream in(model_dir() + "/" + emo::detect::kFullRangeModel, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    ASSERT_GT(bytes.size(), 1000u);
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  for (const std::string &path : {missing, corrupt, truncated}) {
    std::string error;
    EXPECT_EQ(start_with_model("emofacedetect", path, error), GST_STATE_CHANGE_FAILURE);
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find("tools/fetch-models.sh"), std::string::npos) << error;
    EXPECT_EQ(error.find("opencv-data"), std::string::npos) << error;
  }
}

}  // namespace
