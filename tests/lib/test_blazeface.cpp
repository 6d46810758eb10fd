// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::detect (BlazeFace): anchors, decoding, weighted NMS, letterbox mapping, the
// frame formats, detection on a real face, the detector choice and model errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/blazeface.hpp"
#include "emo/detect/detection.hpp"
#include "emo/core/error.hpp"
#include "test_data.hpp"

namespace {

using emo::detect::Anchor;
using emo::detect::BlazeFace;
using emo::detect::FaceDetection;
using emo::detect::FrameView;
using emo::detect::Letterbox;
using emo::detect::PixelFormat;

std::string full_model() {
  return std::string(EMO_TEST_MODEL_DIR) + "/" + emo::detect::kFullRangeModel;
}
std::string short_model() {
  return std::string(EMO_TEST_MODEL_DIR) + "/" + emo::detect::kShortRangeModel;
}
// The npm package's square-input files, from which the default ones are derived.
std::string full_square_model() {
  return std::string(EMO_TEST_MODEL_DIR) + "/" + emo::detect::kFullRangeSquareModel;
}
std::string short_square_model() {
  return std::string(EMO_TEST_MODEL_DIR) + "/" + emo::detect::kShortRangeSquareModel;
}

// The astronaut's face, by eye: from the forehead to the chin, ear to ear less the hair.
const emo::Box kAstronautFace(172, 74, 105, 105);

cv::Mat astronaut() {
  cv::Mat img = cv::imread(emo::test::kAstronaut, cv::IMREAD_COLOR);
  EXPECT_FALSE(img.empty());
  return img;
}

TEST(BlazeFaceAnchors, CountsAndPositionsFollowMediaPipe) {
  for (int size : {128, 256}) {
    const std::vector<Anchor> a = emo::detect::blazeface_anchors(size);
    ASSERT_EQ(a.size(), 896u) << size;
    // 16 x 16 cells of 2, then 8 x 8 cells of 6, row-major, at cell centres.
    EXPECT_FLOAT_EQ(a[0].x, 0.5f / 16);
    EXPECT_FLOAT_EQ(a[0].y, 0.5f / 16);
    EXPECT_FLOAT_EQ(a[1].x, a[0].x);
    EXPECT_FLOAT_EQ(a[2].x, 1.5f / 16);
    EXPECT_FLOAT_EQ(a[32].y, 1.5f / 16);  // second row
    EXPECT_FLOAT_EQ(a[511].x, 15.5f / 16);
    EXPECT_FLOAT_EQ(a[511].y, 15.5f / 16);
    for (int k = 512; k < 518; ++k) {
      EXPECT_FLOAT_EQ(a[k].x, 0.5f / 8);
      EXPECT_FLOAT_EQ(a[k].y, 0.5f / 8);
    }
    EXPECT_FLOAT_EQ(a[518].x, 1.5f / 8);
    EXPECT_FLOAT_EQ(a[895].x, 7.5f / 8);
    EXPECT_FLOAT_EQ(a[895].y, 7.5f / 8);
  }
  EXPECT_THROW(emo::detect::blazeface_anchors(192), std::invalid_argument);
}

TEST(BlazeFaceAnchors, RectangularInputsHaveAGridOfTheirOwn) {
  // 256 x 160 (a 16:9 frame): 16 x 10 cells of 2, then 8 x 5 cells of 6.
  const std::vector<Anchor> a = emo::detect::blazeface_anchors(cv::Size(256, 160), 256);
  ASSERT_EQ(a.size(), 16u * 10 * 2 + 8u * 5 * 6);
  EXPECT_FLOAT_EQ(a[0].x, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[0].y, 0.5f / 10);
  EXPECT_FLOAT_EQ(a[32].y, 1.5f / 10);  // second row of 16 cells of 2
  EXPECT_FLOAT_EQ(a[319].x, 15.5f / 16);
  EXPECT_FLOAT_EQ(a[319].y, 9.5f / 10);
  EXPECT_FLOAT_EQ(a[320].x, 0.5f / 8);
  EXPECT_FLOAT_EQ(a[320].y, 0.5f / 5);
  EXPECT_FLOAT_EQ(a[559].x, 7.5f / 8);
  EXPECT_FLOAT_EQ(a[559].y, 4.5f / 5);
  // Short range: strides 8 and 16 on a portrait 80 x 128.
  EXPECT_EQ(emo::detect::blazeface_anchors(cv::Size(80, 128), 128).size(),
            10u * 16 * 2 + 5u * 8 * 6);
  // (The square grid, MediaPipe's, is checked value by value above.)
  EXPECT_THROW(emo::detect::blazeface_anchors(cv::Size(256, 150), 256), std::invalid_argument);
  EXPECT_THROW(emo::detect::blazeface_anchors(cv::Size(0, 0), 256), std::invalid_argument);
}

TEST(BlazeFaceDecode, RectangularInputDecodesInInputPixels) {
  const cv::Size input(256, 160);
  const auto anchors = emo::detect::blazeface_anchors(input, 256);
  std::vector<float> scores(anchors.size(), -1000.f), reg(anchors.size() * 16, 0.f);
  const size_t i = 320 + (2 * 8 + 3) * 6;  // coarse grid, row 2, column 3
  scores[i] = 3.f;
  reg[i * 16 + 0] = 4, reg[i * 16 + 1] = -2, reg[i * 16 + 2] = 30, reg[i * 16 + 3] = 36;
  reg[i * 16 + 4] = -6, reg[i * 16 + 5] = -8;  // right eye
  std::vector<FaceDetection> out;
  emo::detect::decode_blazeface(scores.data(), reg.data(), anchors, input, 0.5f, out);
  ASSERT_EQ(out.size(), 1u);
  // Cell centre (3.5 * 32, 2.5 * 32) = (112, 80) input pixels.
  EXPECT_NEAR(out[0].box.x, 112 + 4 - 15, 1e-4);
  EXPECT_NEAR(out[0].box.y, 80 - 2 - 18, 1e-4);
  EXPECT_NEAR(out[0].box.width, 30, 1e-4);
  EXPECT_NEAR(out[0].box.height, 36, 1e-4);
  EXPECT_NEAR(out[0].keypoints[0].x, 106, 1e-4);
  EXPECT_NEAR(out[0].keypoints[0].y, 72, 1e-4);
}

TEST(BlazeFaceDecode, SyntheticOutputGivesTheExpectedBox) {
  const int size = 256;
  const auto anchors = emo::detect::blazeface_anchors(size);
  std::vector<float> scores(896, -1000.f);  // clipped to -100: sigmoid ~ 0, no NaN
  std::vector<float> reg(896 * 16, 0.f);
  const int i = 600;  // an 8 x 8 anchor
  scores[i] = 2.0f;   // sigmoid 0.8808
  float *r = &reg[i * 16];
  r[0] = 5, r[1] = -3, r[2] = 40, r[3] = 50;
  for (int k = 0; k < 6; ++k) r[4 + 2 * k] = -10.f + 4 * k, r[5 + 2 * k] = 2.f * k;
  scores[10] = 1000.f;  // clipped to +100: score 1
  reg[10 * 16 + 2] = 8, reg[10 * 16 + 3] = 8;
  scores[20] = 0.f;  // score 0.5: not above a 0.5 threshold
  std::vector<FaceDetection> out;
  emo::detect::decode_blazeface(scores.data(), reg.data(), anchors, size, 0.5f, out);
  ASSERT_EQ(out.size(), 2u);
  const FaceDetection &d = out[0].score < 1 ? out[0] : out[1];
  EXPECT_NEAR(d.score, 1 / (1 + std::exp(-2.0)), 1e-5);
  const float ax = anchors[i].x * size, ay = anchors[i].y * size;
  EXPECT_NEAR(d.box.x, ax + 5 - 20, 1e-4);
  EXPECT_NEAR(d.box.y, ay - 3 - 25, 1e-4);
  EXPECT_NEAR(d.box.width, 40, 1e-4);
  EXPECT_NEAR(d.box.height, 50, 1e-4);
  ASSERT_EQ(d.keypoints.size(), 6u);
  EXPECT_NEAR(d.keypoints[3].x, ax - 10 + 12, 1e-4);
  EXPECT_NEAR(d.keypoints[3].y, ay + 6, 1e-4);
  const FaceDetection &c = out[0].score < 1 ? out[1] : out[0];
  EXPECT_FLOAT_EQ(c.score, 1.f);
}

TEST(BlazeFaceNms, WeightedAverageOfOverlappingBoxesKeepsTheBestScore) {
  FaceDetection a, b, far, edge;
  a.box = {100, 100, 100, 100}, a.score = 0.9f, a.keypoints = {{120, 130}};
  b.box = {110, 90, 100, 120}, b.score = 0.6f, b.keypoints = {{130, 140}};
  far.box = {400, 400, 50, 50}, far.score = 0.7f, far.keypoints = {{410, 410}};
  // IoU with `a` exactly 1/3 > 0.3 is merged; this one has IoU 0.25 and is kept apart.
  edge.box = {160, 100, 100, 100}, edge.score = 0.55f, edge.keypoints = {{170, 110}};
  const auto out = emo::detect::weighted_nms({b, far, a, edge});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  const double w = 0.9 + 0.6;
  EXPECT_NEAR(out[0].box.x, (0.9 * 100 + 0.6 * 110) / w, 1e-3);
  EXPECT_NEAR(out[0].box.y, (0.9 * 100 + 0.6 * 90) / w, 1e-3);
  EXPECT_NEAR(out[0].box.x + out[0].box.width, (0.9 * 200 + 0.6 * 210) / w, 1e-3);
  EXPECT_NEAR(out[0].box.y + out[0].box.height, (0.9 * 200 + 0.6 * 210) / w, 1e-3);
  EXPECT_NEAR(out[0].keypoints[0].x, (0.9 * 120 + 0.6 * 130) / w, 1e-3);
  EXPECT_FLOAT_EQ(out[1].score, 0.7f);
  EXPECT_EQ(out[1].box, far.box);
  EXPECT_FLOAT_EQ(out[2].score, 0.55f);
  EXPECT_EQ(out[2].box, edge.box);
  EXPECT_TRUE(emo::detect::weighted_nms({}).empty());
}

TEST(BlazeFaceLetterbox, NonSquareFramesArePaddedNotStretched) {
  const Letterbox wide = Letterbox::fit(1280, 720, 256);
  EXPECT_EQ(wide.content, cv::Size(256, 144));
  EXPECT_EQ(wide.pad_x, 0);
  EXPECT_EQ(wide.pad_y, 56);
  EXPECT_DOUBLE_EQ(wide.scale_x, wide.scale_y);
  const emo::Point p = wide.to_frame({128, 56 + 72});
  EXPECT_NEAR(p.x, 640, 1e-3);
  EXPECT_NEAR(p.y, 360, 1e-3);
  const Letterbox tall = Letterbox::fit(333, 1000, 128);
  EXPECT_EQ(tall.content.height, 128);
  EXPECT_EQ(tall.content.width % 2, 0);
  EXPECT_NEAR(tall.content.width, 333 * 128 / 1000.0, 1.0);
  EXPECT_EQ(tall.pad_x, (128 - tall.content.width) / 2);
  const cv::Rect2f r = tall.to_frame(cv::Rect2f(static_cast<float>(tall.pad_x), 0.f,
                                                static_cast<float>(tall.content.width), 128.f));
  EXPECT_NEAR(r.x, 0, 1e-3);
  EXPECT_NEAR(r.width, 333, 1e-2);
  EXPECT_NEAR(r.height, 1000, 1e-2);
}

TEST(BlazeFaceLetterbox, AlignedInputsPadOnlyToTheStride) {
  EXPECT_EQ(emo::detect::rectangular_align(256), 64);
  EXPECT_EQ(emo::detect::rectangular_align(128), 32);
  const Letterbox hd = Letterbox::fit_aligned(1280, 720, 256, 64);
  EXPECT_EQ(hd.input, cv::Size(256, 192));
  EXPECT_EQ(hd.content, cv::Size(256, 144));
  EXPECT_EQ(hd.pad_x, 0);
  EXPECT_EQ(hd.pad_y, 24);
  const emo::Point centre = hd.to_frame({128, 24 + 72});
  EXPECT_NEAR(centre.x, 640, 1e-3);
  EXPECT_NEAR(centre.y, 360, 1e-3);
  const emo::Point corner = hd.to_frame({256, 24 + 144});
  EXPECT_NEAR(corner.x, 1280, 1e-3);
  EXPECT_NEAR(corner.y, 720, 1e-3);
  // The same scale as the square letterbox, only less padding.
  const Letterbox square = Letterbox::fit(1280, 720, 256);
  EXPECT_DOUBLE_EQ(hd.scale_x, square.scale_x);
  EXPECT_EQ(hd.content, square.content);
  // 4:3, portrait, and a frame already aligned.
  const Letterbox vga = Letterbox::fit_aligned(640, 480, 256, 64);
  EXPECT_EQ(vga.input, cv::Size(256, 192));
  EXPECT_EQ(vga.pad_y, 0);
  EXPECT_EQ(Letterbox::fit_aligned(1280, 720, 256, 32).input, cv::Size(256, 160));
  const Letterbox tall = Letterbox::fit_aligned(720, 1280, 256, 64);
  EXPECT_EQ(tall.input, cv::Size(192, 256));
  EXPECT_EQ(tall.pad_x, 24);
  EXPECT_EQ(tall.pad_y, 0);
  EXPECT_EQ(Letterbox::fit_aligned(512, 256, 256, 32).input, cv::Size(256, 128));
  EXPECT_EQ(Letterbox::fit_aligned(500, 500, 128, 16).input, cv::Size(128, 128));
  EXPECT_THROW(Letterbox::fit_aligned(640, 480, 256, 3), std::invalid_argument);
}

TEST(BlazeFace, DerivedRectangularModelsEqualTheNpmFilesOnASquareInput) {
  const cv::Mat img = astronaut();  // 512 x 512
  for (const auto &[rect, square] : {std::pair{full_model(), full_square_model()},
                                     std::pair{short_model(), short_square_model()}}) {
    BlazeFace a(rect), b(square);
    EXPECT_TRUE(a.rectangular()) << rect;
    EXPECT_FALSE(b.rectangular()) << square;
    EXPECT_EQ(a.input_size(), b.input_size());
    a.prepare(FrameView::from_mat(img), emo::DetectorParams{});
    b.prepare(FrameView::from_mat(img), emo::DetectorParams{});
    cv::Mat sa, ra, sb, rb;
    a.forward(sa, ra);
    b.forward(sb, rb);
    ASSERT_EQ(sa.rows, 896);
    // The same weights and operations; ONNX Runtime optimises a fixed-shape graph a little
    // differently from a free-shape one (float rounding: 4e-5 in the logits, measured).
    EXPECT_LT(cv::norm(sa, sb, cv::NORM_INF), 1e-3) << rect;
    EXPECT_LT(cv::norm(ra, rb, cv::NORM_INF), 1e-3) << rect;
  }
}

TEST(BlazeFace, RectangularInputFindsWhatTheSquareInputFinds) {
  // The portrait in a 16:9 frame: 256 x 192 input against 256 x 256, the same face.
  const cv::Mat img = astronaut();
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(90, 120, 60));
  img.copyTo(frame(cv::Rect(cv::Point(600, 100), img.size())));
  BlazeFace rect(full_model()), square(full_square_model());
  const auto a = rect.detect(FrameView::from_mat(frame), emo::DetectorParams{});
  EXPECT_EQ(rect.letterbox().input, cv::Size(256, 192));
  EXPECT_EQ(rect.anchors().size(), 16u * 12 * 2 + 8u * 6 * 6);
  const auto b = square.detect(FrameView::from_mat(frame), emo::DetectorParams{});
  EXPECT_EQ(square.letterbox().input, cv::Size(256, 256));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GT(emo::detect::iou(a[0].box, b[0].box), 0.95) << a[0].box << " vs " << b[0].box;
  EXPECT_NEAR(a[0].score, b[0].score, 0.02);
  for (int k = 0; k < 6; ++k) EXPECT_LT(cv::norm(a[0].keypoints[k] - b[0].keypoints[k]), 3.0) << k;
}

