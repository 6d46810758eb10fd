// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the detector sidecar (emo::detect::BlazeFaceSpec): the committed sidecars equal the
// built-in defaults, anchors from MediaPipe's options equal the fixed BlazeFace anchors, the
// detector run from a sidecar finds exactly what the former fixed code path finds on the
// fetched models, and validation names the wrong field.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/core/inference.hpp"
#include "emo/core/sidecar.hpp"
#include "emo/detect/blazeface.hpp"
#include "emo/detect/blazeface_spec.hpp"
#include "test_data.hpp"

namespace {

using emo::Shape;
using emo::TensorInfo;
using emo::detect::Anchor;
using emo::detect::BlazeFace;
using emo::detect::BlazeFaceSpec;
using emo::detect::FaceDetection;
using emo::detect::FrameView;
using emo::detect::Letterbox;

std::string models() { return EMO_TEST_MODEL_DIR; }
std::string sidecar(const std::string &stem) {
  return models() + "/blazeface-sidecars/" + stem + ".json";
}

struct Model {
  const char *stem;
  int size;
  bool rect;
};
const Model kModels[] = {{"face_detection_back_256_rect", 256, true},
                         {"face_detection_front_128_rect", 128, true},
                         {"face_detection_back_256x256_barracuda", 256, false},
                         {"face_detection_front_128x128_barracuda", 128, false}};

TEST(BlazeFaceSpec, TheCommittedSidecarsAreTheBuiltInDefaults) {
  for (const Model &m : kModels) {
    const BlazeFaceSpec s = BlazeFaceSpec::parse(sidecar(m.stem));
    const BlazeFaceSpec d = BlazeFaceSpec::defaults(m.size);
    EXPECT_EQ(s.onnx, models() + "/blazeface/" + m.stem + ".onnx");
    EXPECT_EQ(s.name, d.name) << m.stem;
    EXPECT_EQ(s.size(), m.size);
    EXPECT_EQ(s.input.layout, d.input.layout);
    EXPECT_EQ(s.input.colour, d.input.colour);
    EXPECT_EQ(s.input.scale, d.input.scale);  // 0.00784313725490196 is the double 1 / 127.5
    EXPECT_EQ(s.input.offset, d.input.offset);
    EXPECT_EQ(s.anchors.strides, d.anchors.strides);
    EXPECT_EQ(s.anchors.per_layer, d.anchors.per_layer);
    EXPECT_EQ(s.anchors.offset_x, d.anchors.offset_x);
    EXPECT_EQ(s.anchors.offset_y, d.anchors.offset_y);
    EXPECT_EQ(s.score_threshold, d.score_threshold);
    EXPECT_EQ(s.score_clip, d.score_clip);
    EXPECT_EQ(s.keypoints, d.keypoints);
    EXPECT_EQ(s.nms_iou, d.nms_iou);
    EXPECT_EQ(s.score_outputs.empty(), m.rect);  // rect: by shape; barracuda: named
    // An ONNX file finds its committed sidecar.
    EXPECT_EQ(BlazeFaceSpec::sidecar_of(s.onnx), sidecar(m.stem));
  }
  EXPECT_EQ(BlazeFaceSpec::sidecar_of("/nowhere/x.onnx"), "");
}

TEST(BlazeFaceSpec, AnchorsFromMediaPipesOptionsAreTheFixedAnchors) {
  for (int size : {128, 256})
    for (cv::Size input : {cv::Size(size, size), cv::Size(size, size * 3 / 4),
                           cv::Size(size * 3 / 4, size), cv::Size(size, size / 2)}) {
      const std::vector<Anchor> want = emo::detect::blazeface_anchors(input, size);
      const std::vector<Anchor> got =
          emo::detect::ssd_anchors(BlazeFaceSpec::defaults(size).anchors, input);
      ASSERT_EQ(got.size(), want.size()) << size << " " << input;
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i].x, want[i].x) << i;  // bit for bit
        ASSERT_EQ(got[i].y, want[i].y) << i;
      }
    }
  // Two grids: 2 per cell at stride 16, 6 per cell at stride 32 (layers merged).
  const auto grids = emo::detect::anchor_grids(BlazeFaceSpec::defaults(256).anchors);
  ASSERT_EQ(grids.size(), 2u);
  EXPECT_EQ(grids[0].stride, 16);
  EXPECT_EQ(grids[0].per_cell, 2);
  EXPECT_EQ(grids[1].stride, 32);
  EXPECT_EQ(grids[1].per_cell, 6);
}

