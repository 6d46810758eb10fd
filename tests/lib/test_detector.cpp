// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::FaceDetector on real face images.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/detector.hpp"
#include "emo/core/error.hpp"
#include "test_data.hpp"

namespace {

cv::Mat astronaut() {
  cv::Mat img = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
  EXPECT_FALSE(img.empty()) << emo::test::kAstronaut;
  return img;
}

// The astronaut enlarged to 720 rows and placed in a 1280x720 frame at x = 300.
cv::Mat astronaut_720p() {
  cv::Mat frame(720, 1280, CV_8UC1, cv::Scalar(90));
  cv::Mat big;
  cv::resize(astronaut(), big, cv::Size(720, 720), 0, 0, cv::INTER_CUBIC);
  big.copyTo(frame(cv::Rect(300, 0, 720, 720)));
  return frame;
}

double best_iou(const emo::Box &box, const std::vector<emo::Box> &boxes) {
  double best = 0.0;
  for (const emo::Box &b : boxes) best = std::max(best, emo::iou(box, b));
  return best;
}

TEST(FaceDetector, FindsTheAstronautsFace) {
  emo::FaceDetector detector;
  const cv::Mat img = astronaut();
  const std::vector<emo::Box> faces = detector.detect(img, emo::DetectorParams{});
  ASSERT_EQ(faces.size(), 1u);
  // Measured: [176, 66, 95 x 95]; the face spans about x 175-270, y 65-160.
  const emo::Box &f = faces[0];
  EXPECT_GE(f.x, 160);
  EXPECT_LE(f.x, 195);
  EXPECT_GE(f.y, 50);
  EXPECT_LE(f.y, 85);
  EXPECT_GE(f.width, 80);
  EXPECT_LE(f.width, 120);
  EXPECT_NEAR(f.width, f.height, 2);
}

// The research data set's photos (label `data`).
TEST(FaceDetectorOnData, FindsFacesInTheWild) {
  const std::filesystem::path dir = emo::test::data_dir() + "/faces-wild/happiness";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::vector<std::filesystem::path> files;
  for (const auto &e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());

  emo::FaceDetector detector;
  int tried = 0, found = 0;
  for (const auto &file : files) {
    if (tried == 20) break;
    const cv::Mat img = cv::imread(file.string(), cv::IMREAD_GRAYSCALE);
    if (img.empty()) continue;  // some ".jpg" files are WebP; skip what OpenCV cannot read
    ++tried;
    const std::vector<emo::Box> faces = detector.detect(img, emo::DetectorParams{});
    if (faces.empty()) continue;
    ++found;
    // One labelled face per photo, roughly centred: the largest box holds the image centre.
    EXPECT_TRUE(faces[0].contains(cv::Point(img.cols / 2, img.rows / 2))) << file;
  }
  ASSERT_EQ(tried, 20);
  EXPECT_GE(found, 16) << "faces found in " << found << " of " << tried << " images";
}

TEST(FaceDetector, FindsNoFaceOnBlankOrEmptyImages) {
  emo::FaceDetector detector;
  const cv::Mat blank(480, 640, CV_8UC1, cv::Scalar(128));
  EXPECT_TRUE(detector.detect(blank, emo::DetectorParams{}).empty());
  cv::Mat gradient(480, 640, CV_8UC1);
  for (int y = 0; y < gradient.rows; ++y) gradient.row(y).setTo(cv::Scalar(y * 255 / 480));
  EXPECT_TRUE(detector.detect(gradient, emo::DetectorParams{}).empty());
  EXPECT_TRUE(detector.detect(cv::Mat(), emo::DetectorParams{}).empty());
}

TEST(FaceDetector, SortsLargestFirstAndHonoursMaxFaces) {
  // Two astronauts, the second at 60 % size.
  const cv::Mat img = astronaut();
  cv::Mat canvas(512, 512 + 308, CV_8UC1, cv::Scalar(100));
  img.copyTo(canvas(cv::Rect(0, 0, 512, 512)));
  cv::Mat small;
  cv::resize(img, small, cv::Size(308, 308), 0, 0, cv::INTER_AREA);
  small.copyTo(canvas(cv::Rect(512, 100, 308, 308)));

  emo::FaceDetector detector;
  emo::DetectorParams params;
  params.detection_width = 0;
  const std::vector<emo::Box> all = detector.detect(canvas, params);
  ASSERT_GE(all.size(), 2u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].area(), all[i].area());
  EXPECT_LT(all[0].x, 512);  // the large face first
  EXPECT_GE(all[1].x, 512);  // then the small one