TEST(BlazeFace, FindsTheAstronautsFaceWithKeypointsInside) {
  const cv::Mat img = astronaut();
  for (const std::string &model : {full_model(), short_model()}) {
    BlazeFace detector(model);
    const auto faces = detector.detect(FrameView::from_mat(img), emo::DetectorParams{});
    ASSERT_EQ(faces.size(), 1u) << model;
    const FaceDetection &f = faces[0];
    const emo::Box box = f.pixel_box(img.cols, img.rows);
    EXPECT_GT(emo::iou(box, kAstronautFace), 0.75) << box;
    EXPECT_GT(f.score, detector.default_threshold());
    EXPECT_LE(f.score, 1.f);
    ASSERT_EQ(f.keypoints.size(), 6u);
    using K = emo::detect::Keypoint;
    // Eyes, nose and mouth inside the box; the ear tragions lie on its sides (within 10 %).
    for (int k = K::kRightEye; k <= K::kMouthCentre; ++k)
      EXPECT_TRUE(f.box.contains(f.keypoints[k])) << k << " " << f.keypoints[k];
    const cv::Rect2f around(f.box.x - 0.1f * f.box.width, f.box.y, 1.2f * f.box.width,
                            f.box.height);
    for (int k : {K::kRightEarTragion, K::kLeftEarTragion})
      EXPECT_TRUE(around.contains(f.keypoints[k])) << k << " " << f.keypoints[k];
    // The person's right eye is on the image's left; eyes above the nose above the mouth.
    EXPECT_LT(f.keypoints[K::kRightEye].x, f.keypoints[K::kLeftEye].x);
    EXPECT_LT(f.keypoints[K::kRightEarTragion].x, f.keypoints[K::kLeftEarTragion].x);
    EXPECT_LT(f.keypoints[K::kRightEye].y, f.keypoints[K::kNoseTip].y);
    EXPECT_LT(f.keypoints[K::kNoseTip].y, f.keypoints[K::kMouthCentre].y);
  }
}

