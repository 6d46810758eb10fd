// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::detect::TiledDetector: tile layout, cropped frame views, small faces found by
// the tiles that the whole frame's pass misses, close-ups left to the frame pass, and how the
// two passes' detections are merged (merge_views).
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
  emo::DetectorParams low;  // the tiled detector's frame pass reports down to kLowScore
  low.score_threshold = emo::detect::TiledDetector::kLowScore;
  const auto ref = whole.detect(view, low);
  ASSERT_EQ(ref.size(), 1u);
  ASSERT_GE(ref[0].score, emo::detect::TiledDetector::kCloseUpScore);
  emo::detect::TiledDetector tiled(std::make_unique<emo::detect::BlazeFace>(full_model()), 2);
  const auto dets = tiled.detect(view, emo::DetectorParams{});
  ASSERT_EQ(dets.size(), 1u);
  EXPECT_EQ(dets[0].box, ref[0].box) << "the same detection: no tile ran";
  std::vector<FaceDetection> again;
  EXPECT_THROW(tiled.run(again), std::invalid_argument) << "nothing prepared";
}

FaceDetection det(float x, float y, float width, float height, float score) {
  FaceDetection d;
  d.box = cv::Rect2f(x, y, width, height);
  d.score = score;
  return d;
}

using emo::detect::merge_views;
using emo::detect::TiledDetector;
const std::vector<cv::Rect2f> kInsides = {{0, 0, 798, 720}, {482, 0, 798, 720}};
constexpr float kFrameScore = 0.52f;

// The dinner clip's frame 96: the frame pass boxes the grandmother's hair and face (159 px,
// 0.68); the tile, at 1.6x, finds her face alone (64 px, 0.50) and nothing around the head.
TEST(MergeViews, ATileFaceInsideAHeadBoxTheTileDoesNotFindReplacesIt) {
  const auto faces = merge_views({det(111, 59, 159, 159, 0.68f)}, {det(216, 96, 64, 64, 0.50f)},
                                 kInsides, kFrameScore);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(emo::detect::iou(faces[0].box, cv::Rect2f(216, 96, 64, 64)), 0.999f);
  EXPECT_FLOAT_EQ(faces[0].score, 0.68f);
  EXPECT_EQ(faces[0].views, 1);
  // Kept as it is when a tile finds the large box too, when it lies in no tile (cut by the
  // inner edges), or when no tile face has its centre inside it.
  auto kept = merge_views({det(111, 59, 159, 159, 0.68f)},
                          {det(216, 96, 64, 64, 0.50f), det(115, 62, 150, 150, 0.42f)}, kInsides,
                          kFrameScore);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_GT(emo::detect::iou(kept[0].box, cv::Rect2f(111, 59, 159, 159)), 0.999f);
  kept = merge_views({det(111, 59, 159, 159, 0.68f)}, {det(216, 96, 64, 64, 0.50f)},
                     {{0, 0, 200, 720}, {200, 0, 1080, 720}}, kFrameScore);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_GT(emo::detect::iou(kept[0].box, cv::Rect2f(111, 59, 159, 159)), 0.999f);
  kept = merge_views({det(111, 59, 159, 159, 0.68f)}, {det(300, 100, 60, 60, 0.50f)}, kInsides,
                     kFrameScore);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_GT(emo::detect::iou(kept[0].box, cv::Rect2f(111, 59, 159, 159)), 0.999f);
  // Without tiles (a close-up) the frame pass alone, at its own threshold.
  kept = merge_views({det(111, 59, 159, 159, 0.68f), det(600, 100, 60, 60, 0.45f)}, {}, {},
                     kFrameScore);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_GT(emo::detect::iou(kept[0].box, cv::Rect2f(111, 59, 159, 159)), 0.999f);
}

// Two looks under their own thresholds make a face only when both reach the agreement scores.
TEST(MergeViews, TwoLooksThatAgreeBelowTheirThresholdsMakeAFace) {
  // The father looking down (frame 1415): 0.45 by the frame, 0.55 by a tile.
  auto faces = merge_views({det(1059, 198, 71, 71, 0.45f)}, {det(1061, 183, 81, 81, 0.55f)},
                           kInsides, kFrameScore);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].views, 1) << "no pass reached its own threshold";
  EXPECT_GT(emo::detect::iou(faces[0].box, cv::Rect2f(1059, 198, 71, 71)), 0.5f);
  // The back of a head: 0.45 by the frame, 0.39 by a tile; the wheel: 0.68 by a tile alone.
  EXPECT_TRUE(merge_views({det(287, 239, 69, 69, 0.45f)}, {det(277, 230, 95, 95, 0.39f)}, kInsides,
                          kFrameScore)
                  .empty());
  EXPECT_TRUE(merge_views({}, {det(167, 647, 59, 59, 0.68f)}, kInsides, kFrameScore).empty());
  // Agreeing scores that do not overlap make nothing.
  EXPECT_TRUE(merge_views({det(100, 100, 60, 60, 0.45f)}, {det(400, 100, 60, 60, 0.6f)}, kInsides,
                          kFrameScore)
                  .empty());
  // Each pass at its own threshold: two views (a shot's first frame confirms it at once).
  faces = merge_views({det(750, 110, 62, 62, 0.66f)}, {det(752, 110, 54, 54, 0.92f)}, kInsides,
                      kFrameScore);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].views, 2);
  faces = merge_views({det(750, 110, 62, 62, 0.66f)}, {det(752, 110, 54, 54, 0.6f)}, kInsides,
                      kFrameScore);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(faces[0].views, 1) << "the tile's 0.6 is under its own threshold";
}

}  // namespace
