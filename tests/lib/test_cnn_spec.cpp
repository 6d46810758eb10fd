// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the classifier sidecar (emo::CnnSpec): the extended schema, validation against
// hand-made network descriptions (emo::TensorInfo) and the batched input tensor, pixel by pixel.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "emo/classify/cnn_spec.hpp"
#include "emo/core/sidecar.hpp"
#include "test_data.hpp"

namespace {

using emo::CnnSpec;
using emo::Shape;
using emo::TensorInfo;

std::string model_dir() {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return dir && *dir ? dir : EMO_TEST_MODEL_DIR;
}

// A sidecar whose "input" object is `input`, with `labels` and `outputs`.
std::string sidecar_json(const std::string &input, const std::string &labels = "\"a\", \"b\"",
                         const std::string &more = "") {
  return "{ \"format\": \"gst-emo-cnn-model\", \"version\": 1, \"model\": \"m.onnx\", "
         "\"input\": { " +
         input + " }, \"outputs\": { \"scores\": \"scores\" }, " + more + "\"labels\": [" + labels +
         "] }";
}

class CnnSpecTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = emo::test::temp_dir("cnn-spec"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  CnnSpec spec(const std::string &text) {
    const std::string p = (dir_ / ("s" + std::to_string(n_++) + ".json")).string();
    std::ofstream(p) << text;
    return CnnSpec::parse(p);
  }
  // The field and message of the SidecarError that parsing `text` throws.
  std::pair<std::string, std::string> parse_error(const std::string &text) {
    try {
      spec(text);
    } catch (const emo::SidecarError &e) {
      return {e.field(), e.what()};
    }
    return {"no error", ""};
  }
  std::filesystem::path dir_;
  int n_ = 0;
};

const std::string kGrey =
    "\"width\": 2, \"height\": 2, \"color\": \"grey\", \"scale\": 0.00392156862745098, "
    "\"offset\": 0";

// 8-bit width x height image of one BGR colour / grey value.
cv::Mat bgr(int b, int g, int r, int w = 2, int h = 2) {
  return cv::Mat(h, w, CV_8UC3, cv::Scalar(b, g, r));
}

TEST_F(CnnSpecTest, TheCommittedSidecarsParseAsBefore) {
  for (const char *name :
       {"emotion-cnn.json", "emotion-finetuned.json", "emotion-faceapi-ferplus.json"}) {
    const CnnSpec s = CnnSpec::parse(model_dir() + "/" + name);
    EXPECT_EQ(s.input.layout, emo::TensorLayout::kNCHW) << name;
    EXPECT_EQ(s.input.colour, emo::InputColour::kGrey) << name;
    EXPECT_EQ(s.input.batch, 0) << name;  // read from the network
    EXPECT_FALSE(s.colour());
    EXPECT_EQ(s.scores_output, "scores");
    EXPECT_EQ(s.embedding_output, "embedding");
  }
  const CnnSpec s = CnnSpec::parse(model_dir() + "/emotion-cnn.json");
  EXPECT_EQ(s.input.width, 64);
  EXPECT_DOUBLE_EQ(s.input.scale[0], 0.00784313725490196);
  EXPECT_DOUBLE_EQ(s.input.offset[0], -1.0);
  EXPECT_EQ(s.labels.size(), 7u);
  EXPECT_DOUBLE_EQ(s.crop.size, 2.4);
}

// The committed networks' real inputs and outputs, as python3-onnx lists them (graph.input,
// graph.output).
const std::vector<TensorInfo> kEmotionCnnIn = {{"input", {-1, 1, 64, 64}}};
const std::vector<TensorInfo> kEmotionCnnOut = {{"scores", {-1, 7}}, {"embedding", {-1, 256}}};
const std::vector<TensorInfo> kFaceApiIn = {{"input", {1, 1, 112, 112}}};
const std::vector<TensorInfo> kFaceApiOut = {{"scores", {1, 7}}, {"embedding", {1, 256}}};

TEST_F(CnnSpecTest, TheCommittedSidecarsFitTheirNetworks) {
  EXPECT_NO_THROW(
      CnnSpec::parse(model_dir() + "/emotion-cnn.json").validate(kEmotionCnnIn, kEmotionCnnOut));
  const CnnSpec ft = CnnSpec::parse(model_dir() + "/emotion-finetuned.json");
  EXPECT_NO_THROW(ft.validate(kEmotionCnnIn, {{"scores", {-1, 6}}, {"embedding", {-1, 256}}}));
  EXPECT_EQ(ft.batch_size(kEmotionCnnIn), 0);  // any number of faces per call
  const CnnSpec fa = CnnSpec::parse(model_dir() + "/emotion-faceapi-ferplus.json");
  EXPECT_NO_THROW(fa.validate(kFaceApiIn, {{"scores", {1, 6}}, {"embedding", {1, 256}}}));
  EXPECT_EQ(fa.batch_size(kFaceApiIn), 1);
}

TEST_F(CnnSpecTest, AMismatchNamesTheFieldAndWhatTheNetworkHas) {
  auto error = [](const CnnSpec &s, const std::vector<TensorInfo> &in,
                  const std::vector<TensorInfo> &out) -> std::pair<std::string, std::string> {
    try {
      s.validate(in, out);
    } catch (const emo::SidecarError &e) {
      return {e.field(), e.what()};
    }
    return {"no error", ""};
  };
  auto has = [](const std::pair<std::string, std::string> &e, const std::string &field,
                const std::string &text) {
    EXPECT_EQ(e.first, field) << e.second;
    EXPECT_NE(e.second.find(text), std::string::npos) << e.second;
  };
  const std::vector<TensorInfo> out2 = {{"scores", {1, 2}}};
  const CnnSpec s64 = spec(sidecar_json(
      "\"width\": 64, \"height\": 64, \"color\": \"grey\", \"scale\": 1, \"offset\": 0"));
  auto e = error(s64, {{"input_1", {1, 1, 48, 48}}}, out2);
  has(e, "input.width", "input.width is 64 but the network's input \"input_1\" is 1x1x48x48");
  EXPECT_NE(e.second.find(dir_.string()), std::string::npos) << "names the sidecar: " << e.second;
  has(error(s64, {{"input_1", {1, 1, 48, 64}}}, out2), "input.height",
      "input.height is 64 but the network's input \"input_1\" is 1x1x48x64");
  has(error(s64, {{"x", {1, 64, 64, 1}}}, out2), "input.layout",
      "input.layout is \"nchw\" but the network's input \"x\" is 1x64x64x1");
  has(error(s64, {{"x", {1, 3, 64, 64}}}, out2), "input.color",
      "input.color is \"grey\" (1 channel) but the network's input \"x\" is 1x3x64x64");
  has(error(s64, {{"x", {1, 64, 64}}}, out2), "input.layout", "is 1x64x64");
  has(error(s64, {{"a", {1, 1, 64, 64}}, {"b", {1, 4}}}, out2), "input.name",
      "the network has 2 inputs (\"a\", \"b\")");
  has(error(s64, {{"x", {-1, 1, 64, 64}}}, {{"scores", {-1, 7}}}), "labels",
      "labels has 2 entries but output \"scores\" has 7 (?x7)");
  has(error(s64, {{"x", {-1, 1, 64, 64}}}, {{"prob", {-1, 2}}, {"embedding", {-1, 8}}}),
      "outputs.scores",
      "outputs.scores names \"scores\" but the network's outputs are \"prob\", \"embedding\"");
  // Free dimensions fit anything; [N, K, 1, 1] scores count K.
  EXPECT_EQ(error(s64, {{"x", {-1, 1, -1, -1}}}, {{"scores", {-1, 2, 1, 1}}}).first, "no error");
  const CnnSpec named = spec(sidecar_json(
      "\"name\": \"b\", \"width\": 64, \"height\": 64, \"color\": \"rgb\", \"layout\": "
      "\"nhwc\", \"scale\": 1, \"offset\": 0, \"batch\": \"free\""));
  has(error(named, {{"a", {1, 4}}, {"b", {1, 64, 64, 3}}}, {{"scores", {1, 2}}}), "input.batch",
      "input.batch is \"free\" but the network's input \"b\" is 1x64x64x3");
  EXPECT_EQ(error(named, {{"a", {1, 4}}, {"b", {-1, 64, 64, 3}}}, {{"scores", {1, 2}}}).first,
            "no error");
  has(error(named, {{"a", {1, 4}}}, out2), "input.name",
      "input.name is \"b\" but the network's inputs are \"a\"");
}

TEST_F(CnnSpecTest, MalformedSidecarsNameTheField) {
  auto has = [](const std::pair<std::string, std::string> &e, const std::string &field,
                const std::string &text) {
    EXPECT_EQ(e.first, field) << e.second;
    EXPECT_NE(e.second.find(text), std::string::npos) << e.second;
  };
  has(parse_error(sidecar_json(kGrey + ", \"layout\": \"chw\"")), "input.layout",
      "input.layout is \"chw\", not one of \"nchw\" | \"nhwc\"");
  has(parse_error(sidecar_json(
          "\"width\": 2, \"height\": 2, \"color\": \"purple\", \"scale\": 1, \"offset\": 0")),
      "input.color", "not one of \"grey\" | \"rgb\" | \"bgr\"");
  has(parse_error(sidecar_json("\"width\": 2, \"height\": 2, \"color\": \"grey\"")), "input.scale",
      "is missing");
  has(parse_error(sidecar_json(kGrey + ", \"mean\": 0, \"std\": 1")), "input.mean", "exclusive");
  has(parse_error(sidecar_json("\"width\": 2, \"height\": 2, \"color\": \"rgb\", \"mean\": "
                               "[1, 2], \"std\": 1")),
      "input.mean", "has 2 values but input.color \"rgb\" has 3 channel(s)");
  has(parse_error(sidecar_json("\"width\": 2, \"height\": 2, \"color\": \"grey\", \"mean\": "
                               "0, \"std\": 0")),
      "input.std", "must be > 0");
  has(parse_error(sidecar_json("\"width\": 5000, \"height\": 2, \"color\": \"grey\", "
                               "\"scale\": 1, \"offset\": 0")),
      "input.width", "out of range");
  has(parse_error(sidecar_json(kGrey + ", \"batch\": \"many\"")), "input.batch", "\"free\"");
  has(parse_error(sidecar_json(kGrey, "\"a\"")), "labels", "at least 2");
  has(parse_error(sidecar_json(kGrey, "\"a\", \"b\"", "\"crop\": { \"size\": 50 }, ")), "crop.size",
      "is 50, out of range [0.5, 10]");
  has(parse_error("{ \"format\": \"gst-emo-cnn-model\", \"version\": 2 }"), "version",
      "out of range [1, 1]");
}

// The optional "gate" object: the model's own gate thresholds (docs/sidecar.md).
TEST_F(CnnSpecTest, TheGateObjectSetsTheModelsThresholds) {
  const CnnSpec none = spec(sidecar_json(kGrey));
  EXPECT_TRUE(none.gate.empty());
  const CnnSpec margin = spec(sidecar_json(
      kGrey, "\"a\", \"b\"",
      "\"gate\": { \"min_margin\": 0.035, \"calibration\": \"a note for people\" }, "));
  ASSERT_TRUE(margin.gate.min_margin);
  EXPECT_DOUBLE_EQ(*margin.gate.min_margin, 0.035);
  EXPECT_FALSE(margin.gate.min_face_size);
  EXPECT_FALSE(margin.gate.max_yaw);
  EXPECT_FALSE(margin.gate.min_sharpness);
  const CnnSpec all = spec(sidecar_json(kGrey, "\"a\", \"b\"",
                                        "\"gate\": { \"min_face_size\": 32, \"max_yaw\": 60, "
                                        "\"min_sharpness\": 0.4, \"min_margin\": 0 }, "));
  EXPECT_EQ(all.gate.min_face_size.value_or(-1), 32);
  EXPECT_DOUBLE_EQ(all.gate.max_yaw.value_or(-1), 60.0);
  EXPECT_DOUBLE_EQ(all.gate.min_sharpness.value_or(-1), 0.4);
  EXPECT_DOUBLE_EQ(all.gate.min_margin.value_or(-1), 0.0);  // 0: the flat test off

  auto error = [&](const std::string &gate) {
    return parse_error(sidecar_json(kGrey, "\"a\", \"b\"", "\"gate\": " + gate + ", "));
  };
  EXPECT_EQ(error("{ \"min_margin\": 1.5 }").first, "gate.min_margin");
  EXPECT_NE(error("{ \"min_margin\": 1.5 }").second.find("out of range [0, 1]"), std::string::npos);
  EXPECT_EQ(error("{ \"max_yaw\": 120 }").first, "gate.max_yaw");
  EXPECT_EQ(error("{ \"min_face_size\": 4.5 }").first, "gate.min_face_size");
  EXPECT_EQ(error("{ \"min_sharpness\": \"high\" }").first, "gate.min_sharpness");
  EXPECT_EQ(error("0.1").first, "gate");
}

TEST_F(CnnSpecTest, GreyCropsBecomeTheNormalisedTensor) {
  const CnnSpec s = spec(sidecar_json(kGrey));
  cv::Mat a = (cv::Mat_<uchar>(2, 2) << 0, 51, 102, 255);
  cv::Mat b = (cv::Mat_<uchar>(2, 2) << 255, 255, 0, 0);
  const emo::Tensor t = s.input_tensor({a, b});
  EXPECT_EQ(t.shape, (Shape{2, 1, 2, 2}));
  const std::vector<float> want = {0.f, 0.2f, 0.4f, 1.f, 1.f, 1.f, 0.f, 0.f};
  ASSERT_EQ(t.data.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(t.data[i], want[i]) << i;
  // Padded to a fixed batch of 3 with zeros.
  const emo::Tensor p = s.input_tensor({a}, 3);
  EXPECT_EQ(p.shape, (Shape{3, 1, 2, 2}));
  EXPECT_FLOAT_EQ(p.data[3], 1.f);
  for (size_t i = 4; i < p.data.size(); ++i) EXPECT_EQ(p.data[i], 0.f);
  // A larger crop is averaged down (INTER_AREA): 4 x 4 of 2 x 2 blocks -> each block's value.
  cv::Mat big(4, 4, CV_8U, cv::Scalar(0));
  big(cv::Rect(2, 0, 2, 2)) = 255;
  const emo::Tensor r = s.input_tensor({big});
  EXPECT_EQ(r.shape, (Shape{1, 1, 2, 2}));
  EXPECT_FLOAT_EQ(r.data[0], 0.f);
  EXPECT_FLOAT_EQ(r.data[1], 1.f);
  // A BGR crop for a grey network: OpenCV's BGR2GRAY (0.299 R + 0.587 G + 0.114 B, rounded).
  const emo::Tensor g = s.input_tensor({bgr(0, 0, 255)});
  EXPECT_FLOAT_EQ(g.data[0], 76.f / 255.f);
  // Scale and offset: [-1, 1] as the default models.
  const CnnSpec m = spec(sidecar_json(
      "\"width\": 2, \"height\": 2, \"color\": \"grey\", \"scale\": 0.00784313725490196, "
      "\"offset\": -1.0"));
  const emo::Tensor n = m.input_tensor({a});
  EXPECT_FLOAT_EQ(n.data[0], -1.f);
  EXPECT_FLOAT_EQ(n.data[1], 51 / 127.5f - 1.f);
  EXPECT_FLOAT_EQ(n.data[3], 1.f);
  EXPECT_THROW(s.input_tensor({cv::Mat(2, 2, CV_16U)}), std::invalid_argument);
  EXPECT_THROW(s.input_tensor({cv::Mat()}), std::invalid_argument);
  EXPECT_THROW(s.input_tensor({a, big}), std::invalid_argument);
}

TEST_F(CnnSpecTest, ColourCropsFollowLayoutColourAndPerChannelNormalisation) {
  // One crop, 2 x 1: pixel 0 B=10 G=20 R=30, pixel 1 B=40 G=50 R=60 (OpenCV's BGR order).
  cv::Mat crop(1, 2, CV_8UC3);
  crop.at<cv::Vec3b>(0, 0) = {10, 20, 30};
  crop.at<cv::Vec3b>(0, 1) = {40, 50, 60};
  const std::string size = "\"width\": 2, \"height\": 1, ";
  // rgb, nchw, scale 1: planes R, G, B.
  const emo::Tensor rgb_nchw =
      spec(sidecar_json(size + "\"color\": \"rgb\", \"scale\": 1, \"offset\": 0"))
          .input_tensor({crop});
  EXPECT_EQ(rgb_nchw.shape, (Shape{1, 3, 1, 2}));
  EXPECT_EQ(rgb_nchw.data, (std::vector<float>{30, 60, 20, 50, 10, 40}));
  // bgr, nhwc: pixels interleaved B, G, R.
  const emo::Tensor bgr_nhwc = spec(sidecar_json(size + "\"color\": \"bgr\", \"layout\": \"nhwc\", "
                                                        "\"scale\": 1, \"offset\": 0"))
                                   .input_tensor({crop});
  EXPECT_EQ(bgr_nhwc.shape, (Shape{1, 1, 2, 3}));
  EXPECT_EQ(bgr_nhwc.data, (std::vector<float>{10, 20, 30, 40, 50, 60}));
  // rgb, nhwc, per-channel mean/std (in R, G, B order): (v - mean) / std.
  const emo::Tensor ms = spec(sidecar_json(size + "\"color\": \"rgb\", \"layout\": \"nhwc\", "
                                                  "\"mean\": [30, 20, 10], \"std\": [2, 4, 5]"))
                             .input_tensor({crop});
  const std::vector<float> want = {0.f, 0.f, 0.f, 15.f, 7.5f, 6.f};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(ms.data[i], want[i]) << i;
  // rgb, nchw, per-channel scale/offset.
  const emo::Tensor so = spec(sidecar_json(size + "\"color\": \"rgb\", \"scale\": [1, 0.5, 0.1], "
                                                  "\"offset\": [-30, 0, 1]"))
                             .input_tensor({crop});
  const std::vector<float> want2 = {0.f, 30.f, 10.f, 25.f, 2.f, 5.f};
  for (size_t i = 0; i < want2.size(); ++i) EXPECT_FLOAT_EQ(so.data[i], want2[i]) << i;
  // A grey crop for a colour network: the grey value in every channel.
  const emo::Tensor rep =
      spec(sidecar_json(size + "\"color\": \"rgb\", \"scale\": 1, \"offset\": 0"))
          .input_tensor({(cv::Mat_<uchar>(1, 2) << 7, 9)});
  EXPECT_EQ(rep.data, (std::vector<float>{7, 9, 7, 9, 7, 9}));
}

TEST_F(CnnSpecTest, BatchComesFromTheSidecarOrTheNetwork) {
  const CnnSpec free_net = spec(sidecar_json(kGrey));
  EXPECT_EQ(free_net.batch_size({{"x", {-1, 1, 2, 2}}}), 0);
  EXPECT_EQ(free_net.batch_size({{"x", {1, 1, 2, 2}}}), 1);
  const CnnSpec four = spec(sidecar_json(kGrey + ", \"batch\": 4"));
  EXPECT_EQ(four.batch_size({{"x", {-1, 1, 2, 2}}}), 4);
  EXPECT_NO_THROW(four.validate({{"x", {4, 1, 2, 2}}}, {{"scores", {4, 2}}}));
  EXPECT_THROW(four.validate({{"x", {1, 1, 2, 2}}}, {{"scores", {1, 2}}}), emo::SidecarError);
}

}  // namespace