TEST(BlazeFace, MapsBoxesBackOnPaddedNonSquareFrames) {
  const cv::Mat img = astronaut();
  BlazeFace detector(full_model());
  // The portrait pasted into a wide and a tall frame, off-centre.
  for (const auto &[size, at] : {std::pair{cv::Size(1280, 720), cv::Point(700, 150)},
                                 std::pair{cv::Size(560, 1100), cv::Point(30, 400)}}) {
    cv::Mat frame(size, CV_8UC3, cv::Scalar(90, 120, 60));
    img.copyTo(frame(cv::Rect(at, img.size())));
    const auto faces = detector.detect(FrameView::from_mat(frame), emo::DetectorParams{});
    ASSERT_EQ(faces.size(), 1u) << size;
    const emo::Box expected = kAstronautFace + at;
    const emo::Box box = faces[0].pixel_box(frame.cols, frame.rows);
    EXPECT_GT(emo::iou(box, expected), 0.7) << size << " " << box << " vs " << expected;
    for (int k = 0; k < 4; ++k)  // eyes, nose, mouth
      EXPECT_TRUE(faces[0].box.contains(faces[0].keypoints[k])) << faces[0].keypoints[k];
  }
}

// The astronaut in every format emofacedetect accepts, made with OpenCV's own conversions.
TEST(BlazeFace, EveryFrameFormatGivesTheSameFace) {
  const cv::Mat bgr = astronaut();
  const int w = bgr.cols, h = bgr.rows;
  BlazeFace detector(full_model());
  const auto reference = detector.detect(FrameView::from_mat(bgr), emo::DetectorParams{});
  ASSERT_EQ(reference.size(), 1u);

  cv::Mat i420, gray, rgb, bgra, rgba;
  cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);  // h * 3/2 rows of w
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  cv::cvtColor(bgr, rgba, cv::COLOR_BGR2RGBA);
  const std::uint8_t *y = i420.data, *u = y + w * h, *v = u + (w / 2) * (h / 2);
  cv::Mat nv12_uv(h / 2, w / 2, CV_8UC2);
  for (int r = 0; r < h / 2; ++r)
    for (int c = 0; c < w / 2; ++c)
      nv12_uv.at<cv::Vec2b>(r, c) = {u[r * (w / 2) + c], v[r * (w / 2) + c]};
  cv::Mat yuy2(h, w, CV_8UC2);  // Y0 U Y1 V, from the I420 planes (the same limited range)
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; c += 2) {
      const int ci = (r / 2) * (w / 2) + c / 2;
      yuy2.at<cv::Vec2b>(r, c) = {y[r * w + c], u[ci]};
      yuy2.at<cv::Vec2b>(r, c + 1) = {y[r * w + c + 1], v[ci]};
    }

  auto view = [&](PixelFormat fmt, std::initializer_list<std::pair<const uchar *, int>> planes) {
    FrameView f;
    f.format = fmt;
    f.width = w;
    f.height = h;
    int i = 0;
    for (const auto &[p, stride] : planes) f.planes[i] = p, f.strides[i++] = stride;
    return f;
  };
  const std::vector<std::pair<const char *, FrameView>> frames = {
      {"GRAY8", view(PixelFormat::kGray8, {{gray.data, w}})},
      {"I420", view(PixelFormat::kI420, {{y, w}, {u, w / 2}, {v, w / 2}})},
      {"NV12", view(PixelFormat::kNV12, {{y, w}, {nv12_uv.data, w}})},
      {"YUY2", view(PixelFormat::kYUY2, {{yuy2.data, 2 * w}})},
      {"RGB", view(PixelFormat::kRGB, {{rgb.data, 3 * w}})},
      {"BGRx", view(PixelFormat::kBGRx, {{bgra.data, 4 * w}})},
      {"BGRA", view(PixelFormat::kBGRA, {{bgra.data, 4 * w}})},
      {"RGBx", view(PixelFormat::kRGBx, {{rgba.data, 4 * w}})},
      {"RGBA", view(PixelFormat::kRGBA, {{rgba.data, 4 * w}})},
  };
  cv::Mat ref_rgb, scratch;
  emo::detect::letterbox_rgb(FrameView::from_mat(bgr), 256, ref_rgb, scratch);
  for (const auto &[name, frame] : frames) {
    cv::Mat lb;
    emo::detect::letterbox_rgb(frame, 256, lb, scratch);
    if (std::string(name) != "GRAY8") {  // colour: the same picture to a few grey levels
      cv::Mat diff;
      cv::absdiff(lb, ref_rgb, diff);
      EXPECT_LT(cv::mean(diff)[0] + cv::mean(diff)[1] + cv::mean(diff)[2], 3 * 4.0) << name;
    }
    const auto faces = detector.detect(frame, emo::DetectorParams{});
    ASSERT_EQ(faces.size(), 1u) << name;
    EXPECT_GT(emo::detect::iou(faces[0].box, reference[0].box), 0.85) << name;
  }
}

