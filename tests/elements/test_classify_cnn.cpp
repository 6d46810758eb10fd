// SPDX-License-Identifier: LGPL-2.1-or-later
// emoclassify through GstHarness with the appearance CNN (models/emotion-cnn.json), the default
// fine-tuned CNN (models/emotion-finetuned.json), the fused model (models/emotion-fused.yml.gz)
// and the prototype's landmark forest (models/happy-sad.yml.gz), on the real astronaut
// portrait; reclassify-interval.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>

#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/classify/emotion_model.hpp"
#include "emo/detect/detector.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/landmarks/landmarker.hpp"

using namespace emo_test;

namespace {

std::string model(const char *name) {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return std::string(dir && *dir ? dir : ".") + "/" + name;
}

// The astronaut's label through emofacedetect ! emolandmarks ! emoclassify model=...
std::optional<emo::Prediction> classify_astronaut(const std::string &model_path,
                                                  const std::string &format) {
  HarnessPtr h = make_harness(
      "emofacedetect ! emolandmarks ! emoclassify classify-shot-start=true model=" + model_path,
      format);
  EXPECT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), format).release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  const auto faces = emo::gst::read_faces(out.get());
  EXPECT_EQ(faces.size(), 1u);
  return faces.empty() ? std::nullopt : faces[0].emotion;
}

TEST(ClassifyCnn, TheCnnModelReadsTheAstronautsSmileInEveryLumaLayout) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  for (const char *format : {"I420", "NV12", "BGRx", "GRAY8"}) {
    const auto p = classify_astronaut(model("emotion-cnn.json"), format);
    ASSERT_TRUE(p) << format;
    EXPECT_EQ(p->label, "happiness") << format;
    EXPECT_EQ(p->scores.size(), 7u) << format;
    EXPECT_GT(p->confidence, 0.9f) << format;
    EXPECT_NEAR(std::accumulate(p->scores.begin(), p->scores.end(), 0.f), 1.f, 1e-4);
  }
}

// Two faces of one frame run at once (the streaming thread and the element's helper,
// a CNN copy each): every face gets the scores the library gives for it alone.
TEST(ClassifyCnn, FacesClassifiedInOneBatchGetTheirOwnScores) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  cv::Mat frame(384, 1024, CV_8UC3, cv::Scalar(120, 120, 120)), small, flipped;
  cv::resize(astronaut(), small, cv::Size(384, 384), 0, 0, cv::INTER_AREA);
  cv::flip(small, flipped, 1);
  small.copyTo(frame(cv::Rect(0, 0, 384, 384)));
  flipped.copyTo(frame(cv::Rect(512, 0, 384, 384)));
  const std::string path = model("emotion-finetuned.json");
  HarnessPtr h(gst_harness_new_parse(
      ("emofacedetect ! emolandmarks ! emoclassify smoothing=0 max-classifications=0 "
       "classify-shot-start=true model=" +
       path)
          .c_str()));
  gst_harness_set_src_caps_str(h.get(), video_caps("GRAY8", 1024, 384).c_str());
  ASSERT_EQ(gst_harness_push(h.get(), make_frame(frame, "GRAY8").release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  const auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 2u);
  GstMapInfo info;
  ASSERT_TRUE(gst_buffer_map(out.get(), &info, GST_MAP_READ));
  const cv::Mat gray(384, 1024, CV_8UC1, info.data);  // GRAY8, stride 1024: the frame's luma
  const auto direct = emo::shared_emotion_model(path);
  for (const emo::gst::Face &face : faces) {
    ASSERT_TRUE(face.emotion);
    const emo::Prediction p = direct->predict(gray, face.box, face.landmarks);
    ASSERT_EQ(face.emotion->scores.size(), p.scores.size());
    for (size_t c = 0; c < p.scores.size(); ++c)
      EXPECT_NEAR(face.emotion->scores[c], p.scores[c], 1e-6) << face.box << " class " << c;
  }
  gst_buffer_unmap(out.get(), &info);
}

TEST(ClassifyCnn, TheDefaultFineTunedCnnTheFusedModelAndTheHappySadForest) {
  ASSERT_FALSE(astronaut().empty());
  const auto finetuned = classify_astronaut(model("emotion-finetuned.json"), "I420");
  ASSERT_TRUE(finetuned);
  EXPECT_EQ(finetuned->label, "happiness");
  EXPECT_EQ(finetuned->scores.size(), 6u);
  EXPECT_GT(finetuned->confidence, 0.5f);
  const auto fused = classify_astronaut(model("emotion-fused.yml.gz"), "I420");
  ASSERT_TRUE(fused);
  EXPECT_EQ(fused->label, "happiness");
  EXPECT_EQ(fused->scores.size(), 6u);
  const auto forest = classify_astronaut(model("happy-sad.yml.gz"), "I420");
  ASSERT_TRUE(forest);
  EXPECT_EQ(forest->label, "HAPPY");
  // The element's default is the ensemble of the fine-tuned CNN and the FER+ candidate.
  GstElement *e = gst_element_factory_make("emoclassify", nullptr);
  ASSERT_NE(e, nullptr);
  gchar *m = nullptr;
  guint interval = 0;
  g_object_get(e, "model", &m, "reclassify-interval", &interval, nullptr);
  EXPECT_TRUE(g_str_has_suffix(m, "/emotion-ferplus-e2e.json")) << m;
  EXPECT_GE(interval, 1u);
  g_free(m);
  gst_object_unref(e);
}

