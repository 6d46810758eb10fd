// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::Landmarker (dlib ERT and OpenCV LBF back-ends) on a real face.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/detector.hpp"
#include "emo/core/error.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "test_data.hpp"

namespace {

cv::Point2f mean_of(const std::vector<emo::Point> &p, int first, int last) {
  cv::Point2f m(0.f, 0.f);
  for (int i = first; i <= last; ++i) m += p[i];
  return m / static_cast<float>(last - first + 1);
}

cv::Rect2f expanded(const emo::Box &b, float by) {
  return cv::Rect2f(b.x - by * b.width, b.y - by * b.height, b.width * (1 + 2 * by),
                    b.height * (1 + 2 * by));
}

class LandmarkerTest : public ::testing::Test {
 protected:
  // The 68-point model is 100 MB: load it once for the whole suite.
  static void SetUpTestSuite() {
    image_ = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(image_.empty());
    emo::FaceDetector detector;
    const auto faces = detector.detect(image_, emo::DetectorParams{});
    ASSERT_EQ(faces.size(), 1u);
    face_ = faces[0];
    dlib_ = std::make_unique<emo::Landmarker>();
  }
  static void TearDownTestSuite() { dlib_.reset(); }

  static cv::Mat image_;
  static emo::Box face_;
  static std::unique_ptr<emo::Landmarker> dlib_;
};
cv::Mat LandmarkerTest::image_;
emo::Box LandmarkerTest::face_;
std::unique_ptr<emo::Landmarker> LandmarkerTest::dlib_;

TEST_F(LandmarkerTest, Dlib68PointsOnTheAstronaut) {
  ASSERT_TRUE(dlib_);
  EXPECT_EQ(dlib_->num_points(), 68);
  EXPECT_STREQ(dlib_->backend(), "dlib-ert");
  const std::vector<emo::Point> p = dlib_->fit(image_, face_);
  ASSERT_EQ(p.size(), 68u);

  const cv::Rect2f area = expanded(face_, 0.2f);
  int inside = 0;
  for (const emo::Point &q : p) inside += area.contains(q);
  EXPECT_GE(inside, 66) << "points inside the box expanded by 20 %";

  const cv::Point2f left_eye = mean_of(p, 36, 41), right_eye = mean_of(p, 42, 47);
  const cv::Point2f mouth = mean_of(p, 48, 67), nose_tip = p[30];
  EXPECT_LT(left_eye.x, right_eye.x);
  EXPECT_LT(left_eye.y, nose_tip.y);
  EXPECT_LT(right_eye.y, nose_tip.y);
  EXPECT_LT(nose_tip.y, mouth.y);
  EXPECT_LT(p[48].x, p[54].x);  // mouth corners in order
  // Eyes about 0.3-0.5 of the box width apart.
  const double eye_dist = cv::norm(right_eye - left_eye);
  EXPECT_GT(eye_dist, 0.3 * face_.width);
  EXPECT_LT(eye_dist, 0.6 * face_.width);
}

TEST_F(LandmarkerTest, DlibCopesWithABoxPartlyOutsideTheImage) {
  const emo::Box edge(image_.cols - 60, -30, 120, 120);
  EXPECT_EQ(dlib_->fit(image_, edge).size(), 68u);
  EXPECT_THROW(dlib_->fit(image_, emo::Box(0, 0, 0, 10)), std::invalid_argument);
  EXPECT_THROW(dlib_->fit(cv::Mat(10, 10, CV_8UC3), face_), std::invalid_argument);
}

TEST_F(LandmarkerTest, DlibAcceptsAnyRowStride) {
  cv::Mat canvas(700, 900, CV_8UC1, cv::Scalar(0));
  image_.copyTo(canvas(cv::Rect(123, 45, image_.cols, image_.rows)));
  const cv::Mat view = canvas(cv::Rect(123, 45, image_.cols, image_.rows));
  ASSERT_FALSE(view.isContinuous());
  const auto a = dlib_->fit(image_, face_);
  const auto b = dlib_->fit(view, face_);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LT(cv::norm(a[i] - b[i]), 1e-3) << i;
}

/* Landmarker evaluates dlib's trees from its own compact copy (lib/src/landmarks/ert_model.hpp):
 * the points must be dlib::shape_predictor's own, to the pixel, on real faces of every kind of box:
 * detected, shifted, scaled, partly outside the image, tiny and huge. The faces: the astronaut as
 * she is, mirrored, scaled down and up, tilted both ways, darker and with less contrast, and with
 * her smile mirrored into a frown. */
TEST_F(LandmarkerTest, DlibPointsAreDlibShapePredictorsOwn) {
  dlib::shape_predictor reference;
  dlib::deserialize(emo::Landmarker::kDefaultModel) >> reference;
  std::vector<cv::Mat> images{image_};
  cv::Mat m;
  cv::flip(image_, m, 1);
  images.push_back(m);
  for (double scale : {0.45, 1.7}) {
    cv::resize(image_, m, cv::Size(), scale, scale, cv::INTER_AREA);
    images.push_back(m);
  }
  for (double angle : {-18.0, 12.0}) {
    const cv::Mat r =
        cv::getRotationMatrix2D(cv::Point2f(image_.cols / 2.f, image_.rows / 2.f), angle, 1.0);
    cv::warpAffine(image_, m, r, image_.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    images.push_back(m.clone());
  }
  image_.convertTo(m, -1, 0.6, -10);
  images.push_back(m.clone());
  m = image_.clone();
  cv::flip(image_(cv::Rect(196, 133, 54, 25)), m(cv::Rect(196, 133, 54, 25)), 0);
  images.push_back(m);
  cv::RNG rng(7);
  int compared = 0;
  for (const cv::Mat &img : images) {
    const dlib::cv_image<unsigned char> dimg(img);
    for (int k = 0; k < 12; ++k) {
      const int side = k == 0 ? 8 : rng.uniform(20, std::max(21, img.cols * 3 / 2));
      const emo::Box box(rng.uniform(-side / 2, img.cols), rng.uniform(-side / 2, img.rows), side,
                         side);
      const dlib::full_object_detection want = reference(
          dimg, dlib::rectangle(box.x, box.y, box.x + box.width - 1, box.y + box.height - 1));
      const std::vector<emo::Point> got = dlib_->fit(img, box);
      ASSERT_EQ(got.size(), want.num_parts());
      for (unsigned long i = 0; i < want.num_parts(); ++i) {
        ASSERT_EQ(got[i].x, static_cast<float>(want.part(i).x()))
            << "box " << box << " point " << i;
        ASSERT_EQ(got[i].y, static_cast<float>(want.part(i).y()))
            << "box " << box << " point " << i;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 60);
}

// The 5-point LBF model is part of the research data set (its models/): label `data`.
class LandmarkerOnData : public LandmarkerTest {};

TEST_F(LandmarkerOnData, LbfFivePointsNearTheFace) {
  const std::string path = emo::test::data_dir() + "/models/lbf-5pt.yaml";
  emo::Landmarker lbf(path);
  EXPECT_EQ(lbf.num_points(), 5);
  EXPECT_STREQ(lbf.backend(), "opencv-lbf");
  const std::vector<emo::Point> p = lbf.fit(image_, face_);
  ASSERT_EQ(p.size(), 5u);
  const cv::Rect2f area = expanded(face_, 0.2f);
  for (const emo::Point &q : p) EXPECT_TRUE(area.contains(q)) << q;
  // dlib's 5-point layout: 0-1 the image-right eye's corners, 2-3 the image-left eye's, 4 the
  // base of the nose. Compare with the 68-point fit of the same face.
  const std::vector<emo::Point> d = dlib_->fit(image_, face_);
  const double tol = 0.12 * face_.width;
  EXPECT_LT(cv::norm(p[0] - d[45]), tol);
  EXPECT_LT(cv::norm(p[2] - d[36]), tol);
  EXPECT_LT(cv::norm(p[4] - d[33]), tol);
  // A box outside the image does not throw: the points are all (0, 0).
  const auto outside = lbf.fit(image_, emo::Box(-1000, -1000, 50, 50));
  ASSERT_EQ(outside.size(), 5u);
  for (const emo::Point &q : outside) EXPECT_EQ(q, emo::Point(0.f, 0.f));
  // Moving the landmarker keeps it working.
  emo::Landmarker moved = std::move(lbf);
  EXPECT_EQ(moved.fit(image_, face_).size(), 5u);
}

TEST(Landmarker, MissingDlibModelNamesPackage) {
  const std::string path = "/nonexistent/shape_predictor.dat";
  try {
    emo::Landmarker lm(path);
    FAIL() << "no exception";
  } catch (const emo::ModelError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("libdlib-data"), std::string::npos) << what;
    EXPECT_EQ(e.package(), "libdlib-data");
  }
}

TEST(Landmarker, TruncatedOrForeignDlibModelIsAModelError) {
  const std::filesystem::path dir = emo::test::temp_dir("landmarker");
  std::ifstream model(emo::Landmarker::kDefaultModel, std::ios::binary);
  std::string head(1 << 20, '\0');
  model.read(head.data(), static_cast<std::streamsize>(head.size()));
  const std::vector<std::pair<std::string, std::string>> files = {
      {"truncated.dat", head}, {"empty.dat", ""}, {"text.dat", "not a dlib model at all\n"}};
  for (const auto &[name, content] : files) {
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << content;
    try {
      emo::Landmarker lm(path);
      ADD_FAILURE() << name << ": no exception";
    } catch (const emo::ModelError &e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(Landmarker, MissingOrBadLbfModelIsAModelError) {
  try {
    emo::Landmarker lm("/nonexistent/lbf.yaml");
    FAIL() << "no exception";
  } catch (const emo::ModelError &e) {
    EXPECT_EQ(e.package(), "");
    EXPECT_NE(std::string(e.what()).find("/nonexistent/lbf.yaml"), std::string::npos);
  }
  const auto dir = emo::test::temp_dir("landmarker");
  const std::string yaml = (dir / "empty.yml").string();
  std::ofstream(yaml) << "%YAML:1.0\n---\nfoo: 1\n";
  EXPECT_THROW(emo::Landmarker{yaml}, emo::ModelError);
  const std::string dat = (dir / "garbage.dat").string();
  std::ofstream(dat) << "this is not a dlib shape predictor";
  EXPECT_THROW(emo::Landmarker{dat}, emo::ModelError);
  std::filesystem::remove_all(dir);
}

}  // namespace