// YUY2 of any width, odd ones included (their last macro-pixel's second luma is padding, set
// white here so that any leak shows): the letterbox is the BGR picture's, boxes map exactly.
cv::Mat yuy2_of(const cv::Mat &bgr) {
  const int w = bgr.cols, h = bgr.rows, macro = (w + 1) / 2;
  // OpenCV's BGR -> I420 (limited range, as its YUY2 -> RGB expects) of the frame padded to
  // even sides; then Y0 U Y1 V per macro-pixel.
  cv::Mat even, i420;
  cv::copyMakeBorder(bgr, even, 0, h % 2, 0, w % 2, cv::BORDER_REPLICATE);
  cv::cvtColor(even, i420, cv::COLOR_BGR2YUV_I420);
  const int ew = even.cols, eh = even.rows;
  const uchar *y = i420.data, *u = y + ew * eh, *v = u + (ew / 2) * (eh / 2);
  cv::Mat out(h, macro * 2, CV_8UC2);
  for (int r = 0; r < h; ++r)
    for (int m = 0; m < macro; ++m) {
      const int ci = (r / 2) * (ew / 2) + m;
      const bool padding = 2 * m + 1 >= w;
      out.at<cv::Vec2b>(r, 2 * m) = {y[r * ew + 2 * m], u[ci]};
      out.at<cv::Vec2b>(r, 2 * m + 1) = {padding ? uchar(255) : y[r * ew + 2 * m + 1], v[ci]};
    }
  return out;
}