// The former fixed code path (before sidecars), kept here as the reference: RGB letterbox
// scaled by convertTo(1 / 127.5, -1), NHWC blob, outputs told apart by their anchor counts,
// blazeface_anchors(), decode_blazeface() with MediaPipe's constants, weighted NMS at 0.3.
std::vector<FaceDetection> reference_detect(const std::string &onnx, int size, bool rect,
                                            const cv::Mat &bgr) {
  const auto net = emo::Network::load(onnx);
  const Letterbox lb =
      rect ? Letterbox::fit_aligned(bgr.cols, bgr.rows, size, emo::detect::rectangular_align(size))
           : Letterbox::fit(bgr.cols, bgr.rows, size);
  cv::Mat rgb, scratch, input;
  emo::detect::letterbox_rgb(FrameView::from_mat(bgr), lb, rgb, scratch);
  rgb.convertTo(input, CV_32FC3, 1.0 / 127.5, -1.0);
  const std::vector<emo::Tensor> outs = net->run(
      std::vector<emo::TensorView>{{input.ptr<float>(), {1, lb.input.height, lb.input.width, 3}}});
  const int fine = size / 16, coarse = size / 8;
  const size_t counts[2] = {
      static_cast<size_t>(lb.input.width / fine) * (lb.input.height / fine) * 2,
      static_cast<size_t>(lb.input.width / coarse) * (lb.input.height / coarse) * 6};
  const emo::Tensor *s[2] = {nullptr, nullptr}, *r[2] = {nullptr, nullptr};
  for (const emo::Tensor &o : outs) {
    const int64_t last = o.shape.back();
    const size_t n = o.data.size() / static_cast<size_t>(last);
    const int grid = n == counts[0] ? 0 : n == counts[1] ? 1 : -1;
    if (grid >= 0 && last == 1) s[grid] = &o;
    if (grid >= 0 && last == 16) r[grid] = &o;
  }
  EXPECT_TRUE(s[0] && s[1] && r[0] && r[1]);
  if (!(s[0] && s[1] && r[0] && r[1])) return {};
  std::vector<float> scores(counts[0] + counts[1]), regs((counts[0] + counts[1]) * 16);
  std::copy_n(s[0]->data.data(), counts[0], scores.begin());
  std::copy_n(s[1]->data.data(), counts[1], scores.begin() + counts[0]);
  std::copy_n(r[0]->data.data(), counts[0] * 16, regs.begin());
  std::copy_n(r[1]->data.data(), counts[1] * 16, regs.begin() + counts[0] * 16);
  std::vector<FaceDetection> raw;
  // A low threshold, so that many raw boxes (and their NMS) are compared, not just one face.
  emo::detect::decode_blazeface(scores.data(), regs.data(),
                                emo::detect::blazeface_anchors(lb.input, size), lb.input, 0.05f,
                                raw);
  std::vector<FaceDetection> faces = emo::detect::weighted_nms(raw, emo::detect::kSuppressionIou);
  for (FaceDetection &d : faces) {
    d.box = lb.to_frame(d.box);
    for (emo::Point &p : d.keypoints) p = lb.to_frame(p);
  }
  return faces;
}

TEST(BlazeFaceSpec, TheDetectorFromASidecarFindsExactlyWhatTheFixedCodeFound) {
  cv::Mat astronaut = cv::imread(emo::test::kAstronaut, cv::IMREAD_COLOR);
  ASSERT_FALSE(astronaut.empty());
  // A 16:9 frame (letterboxed with padding) and the square picture.
  cv::Mat wide(288, 512, CV_8UC3, cv::Scalar(40, 40, 40));
  cv::resize(astronaut, wide(cv::Rect(128, 0, 288, 288)), cv::Size(288, 288));
  for (const Model &m : kModels) {
    BlazeFace det(sidecar(m.stem));
    EXPECT_EQ(det.spec().sidecar, sidecar(m.stem));
    EXPECT_EQ(det.rectangular(), m.rect) << m.stem;
    for (const cv::Mat &frame : {astronaut, wide}) {
      const std::vector<FaceDetection> want =
          reference_detect(det.spec().onnx, m.size, m.rect, frame);
      emo::DetectorParams params;
      params.score_threshold = 0.05;
      params.min_size = 0;
      det.prepare(FrameView::from_mat(frame), params);
      std::vector<FaceDetection> got;
      det.run(got);
      // run() sorts by area, the reference by score: compare as sets, bit for bit.
      ASSERT_EQ(got.size(), want.size()) << m.stem;
      ASSERT_GE(got.size(), 1u);
      for (const FaceDetection &g : got) {
        bool found = false;
        for (const FaceDetection &w : want)
          if (g.box == w.box && g.score == w.score && g.keypoints.size() == w.keypoints.size()) {
            found = true;
            for (size_t k = 0; k < g.keypoints.size(); ++k)
              EXPECT_EQ(g.keypoints[k], w.keypoints[k]) << m.stem;
          }
        EXPECT_TRUE(found) << m.stem << ": box " << g.box << " score " << g.score;
      }
    }
  }
}