TEST(ClassifyCnn, ReclassifiesATrackEveryIntervalFrames) {
  ASSERT_FALSE(astronaut().empty());
  // The real face, its box and landmarks, on a tracked region; every other frame the face's
  // pixels are blurred flat, which changes the CNN's scores but not the region.
  cv::Mat gray;
  cv::cvtColor(astronaut(), gray, cv::COLOR_BGR2GRAY);
  emo::FaceDetector detector(emo::FaceDetector::kDefaultModel);
  const auto boxes = detector.detect(gray, emo::DetectorParams{});
  ASSERT_EQ(boxes.size(), 1u);
  const auto points = emo::Landmarker(emo::Landmarker::kDefaultModel).fit(gray, boxes[0]);
  cv::Mat flat = astronaut().clone();
  cv::GaussianBlur(flat(boxes[0]), flat(boxes[0]), cv::Size(0, 0), 12);

  auto run = [&](guint interval) {
    HarnessPtr h = make_element_harness("emoclassify", "I420", model("emotion-cnn.json"));
    g_object_set(h->element, "smoothing", 0.0, "reclassify-interval", interval, nullptr);
    std::vector<float> happiness;
    for (int i = 0; i < 6; ++i) {
      BufferPtr in = make_frame(i % 2 ? flat : astronaut(), "I420", i * GST_SECOND / 30);
      auto *meta = emo::gst::add_face(in.get(), boxes[0], 1);
      emo::gst::set_landmarks(meta, points, "dlib-ert");
      emo::gst::set_tracking(meta, 7, i == 0);
      EXPECT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
      BufferPtr out(gst_harness_pull(h.get()));
      const auto faces = emo::gst::read_faces(out.get());
      EXPECT_EQ(faces.size(), 1u);
      happiness.push_back(faces.empty() || !faces[0].emotion ? -1.f : faces[0].emotion->scores[3]);
    }
    return happiness;
  };
  const std::vector<float> every = run(1), third = run(3);
  // Every frame: the blurred frames score differently from the real ones.
  EXPECT_GT(std::abs(every[0] - every[1]), 0.05f);
  // Every third frame: frames 1, 2 reuse frame 0's scores, 4, 5 reuse frame 3's (blurred).
  EXPECT_FLOAT_EQ(third[1], third[0]);
  EXPECT_FLOAT_EQ(third[2], third[0]);
  EXPECT_FLOAT_EQ(third[3], every[3]);
  EXPECT_FLOAT_EQ(third[4], third[3]);
  EXPECT_FLOAT_EQ(third[0], every[0]);
}

// With a model that reads the pixels, a blurred face gets no emotion ("blurred"), a sharp one
// its label; the structure carries the measured sharpness.
TEST(ClassifyCnn, ABlurredFaceGetsNoEmotion) {
  ASSERT_FALSE(astronaut().empty());
  cv::Mat soft;
  cv::GaussianBlur(astronaut(), soft, cv::Size(), 5.0);
  HarnessPtr h = make_element_harness("emoclassify", "I420", model("emotion-finetuned.json"));
  GstClockTime pts = 0;
  for (const bool blurred : {false, true}) {
    BufferPtr in = make_frame(blurred ? soft : astronaut(), "I420", pts += GST_SECOND);
    emo::gst::add_face(in.get(), emo::Box(170, 40, 110, 130), 1);  // the astronaut's face
    ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h.get()));
    GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta(out.get());
    ASSERT_NE(roi, nullptr);
    const GstStructure *s = gst_video_region_of_interest_meta_get_param(roi, "emotion");
    ASSERT_NE(s, nullptr);
    gdouble sharpness = 0;
    EXPECT_TRUE(gst_structure_get_double(s, "sharpness", &sharpness));
    EXPECT_STREQ(gst_structure_get_string(s, "unsure"), blurred ? "blurred" : "") << sharpness;
    EXPECT_STREQ(gst_structure_get_string(s, "label"), blurred ? "unknown" : "happiness");
  }
}

TEST(ClassifyCnn, MissingOnnxBesideASidecarFailsToStartAndNamesIt) {
  const std::string side = temp_dir() + "/lonely.json";
  FILE *f = std::fopen(side.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "{ \"format\": \"gst-emo-cnn-model\", \"version\": 1, \"model\": \"gone.onnx\", "
      "\"input\": { \"width\": 64, \"height\": 64, \"color\": \"grey\", \"scale\": 1, "
      "\"offset\": 0 }, \"outputs\": { \"scores\": \"scores\" }, "
      "\"labels\": [\"a\", \"b\"] }",
      f);
  std::fclose(f);
  std::string error;
  EXPECT_EQ(start_with_model("emoclassify", side, error), GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error.find(temp_dir() + "/gone.onnx"), std::string::npos) << error;
}

TEST(ClassifyCnn, ATruncatedOrGarbageOnnxFailsToStartAndNamesIt) {
  // The default model's sidecar beside a truncated copy of its network, then beside garbage.
  std::ifstream in(model("emotion-finetuned.onnx"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 1000u);
  std::ifstream sin(model("emotion-finetuned.json"));
  const std::string sidecar((std::istreambuf_iterator<char>(sin)), {});
  int n = 0;
  for (const std::string &content : {bytes.substr(0, bytes.size() / 2), std::string("garbage")}) {
    const std::string dir = temp_dir() + "/bad-onnx-" + std::to_string(n++);
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/emotion-finetuned.onnx", std::ios::binary) << content;
    std::ofstream(dir + "/emotion-ferplus-e2e.json") << sidecar;
    std::string error;
    EXPECT_EQ(start_with_model("emoclassify", dir + "/emotion-ferplus-e2e.json", error),
              GST_STATE_CHANGE_FAILURE);
    EXPECT_NE(error.find(dir + "/emotion-finetuned.onnx"), std::string::npos) << error;
    EXPECT_NE(error.find("sidecar"), std::string::npos) << error;  // where the name came from
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