FrameView yuy2_view(const cv::Mat &yuy2, cv::Size size) {
  FrameView f;
  f.format = PixelFormat::kYUY2;
  f.width = size.width;
  f.height = size.height;
  f.planes[0] = yuy2.data;
  f.strides[0] = static_cast<int>(yuy2.step);
  return f;
}

TEST(BlazeFaceLetterbox, Yuy2OfAnyWidthIsTheSamePicture) {
  const cv::Mat img = astronaut();
  for (const cv::Size size : {cv::Size(1, 1), cv::Size(2, 2), cv::Size(1, 7), cv::Size(3, 2),
                              cv::Size(17, 13), cv::Size(511, 512), cv::Size(641, 479)}) {
    cv::Mat bgr;
    cv::resize(img, bgr, size, 0, 0, cv::INTER_AREA);
    const cv::Mat yuy2 = yuy2_of(bgr);
    const FrameView f = yuy2_view(yuy2, size);
    cv::Mat lb, ref, scratch, decoded;
    ASSERT_NO_THROW(emo::detect::letterbox_rgb(f, 256, lb, scratch)) << size;
    // The reference: the same YUY2 decoded by OpenCV at full size, the frame's columns only.
    cv::cvtColor(yuy2, decoded, cv::COLOR_YUV2BGR_YUY2);
    const cv::Mat own = decoded(cv::Rect(0, 0, size.width, size.height)).clone();
    emo::detect::letterbox_rgb(FrameView::from_mat(own), 256, ref, scratch);
    ASSERT_EQ(lb.size(), ref.size()) << size;
    cv::Mat diff;
    cv::absdiff(lb, ref, diff);
    // Resizing macro-pixels against pixels: a grey level or two; a leaked column is far more.
    EXPECT_LT(cv::mean(diff)[0] + cv::mean(diff)[1] + cv::mean(diff)[2], 3 * 2.0)
        << size << " " << cv::mean(diff);
  }
  // An odd-width frame's face is where the BGR frame's is.
  BlazeFace detector(full_model());
  const cv::Mat odd = img(cv::Rect(0, 0, 511, 512)).clone();
  const cv::Mat yuy2 = yuy2_of(odd);
  const FrameView f = yuy2_view(yuy2, odd.size());
  const auto reference = detector.detect(FrameView::from_mat(odd), emo::DetectorParams{});
  const auto faces = detector.detect(f, emo::DetectorParams{});
  ASSERT_EQ(reference.size(), 1u);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(emo::detect::iou(faces[0].box, reference[0].box), 0.95);
}