TEST(BlazeFaceSpec, WithoutASidecarTheDefaultsOfTheSizeApply) {
  // The ONNX file alone in a folder: no sidecar found, so the size it runs at picks the
  // defaults.
  const auto dir = emo::test::temp_dir("blazeface-nosidecar");
  const std::string onnx = (dir / "short.onnx").string();
  std::filesystem::create_symlink(models() + "/blazeface/face_detection_front_128_rect.onnx", onnx);
  BlazeFace det(onnx);
  EXPECT_EQ(det.spec().sidecar, "");
  EXPECT_EQ(det.input_size(), 128);
  EXPECT_EQ(det.default_threshold(), emo::detect::kShortRangeThreshold);
  EXPECT_STREQ(det.model_name(), "blazeface-short");
  std::filesystem::remove_all(dir);
}

// The whole frame as BGR for a colour classifier's crops: exact from BGR, RGB and BGRx, and
// OpenCV's own YUV -> BGR of the same I420 planes; odd-sized YUV is refused.
TEST(FrameBgr, EveryFormatGivesTheFrameInBgr) {
  cv::Mat bgr = cv::imread(emo::test::kAstronaut, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty());
  cv::resize(bgr, bgr, cv::Size(64, 48), 0, 0, cv::INTER_AREA);
  cv::Mat out, scratch, rgb, bgrx, i420, want;
  emo::detect::frame_bgr(FrameView::from_mat(bgr), out, scratch);
  EXPECT_EQ(cv::norm(out, bgr, cv::NORM_INF), 0.0);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  emo::detect::frame_bgr(FrameView::from_mat(rgb, true), out, scratch);
  EXPECT_EQ(cv::norm(out, bgr, cv::NORM_INF), 0.0);
  cv::cvtColor(bgr, bgrx, cv::COLOR_BGR2BGRA);
  FrameView x = FrameView::from_mat(bgr);
  x.format = emo::detect::PixelFormat::kBGRx;
  x.planes[0] = bgrx.data;
  x.strides[0] = static_cast<int>(bgrx.step);
  emo::detect::frame_bgr(x, out, scratch);
  EXPECT_EQ(cv::norm(out, bgr, cv::NORM_INF), 0.0);
  cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
  cv::cvtColor(i420, want, cv::COLOR_YUV2BGR_I420);
  FrameView y;
  y.format = emo::detect::PixelFormat::kI420;
  y.width = 64;
  y.height = 48;
  y.planes = {i420.data, i420.data + 64 * 48, i420.data + 64 * 48 + 32 * 24};
  y.strides = {64, 32, 32};
  emo::detect::frame_bgr(y, out, scratch);
  ASSERT_EQ(out.size(), want.size());
  EXPECT_LE(cv::norm(out, want, cv::NORM_INF), 1.0);  // RGB then swapped: rounding only
  y.width = 63;
  EXPECT_THROW(emo::detect::frame_bgr(y, out, scratch), std::invalid_argument);
}

// The fetched networks' real inputs and outputs (python3-onnx's graph.input and graph.output).
const std::vector<TensorInfo> kRectIn = {{"input:0", {1, -1, -1, 3}}};
const std::vector<TensorInfo> kRectOut = {{"Identity:0", {1, -1, 1}},
                                          {"Identity_1:0", {1, -1, 1}},
                                          {"Identity_2:0", {1, -1, 16}},
                                          {"Identity_3:0", {1, -1, 16}}};
const std::vector<TensorInfo> kSquareIn = {{"input:0", {1, 256, 256, 3}}};
const std::vector<TensorInfo> kSquareOut = {{"Identity:0", {1, 512, 1}},
                                            {"Identity_1:0", {1, 384, 1}},
                                            {"Identity_2:0", {1, 512, 16}},
                                            {"Identity_3:0", {1, 384, 16}}};

class BlazeFaceSpecErrors : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = emo::test::temp_dir("blazeface-spec"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // The committed full-range square sidecar with `from` replaced by `to`.
  BlazeFaceSpec edited(const std::string &stem, const std::string &from, const std::string &to) {
    std::ifstream in(sidecar(stem));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    const std::string p = (dir_ / (stem + std::to_string(n_++) + ".json")).string();
    std::ofstream(p) << text;
    return BlazeFaceSpec::parse(p);
  }
  static std::pair<std::string, std::string> error(const BlazeFaceSpec &s,
                                                   const std::vector<TensorInfo> &in,
                                                   const std::vector<TensorInfo> &out) {
    try {
      s.validate(in, out);
    } catch (const emo::SidecarError &e) {
      return {e.field(), e.what()};
    }
    return {"no error", ""};
  }
  static void has(const std::pair<std::string, std::string> &e, const std::string &field,
                  const std::string &text) {
    EXPECT_EQ(e.first, field) << e.second;
    EXPECT_NE(e.second.find(text), std::string::npos) << e.second;
  }
  std::filesystem::path dir_;
  int n_ = 0;
};

