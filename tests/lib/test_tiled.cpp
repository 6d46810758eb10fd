// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::detect::TiledDetector: tile layout, cropped frame views, small faces found by
// the tiles that the whole frame's pass misses, close-ups left to the frame pass.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/blazeface.hpp"
#include "emo/detect/tiled.hpp"
#include "test_data.hpp"

namespace {

using emo::Box;
using emo::detect::FaceDetection;
using emo::detect::FrameView;
using emo::detect::PixelFormat;

std::string full_model() {
  return std::string(EMO_TEST_MODEL_DIR) + "/" + emo::detect::kFullRangeModel;
}

TEST(FrameTiles, TwoColumnsOfA720pFrameOverlapByAQuarter) {
  const std::vector<Box> t = emo::detect::frame_tiles(1280, 720, 2);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], Box(0, 0, 800, 720));
  EXPECT_EQ(t[1], Box(480, 0, 800, 720));
  // A portrait frame gets rows too; the tiles cover the frame.
  const std::vector<Box> p = emo::detect::frame_tiles(720, 1280, 2);
  ASSERT_EQ(p.size(), 8u);  // 2 columns, round(2 * 1280 / 720) = 4 rows
  cv::Mat covered(1280, 720, CV_8U, cv::Scalar(0));
  for (const Box &b : p) covered(b).setTo(1);
  EXPECT_EQ(cv::countNonZero(covered), 720 * 1280);
  EXPECT_TRUE(emo::detect::frame_tiles(1280, 720, 1).empty());
  EXPECT_TRUE(emo::detect::frame_tiles(1280, 720, 0).empty());
}

TEST(CropView, PlanesStartAtTheRegionRoundedForChroma) {
  const int w = 64, h = 48;
  std::vector<std::uint8_t> buf(static_cast<size_t>(w * h * 4));
  FrameView f;
  f.width = w;
  f.height = h;
  // I420: x, y, width and height rounded down to even.
  f.format = PixelFormat::kI420;
  f.planes = {buf.data(), buf.data() + w * h, buf.data() + w * h * 5 / 4};
  f.strides = {w, w / 2, w / 2};
  FrameView c = emo::detect::crop_view(f, Box(11, 7, 21, 13));
  EXPECT_EQ(emo::detect::crop_region(f, Box(11, 7, 21, 13)), Box(10, 6, 20, 12));
  EXPECT_EQ(c.width, 20);
  EXPECT_EQ(c.height, 12);
  EXPECT_EQ(c.planes[0], f.planes[0] + 6 * w + 10);
  EXPECT_EQ(c.planes[1], f.planes[1] + 3 * (w / 2) + 5);
  EXPECT_EQ(c.planes[2], f.planes[2] + 3 * (w / 2) + 5);
  EXPECT_EQ(c.strides, f.strides);
  // NV12: interleaved UV, 2 bytes per chroma pixel.
  f.format = PixelFormat::kNV12;
  f.planes = {buf.data(), buf.data() + w * h, nullptr};
  f.strides = {w, w, 0};
  c = emo::detect::crop_view(f, Box(11, 7, 21, 13));
  EXPECT_EQ(c.planes[1], f.planes[1] + 3 * w + 10);
  EXPECT_EQ(c.planes[2], nullptr);
  // Packed RGB: no rounding, 3 bytes a pixel; YUY2: x even, any y.
  f.format = PixelFormat::kRGB;
  f.planes = {buf.data(), nullptr, nullptr};
  f.strides = {3 * w, 0, 0};
  c = emo::detect::crop_view(f, Box(11, 7, 21, 13));
  EXPECT_EQ(c.planes[0], f.planes[0] + 7 * 3 * w + 11 * 3);
  EXPECT_EQ(c.width, 21);
  f.format = PixelFormat::kYUY2;
  f.strides = {2 * w, 0, 0};
  c = emo::detect::crop_view(f, Box(11, 7, 21, 13));
  EXPECT_EQ(c.planes[0], f.planes[0] + 7 * 2 * w + 10 * 2);
  EXPECT_EQ(c.height, 13);
  // The luma, when given, is cropped alike; a region outside the frame is an error.
  cv::Mat luma(h, w, CV_8U, cv::Scalar(0));
  f.luma = luma;
  c = emo::detect::crop_view(f, Box(11, 7, 21, 13));
  EXPECT_EQ(c.luma.data, luma.ptr(7) + 10);
  EXPECT_THROW(emo::detect::crop_view(f, Box(100, 100, 10, 10)), std::invalid_argument);
}