TEST(BlazeFace, ThresholdMinSizeAndMaxFacesApply) {
  const cv::Mat img = astronaut();
  BlazeFace detector(full_model());
  emo::DetectorParams params;
  params.score_threshold = 0.999;
  EXPECT_TRUE(detector.detect(FrameView::from_mat(img), params).empty());
  params.score_threshold = -1;
  params.min_size = 150;  // the face is about 105 px
  EXPECT_TRUE(detector.detect(FrameView::from_mat(img), params).empty());
  // Two astronauts side by side: two faces, largest first; max_faces keeps one.
  cv::Mat two(512, 1024 + 256, CV_8UC3, cv::Scalar::all(0));
  img.copyTo(two(cv::Rect(0, 0, 512, 512)));
  cv::Mat small;
  cv::resize(img, small, {384, 384}, 0, 0, cv::INTER_AREA);
  small.copyTo(two(cv::Rect(800, 64, 384, 384)));
  params = emo::DetectorParams{};
  const auto faces = detector.detect(FrameView::from_mat(two), params);
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_GT(faces[0].box.area(), faces[1].box.area());
  EXPECT_LT(faces[0].box.x, 512);
  params.max_faces = 1;
  EXPECT_EQ(detector.detect(FrameView::from_mat(two), params).size(), 1u);
}