TEST_F(BlazeFaceSpecErrors, TheCommittedSidecarsFitTheFetchedNetworks) {
  EXPECT_EQ(
      error(BlazeFaceSpec::parse(sidecar("face_detection_back_256_rect")), kRectIn, kRectOut).first,
      "no error");
  EXPECT_EQ(error(BlazeFaceSpec::parse(sidecar("face_detection_back_256x256_barracuda")), kSquareIn,
                  kSquareOut)
                .first,
            "no error");
}

TEST_F(BlazeFaceSpecErrors, FreeSidesMeanARectangularInput) {
  const BlazeFaceSpec s = BlazeFaceSpec::parse(sidecar("face_detection_back_256_rect"));
  EXPECT_TRUE(s.rectangular(kRectIn));
  EXPECT_FALSE(s.rectangular(kSquareIn));
}

TEST_F(BlazeFaceSpecErrors, AMismatchNamesTheField) {
  const std::string sq = "face_detection_back_256x256_barracuda",
                    rect = "face_detection_back_256_rect";
  has(error(edited(sq, "\"size\": 256", "\"size\": 128"), kSquareIn, kSquareOut), "input.size",
      "input.size is 128 but the network's input \"input:0\" is 1x256x256x3");
  has(error(edited(sq, "\"nhwc\"", "\"nchw\""), kSquareIn, kSquareOut), "input.layout",
      "input.layout is \"nchw\" but the network's input \"input:0\" is 1x256x256x3");
  has(error(edited(sq, "\"rgb\"", "\"grey\""), kSquareIn, kSquareOut), "input.color",
      "input.color is \"grey\" (1 channel)");
  has(error(edited(sq, "\"keypoints\": 6", "\"keypoints\": 5"), kSquareIn, kSquareOut),
      "decode.keypoints", "decode.keypoints is 5 (14 values per anchor) but the network's outputs");
  has(error(edited(rect, "\"keypoints\": 6", "\"keypoints\": 5"), kRectIn, kRectOut),
      "decode.keypoints", "\"Identity_2:0\" 1x?x16");
  has(error(edited(sq, "\"Identity_1:0\"", "\"scores_8\""), kSquareIn, kSquareOut),
      "outputs.scores", "outputs.scores names \"scores_8\" but the network's outputs are");
  has(error(edited(sq, "\"anchors_per_layer\": 2", "\"anchors_per_layer\": 3"), kSquareIn,
            kSquareOut),
      "anchors.strides", "anchors give 2 grid(s) of 768, 576 anchors on 256x256 (1344)");
  has(error(edited(rect, "\"anchors_per_layer\": 2", "\"anchors_per_layer\": 3"), kSquareIn,
            kSquareOut),
      "anchors.strides", "grid(s) of 768, 576 anchors");
  has(error(edited(rect, "32,\n      32\n", "32\n"), kRectIn, kRectOut), "no error", "");
  has(error(edited(rect, "16,\n", ""), kRectIn, kRectOut), "outputs",
      "outputs is \"by-shape\" and the anchors give 1 grid(s)");
}

TEST_F(BlazeFaceSpecErrors, MalformedSidecarsNameTheField) {
  auto parse_error = [&](const std::string &from, const std::string &to) {
    try {
      edited("face_detection_back_256_rect", from, to);
    } catch (const emo::SidecarError &e) {
      return std::make_pair(e.field(), std::string(e.what()));
    }
    return std::make_pair(std::string("no error"), std::string());
  };
  has(parse_error("\"nhwc\"", "\"hwc\""), "input.layout", "not one of \"nchw\" | \"nhwc\"");
  has(parse_error("\"anchors_per_layer\": 2", "\"anchors_per_layer\": [2, 2]"),
      "anchors.anchors_per_layer", "has 2 entries but anchors.strides has 4");
  has(parse_error("\"anchor_offset\": 0.5", "\"anchor_offset\": 2"), "anchors.anchor_offset",
      "in [0, 1]");
  has(parse_error("\"score_threshold\": 0.52", "\"score_threshold\": 52"), "decode.score_threshold",
      "is 52, out of range [0, 1]");
  has(parse_error("\"by-shape\"", "\"by-name\""), "outputs", "\"by-shape\" or an object");
  has(parse_error("\"strides\"", "\"stride\""), "anchors.strides", "is missing");
}

}  // namespace