  params.max_faces = 1;
  const std::vector<emo::Box> one = detector.detect(canvas, params);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], all[0]);
}

TEST(FaceDetector, DownscaledDetectionGivesFramePixelBoxes) {
  const cv::Mat frame = astronaut_720p();
  emo::FaceDetector detector;
  emo::DetectorParams full;
  full.detection_width = 0;
  emo::DetectorParams half = full;
  half.detection_width = 640;
  const std::vector<emo::Box> a = detector.detect(frame, full);
  const std::vector<emo::Box> b = detector.detect(frame, half);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  // The face (about x 545, y 92, 137 px at full resolution) is found at both widths, in the
  // same frame coordinates.
  EXPECT_GT(a[0].x, 500);
  EXPECT_GT(best_iou(a[0], b), 0.7);
  const emo::Box bounds(0, 0, frame.cols, frame.rows);
  for (const emo::Box &box : b) EXPECT_EQ(box & bounds, box);
  // A detection width at or above the frame width is full resolution.
  emo::DetectorParams wide = full;
  wide.detection_width = 4000;
  EXPECT_EQ(detector.detect(frame, wide), a);
}

TEST(FaceDetector, AcceptsAnyRowStride) {
  const cv::Mat img = astronaut();
  cv::Mat canvas(700, 900, CV_8UC1, cv::Scalar(0));
  img.copyTo(canvas(cv::Rect(123, 45, 512, 512)));
  const cv::Mat view = canvas(cv::Rect(123, 45, 512, 512));  // not continuous
  ASSERT_FALSE(view.isContinuous());
  emo::FaceDetector detector;
  for (int width : {0, 320}) {
    emo::DetectorParams params;
    params.detection_width = width;
    EXPECT_EQ(detector.detect(view, params), detector.detect(img, params)) << width;
  }
}

// A user's own cascade comes from no Debian package: the error names the path only (issue 13).
TEST(FaceDetector, MissingUserModelNamesPathButNoPackage) {
  const std::string path = "/nonexistent/haarcascade_missing.xml";
  try {
    emo::FaceDetector detector(path);
    FAIL() << "no exception";
  } catch (const emo::ModelError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_EQ(what.find("opencv-data"), std::string::npos) << what;
    EXPECT_NE(what.find("no such file"), std::string::npos) << what;
    EXPECT_EQ(e.path(), path);
    EXPECT_EQ(e.package(), "");
  }
}

TEST(FaceDetector, MalformedModelIsAModelError) {
  const auto dir = emo::test::temp_dir("detector");
  const std::string path = (dir / "not-a-cascade.xml").string();
  std::ofstream(path) << "<?xml version=\"1.0\"?>\n<opencv_storage>\n</opencv_storage>\n";
  EXPECT_THROW(emo::FaceDetector{path}, emo::ModelError);
  std::filesystem::remove_all(dir);
}

TEST(ModelError, WhatIsAFullSentence) {
  const emo::ModelError with("/a/b.dat", "libdlib-data", "no such file");
  EXPECT_STREQ(with.what(),
               "cannot load model '/a/b.dat': no such file (the file is shipped by the Debian "
               "package 'libdlib-data')");
  const emo::ModelError without("/m.yml.gz", "", "no such file");
  EXPECT_STREQ(without.what(), "cannot load model '/m.yml.gz': no such file");
}

TEST(Geometry, Iou) {
  EXPECT_DOUBLE_EQ(emo::iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(emo::iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(emo::iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
  EXPECT_DOUBLE_EQ(emo::iou({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0);
}

}  // namespace