TEST(BlazeFace, BlankFramesHaveNoFace) {
  BlazeFace detector(full_model());
  for (const cv::Scalar &c : {cv::Scalar::all(0), cv::Scalar::all(255), cv::Scalar(30, 90, 200)}) {
    const cv::Mat img(480, 640, CV_8UC3, c);
    EXPECT_TRUE(detector.detect(FrameView::from_mat(img), emo::DetectorParams{}).empty());
  }
}

TEST(BlazeFace, ModelsAreToldApartByInputSize) {
  BlazeFace full(full_model()), near(short_model());
  EXPECT_EQ(full.input_size(), 256);
  EXPECT_STREQ(full.model_name(), "blazeface-full");
  EXPECT_FLOAT_EQ(full.default_threshold(), 0.52f);
  EXPECT_EQ(near.input_size(), 128);
  EXPECT_STREQ(near.model_name(), "blazeface-short");
  EXPECT_FLOAT_EQ(near.default_threshold(), 0.5f);
  EXPECT_STREQ(emo::detect::make_detector(full_model())->model_name(), "blazeface-full");
  EXPECT_STREQ(emo::detect::make_detector(emo::FaceDetector::kDefaultModel)->model_name(),
               "cascade");
}

TEST(BlazeFace, MissingOrCorruptModelNamesThePathAndHowToGetIt) {
  const auto dir = emo::test::temp_dir("blazeface");
  const std::string missing = (dir / "nowhere.onnx").string();
  const std::string corrupt = (dir / "corrupt.onnx").string();
  std::ofstream(corrupt) << "this is not an ONNX protobuf";
  for (const std::string &path : {missing, corrupt}) {
    try {
      BlazeFace detector(path);
      FAIL() << "no exception for " << path;
    } catch (const emo::ModelError &e) {
      const std::string what = e.what();
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find("tools/fetch-models.sh"), std::string::npos) << what;
      EXPECT_EQ(e.package(), "");
    }
  }
  EXPECT_THROW(emo::detect::make_detector(missing), emo::ModelError);
  std::filesystem::remove_all(dir);
}

