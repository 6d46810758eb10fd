// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the appearance CNN (emo::CnnModel, its JSON sidecar), face alignment, the fused
// model and emo::EmotionModel's choice of model kind, on the committed models and real faces.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/classify/align.hpp"
#include "emo/classify/cnn.hpp"
#include "emo/classify/emotion_model.hpp"
#include "emo/classify/fused.hpp"
#include "emo/detect/detector.hpp"
#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "test_data.hpp"

namespace {

std::string model_dir() {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return dir && *dir ? dir : EMO_TEST_MODEL_DIR;
}
std::string sidecar() { return model_dir() + "/emotion-cnn.json"; }

// The astronaut's face: luma, box and 68 landmarks.
struct RealFace {
  cv::Mat gray;
  emo::Box box;
  std::vector<emo::Point> points;
};
const RealFace &astronaut() {
  static const RealFace face = [] {
    RealFace f;
    f.gray = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
    emo::FaceDetector detector(emo::FaceDetector::kDefaultModel);
    const auto boxes = detector.detect(f.gray, emo::DetectorParams{});
    if (boxes.empty()) return f;
    f.box = boxes.front();
    f.points = emo::Landmarker(emo::Landmarker::kDefaultModel).fit(f.gray, f.box);
    return f;
  }();
  return face;
}

std::string write(const std::filesystem::path &p, const std::string &text) {
  std::ofstream(p) << text;
  return p.string();
}

// A valid sidecar for the committed ONNX, with `replace` applied to one member.
std::string sidecar_text(const std::string &onnx, const std::string &extra = "",
                         const std::string &input =
                             "\"width\": 64, \"height\": 64, "
                             "\"color\": \"grey\", \"scale\": "
                             "0.00784313725490196, \"offset\": -1.0",
                         const std::string &labels = "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"") {
  return "{ \"format\": \"gst-emo-cnn-model\", \"version\": 1, \"model\": \"" + onnx +
         "\", \"input\": { " + input +
         " }, \"outputs\": { \"scores\": \"scores\", \"embedding\": \"embedding\" }, " + extra +
         "\"labels\": [" + labels + "] }";
}

void expect_model_error(const std::string &path, const std::string &named,
                        const std::string &says) {
  try {
    emo::CnnModel::load(path);
    FAIL() << "no error for " << path;
  } catch (const emo::ModelError &e) {
    EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(CnnSidecar, ParsesTheCommittedSidecar) {
  const emo::CnnSpec s = emo::CnnSpec::parse(sidecar());
  EXPECT_EQ(s.input.width, 64);
  EXPECT_EQ(s.input.height, 64);
  EXPECT_EQ(s.input.colour, emo::InputColour::kGrey);
  EXPECT_NEAR(s.input.scale[0] * 255.0 + s.input.offset[0], 1.0, 1e-9);  // [0, 255] -> [-1, 1]
  EXPECT_DOUBLE_EQ(s.input.offset[0], -1.0);
  EXPECT_EQ(s.onnx, model_dir() + "/emotion-cnn.onnx");
  ASSERT_EQ(s.labels.size(), 7u);
  EXPECT_EQ(s.labels[3], "happiness");
  EXPECT_EQ(s.labels[6], "neutral");
  EXPECT_EQ(s.embedding_output, "embedding");
}

TEST(CnnSidecar, LoadsFromTheOnnxPathToo) {
  const auto m = emo::CnnModel::load(model_dir() + "/emotion-cnn.onnx");
  EXPECT_EQ(m->labels().size(), 7u);
  EXPECT_EQ(m->embedding_size(), 256);
}

TEST(CnnSidecar, BadSidecarsAndMissingFilesNameThePath) {
  const auto dir = emo::test::temp_dir("cnn-sidecar");
  const std::string onnx = model_dir() + "/emotion-cnn.onnx";
  expect_model_error((dir / "none.json").string(), (dir / "none.json").string(), "no such file");
  expect_model_error(write(dir / "text.json", "not json at all {"), "text.json", "");
  expect_model_error(write(dir / "fmt.json", "{ \"format\": \"other\" }"), "fmt.json",
                     "format must be \"gst-emo-cnn-model\"");
  expect_model_error(write(dir / "nomodel.json", sidecar_text(onnx + ".missing")),
                     onnx + ".missing", "named by the sidecar");
  expect_model_error(
      write(dir / "colour.json", sidecar_text(onnx, "",
                                              "\"width\": 64, \"height\": 64, \"color\": \"cmyk\", "
                                              "\"scale\": 1, \"offset\": 0")),
      "colour.json", "input.color is \"cmyk\", not one of");
  expect_model_error(
      write(dir / "width.json", sidecar_text(onnx, "",
                                             "\"width\": \"wide\", \"height\": 64, \"color\": "
                                             "\"grey\", \"scale\": 1, \"offset\": 0")),
      "width.json", "input.width must be an integer");
  expect_model_error(write(dir / "labels.json", sidecar_text(onnx, "",
                                                             "\"width\": 64, "
                                                             "\"height\": 64, \"color\": "
                                                             "\"grey\", \"scale\": 1, "
                                                             "\"offset\": 0",
                                                             "\"a\",\"b\",\"c\"")),
                     "labels.json", "labels has 3 entries but output \"scores\" has 7 (?x7)");
  expect_model_error(write(dir / "crop.json", sidecar_text(onnx, "\"crop\": { \"size\": 50 }, ")),
                     "crop.json", "crop.size is 50, out of range");
  // The same text with a good crop loads.
  EXPECT_NO_THROW(emo::CnnModel::load(
      write(dir / "ok.json", sidecar_text(onnx, "\"crop\": { \"size\": 2.0 }, "))));
  std::filesystem::remove_all(dir);
}

TEST(AlignFace, LevelsTheEyes) {
  const RealFace &f = astronaut();
  ASSERT_EQ(f.points.size(), 68u) << "no face found in " << emo::test::kAstronaut;
  // Rotate the whole portrait by 20 degrees: the aligned crop must barely change.
  const cv::Point2f c(f.gray.cols / 2.f, f.gray.rows / 2.f);
  const cv::Mat r = cv::getRotationMatrix2D(c, 20.0, 1.0);
  cv::Mat rotated;
  cv::warpAffine(f.gray, rotated, r, f.gray.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  std::vector<emo::Point> moved;
  for (const emo::Point &p : f.points)
    moved.emplace_back(static_cast<float>(r.at<double>(0, 0) * p.x + r.at<double>(0, 1) * p.y +
                                          r.at<double>(0, 2)),
                       static_cast<float>(r.at<double>(1, 0) * p.x + r.at<double>(1, 1) * p.y +
                                          r.at<double>(1, 2)));
  const cv::Mat a = emo::align_face(f.gray, f.box, f.points, 64);
  const cv::Mat b = emo::align_face(rotated, f.box, moved, 64);
  ASSERT_EQ(a.size(), cv::Size(64, 64));
  ASSERT_EQ(a.type(), CV_8UC1);
  const double same = cv::norm(a, b, cv::NORM_L1) / a.total();
  // Unaligned (box crops of the two images) differ much more.
  const cv::Mat ua = emo::align_face(f.gray, f.box, {}, 64);
  const cv::Mat ub = emo::align_face(rotated, f.box, {}, 64);
  const double unaligned = cv::norm(ua, ub, cv::NORM_L1) / ua.total();
  EXPECT_LT(same, 8.0);
  EXPECT_GT(unaligned, 2.0 * same) << same << " vs " << unaligned;
  EXPECT_THROW(emo::align_face(cv::Mat(), f.box, {}, 64), std::invalid_argument);
}

TEST(CnnModel, TheAstronautSmiles) {
  const RealFace &f = astronaut();
  ASSERT_EQ(f.points.size(), 68u);
  const auto m = emo::CnnModel::load(sidecar());
  const emo::CnnOutput o = m->run(f.gray, f.box, f.points);
  ASSERT_EQ(o.scores.size(), 7u);
  ASSERT_EQ(o.embedding.size(), 256u);
  EXPECT_NEAR(std::accumulate(o.scores.begin(), o.scores.end(), 0.0), 1.0, 1e-4);
  const size_t best = std::max_element(o.scores.begin(), o.scores.end()) - o.scores.begin();
  EXPECT_EQ(m->labels()[best], "happiness");
  EXPECT_GT(o.scores[best], 0.9f);
  // A different face (the image flipped upside down is no face): other scores.
  cv::Mat flipped;
  cv::flip(m->crop(f.gray, f.box, f.points), flipped, 0);
  const emo::CnnOutput other = m->run(flipped);
  EXPECT_GT(std::abs(other.scores[best] - o.scores[best]), 0.05f);
}

TEST(EmotionModel, PicksTheKindByFile) {
  const RealFace &f = astronaut();
  ASSERT_EQ(f.points.size(), 68u);
  const auto cnn = emo::EmotionModel::load(sidecar());
  EXPECT_EQ(cnn.kind(), emo::EmotionModel::Kind::Cnn);
  EXPECT_TRUE(cnn.needs_pixels());
  EXPECT_EQ(cnn.predict(f.gray, f.box, f.points).label, "happiness");
  EXPECT_EQ(cnn.predict(f.gray, f.box, {}).label, "happiness");  // box crop without landmarks

  const auto forest = emo::EmotionModel::load(model_dir() + "/happy-sad.yml.gz");
  EXPECT_EQ(forest.kind(), emo::EmotionModel::Kind::Forest);
  EXPECT_FALSE(forest.needs_pixels());
  EXPECT_EQ(forest.predict(cv::Mat(), f.box, f.points).label, "HAPPY");
  EXPECT_THROW(forest.predict(cv::Mat(), f.box, {}), emo::ModelMismatch);

  const auto fused = emo::EmotionModel::load(model_dir() + "/emotion-fused.yml.gz");
  EXPECT_EQ(fused.kind(), emo::EmotionModel::Kind::Fused);
  EXPECT_EQ(fused.landmark_count(), 68);
  const emo::Prediction p = fused.predict(f.gray, f.box, f.points);
  EXPECT_EQ(p.label, "happiness");
  EXPECT_EQ(p.scores.size(), fused.labels().size());
  EXPECT_THROW(fused.predict(cv::Mat(), f.box, f.points), std::invalid_argument);

  try {
    emo::EmotionModel::load("/nonexistent/emotion-fused.yml.gz");
    FAIL();
  } catch (const emo::ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/emotion-fused.yml.gz"), std::string::npos);
  }
}

TEST(FusedModel, TrainsSavesAndLoadsWithItsCnn) {
  const auto dir = emo::test::temp_dir("fused");
  const auto cnn = emo::CnnModel::load(sidecar());
  const emo::FusedInputs in = emo::FusedInputs::parse("embedding,scores");
  EXPECT_EQ(in.str(), "embedding,scores");
  EXPECT_THROW(emo::FusedInputs::parse("geometry,colour"), std::invalid_argument);
  const int len = emo::FusedModel::input_length(in, *cnn);
  ASSERT_EQ(len, 256 + 7);
  // Two classes told apart by the CNN's happiness score; real CNN outputs of two crops.
  const RealFace &f = astronaut();
  ASSERT_EQ(f.points.size(), 68u);
  const cv::Mat crop = cnn->crop(f.gray, f.box, f.points);
  cv::Mat x;
  std::vector<int> y;
  cv::RNG rng(3);
  for (int i = 0; i < 60; ++i) {
    cv::Mat c = crop.clone();
    if (i % 2) cv::flip(c, c, 0);
    cv::Mat noise(c.size(), CV_8S);
    rng.fill(noise, cv::RNG::UNIFORM, -8, 8);
    cv::add(c, noise, c, cv::noArray(), CV_8U);
    std::vector<float> v;
    emo::FusedModel::input_vector(in, {}, cnn->run(c), v);
    x.push_back(cv::Mat(v, true).reshape(1, 1));
    y.push_back(i % 2);
  }
  for (const std::string alg : {"rtrees", "mlp"}) {
    emo::FusedParams params;
    params.algorithm = alg;
    params.forest.trees = 20;
    params.hidden = 8;
    params.iterations = 50;
    const auto model =
        emo::FusedModel::train(cnn, "../" + std::filesystem::path(sidecar()).filename().string(),
                               in, x, y, {"face", "upside-down"}, params);
    // Saved one level below the models: the sidecar is found relative to the file.
    std::filesystem::create_directories(dir / "sub");
    std::filesystem::copy_file(sidecar(), dir / "emotion-cnn.json");
    std::filesystem::copy_file(model_dir() + "/emotion-cnn.onnx", dir / "emotion-cnn.onnx");
    const std::string path = (dir / "sub" / ("m-" + alg + ".yml.gz")).string();
    model.save(path);
    const auto loaded = emo::EmotionModel::load(path);
    ASSERT_EQ(loaded.kind(), emo::EmotionModel::Kind::Fused) << alg;
    EXPECT_EQ(loaded.predict(f.gray, f.box, f.points).label, "face") << alg;
    std::filesystem::remove(dir / "emotion-cnn.json");
    std::filesystem::remove(dir / "emotion-cnn.onnx");
    try {  // its CNN gone: the error names the sidecar's path
      emo::FusedModel::load(path);
      FAIL() << alg;
    } catch (const emo::ModelError &e) {
      EXPECT_NE(std::string(e.what()).find((dir / "emotion-cnn.json").string()), std::string::npos)
          << e.what();
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