// A 1280x720 picture (skimage's brick wall) with the astronaut pasted at `side` pixels
// wide at each of `at`: its face is about 0.2 x side wide, at (0.34, 0.15) x side of it.
cv::Mat scene(int side, const std::vector<cv::Point> &at, std::vector<Box> &faces) {
  const std::string dir = std::filesystem::path(emo::test::kAstronaut).parent_path().string();
  cv::Mat wall = cv::imread(dir + "/brick.png", cv::IMREAD_COLOR), frame;
  cv::resize(wall, frame, cv::Size(1280, 720), 0, 0, cv::INTER_LINEAR);
  cv::Mat small;
  cv::resize(cv::imread(emo::test::kAstronaut, cv::IMREAD_COLOR), small, cv::Size(side, side), 0, 0,
             cv::INTER_AREA);
  faces.clear();
  for (const cv::Point &p : at) {
    small.copyTo(frame(cv::Rect(p.x, p.y, side, side)));
    const double s = side / 512.0;
    faces.emplace_back(p.x + static_cast<int>(172 * s), p.y + static_cast<int>(74 * s),
                       static_cast<int>(105 * s), static_cast<int>(105 * s));
  }
  return frame;
}

int found(const std::vector<FaceDetection> &dets, const std::vector<Box> &faces) {
  int n = 0;
  for (const Box &f : faces)
    for (const FaceDetection &d : dets)
      if (emo::iou(d.pixel_box(1280, 720), f) > 0.3) {
        ++n;
        break;
      }
  return n;
}

TEST(TiledDetector, FindsSmallFacesTheFramePassMisses) {
  std::vector<Box> faces;
  // Faces of about 57 px (11 px in the frame pass's 256 x 144), across the frame.
  const cv::Mat frame = scene(280, {{40, 60}, {400, 380}, {720, 40}, {960, 400}}, faces);
  const FrameView view = FrameView::from_mat(frame);
  emo::detect::BlazeFace whole(full_model());
  const int by_frame = found(whole.detect(view, emo::DetectorParams{}), faces);
  emo::detect::TiledDetector tiled(std::make_unique<emo::detect::BlazeFace>(full_model()), 2);
  const auto dets = tiled.detect(view, emo::DetectorParams{});
  const int by_tiles = found(dets, faces);
  EXPECT_GE(by_tiles, 3) << "the tiles should find most small faces";
  EXPECT_GT(by_tiles, by_frame);
  EXPECT_LE(dets.size(), faces.size()) << "no false or duplicate face";
  EXPECT_STREQ(tiled.model_name(), "blazeface-full");
}

TEST(TiledDetector, ACloseUpIsLeftToTheFramePass) {
  std::vector<Box> faces;
  const cv::Mat frame = scene(700, {{290, 10}}, faces);  // a 144 px face
  const FrameView view = FrameView::from_mat(frame);
  emo::detect::BlazeFace whole(full_model());
  const auto ref = whole.detect(view, emo::DetectorParams{});
  ASSERT_EQ(ref.size(), 1u);
  emo::detect::TiledDetector tiled(std::make_unique<emo::detect::BlazeFace>(full_model()), 2);
  const auto dets = tiled.detect(view, emo::DetectorParams{});
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_EQ(dets[0].box, ref[0].box) << "the same detection: no tile ran";
  std::vector<FaceDetection> again;
  EXPECT_THROW(tiled.run(again), std::invalid_argument) << "nothing prepared";
}

}  // namespace