TEST(DetectionMemory, KeypointsFollowTheTrackedBox) {
  emo::detect::DetectionMemory memory;
  FaceDetection d;
  d.box = {100, 100, 100, 100};
  d.score = 0.8f;
  d.keypoints = {{125, 140}, {175, 140}};
  memory.update({d}, {{7, emo::Box(102, 98, 100, 100)}}, true);
  const auto *e = memory.find(7);
  ASSERT_NE(e, nullptr);
  EXPECT_FLOAT_EQ(e->score, 0.8f);
  EXPECT_TRUE(e->has_score);
  const auto moved = emo::detect::DetectionMemory::place(*e, emo::Box(200, 300, 50, 50));
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_NEAR(moved[0].x, 212.5, 1e-4);
  EXPECT_NEAR(moved[1].y, 320, 1e-4);
  // A track far from every detection learns nothing; tracks that ended are forgotten.
  memory.update({d}, {{8, emo::Box(500, 500, 40, 40)}}, true);
  EXPECT_EQ(memory.find(8), nullptr);
  memory.keep_only({8});
  EXPECT_EQ(memory.find(7), nullptr);
}

TEST(DlibFraming, AppliesTheFittedOffsetAndScale) {
  const emo::Box b(100, 200, 120, 80);  // side 100
  const emo::Box d = emo::detect::dlib_framing(b);
  EXPECT_NEAR(d.width, emo::detect::kDlibScale * 100, 1);
  EXPECT_EQ(d.width, d.height);
  EXPECT_NEAR(d.x + d.width / 2.0, 160 + emo::detect::kDlibOffsetX * 100, 1);
  EXPECT_NEAR(d.y + d.height / 2.0, 240 + emo::detect::kDlibOffsetY * 100, 1);
}

}  // namespace
