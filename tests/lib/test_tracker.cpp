// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::FaceTracker and emo::DetectionWorker on the astronaut moving across frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/detection_worker.hpp"
#include "emo/track/tracker.hpp"
#include "test_data.hpp"

namespace {

// The astronaut's face in astronaut.png (512x512), as the cascade finds it.
const emo::Box kFace(170, 60, 90, 95);

const cv::Mat &astronaut_luma() {
  static const cv::Mat luma = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
  return luma;
}

// A 960x640 grey frame with the astronaut pasted at (dx, dy).
cv::Mat frame_at(int dx, int dy) {
  cv::Mat frame(640, 960, CV_8UC1, cv::Scalar(90));
  astronaut_luma().copyTo(frame(cv::Rect(dx, dy, 512, 512)));
  return frame;
}

emo::Box moved(const emo::Box &b, int dx, int dy) { return b + cv::Point(dx, dy); }

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(astronaut_luma().empty()) << emo::test::kAstronaut << " is missing";
  }
};

TEST_F(TrackerTest, FollowsAMovingFaceWithOneId) {
  emo::FaceTracker tracker;
  const std::uint64_t f0 = tracker.advance(frame_at(0, 0));
  EXPECT_EQ(f0, 0u);
  tracker.update({kFace}, f0);
  ASSERT_EQ(tracker.faces().size(), 1u);
  const std::uint64_t id = tracker.faces()[0].track_id;
  EXPECT_TRUE(tracker.faces()[0].detected);
  for (int i = 1; i <= 20; ++i) {  // 6 px right and 3 px down per frame, no detections
    tracker.advance(frame_at(6 * i, 3 * i));
    ASSERT_EQ(tracker.faces().size(), 1u) << "frame " << i;
    const emo::TrackedFace &face = tracker.faces()[0];
    EXPECT_EQ(face.track_id, id);
    EXPECT_FALSE(face.detected);
    const emo::Box want = moved(kFace, 6 * i, 3 * i);
    EXPECT_NEAR(face.box.x, want.x, 4) << "frame " << i;
    EXPECT_NEAR(face.box.y, want.y, 4) << "frame " << i;
    EXPECT_NEAR(face.box.width, want.width, 6) << "frame " << i;
  }
}

TEST_F(TrackerTest, BetweenDetectionsABoxGrowsAtMostAThirdBeyondItsDetectedSize) {
  // The astronaut zooms in by 6 % a frame, about the image centre, to twice its size: flow
  // follows the growth, but without a detection the box stops at 1.3x its detected size.
  auto zoomed = [](double z) {
    cv::Mat frame(640, 960, CV_8UC1, cv::Scalar(90)), big;
    cv::resize(astronaut_luma(), big, cv::Size(), z, z, cv::INTER_LINEAR);
    const cv::Rect src((big.cols - std::min(big.cols, 960)) / 2,
                       (big.rows - std::min(big.rows, 640)) / 2, std::min(big.cols, 960),
                       std::min(big.rows, 640));
    big(src).copyTo(
        frame(cv::Rect((960 - src.width) / 2, (640 - src.height) / 2, src.width, src.height)));
    return frame;
  };
  emo::FaceTracker tracker;
  const emo::Box face0(kFace.x + 224, kFace.y + 64, kFace.width, kFace.height);  // centred
  tracker.update({face0}, tracker.advance(zoomed(1.0)));
  ASSERT_EQ(tracker.faces().size(), 1u);
  const double side0 = (face0.width + face0.height) / 2.0;
  double largest = 0;
  for (int i = 1; i <= 12; ++i) {
    tracker.advance(zoomed(std::pow(1.06, i)));
    if (tracker.faces().empty()) break;
    const emo::Box &b = tracker.faces()[0].box;
    largest = std::max(largest, (b.width + b.height) / 2.0);
    EXPECT_LE((b.width + b.height) / 2.0, side0 * 1.3 + 1) << "frame " << i;
  }
  EXPECT_GT(largest, side0 * 1.2) << "flow should follow the zoom up to the limit";
}

TEST_F(TrackerTest, DetectionsKeepTheIdAndNewFacesGetNewIds) {
  emo::FaceTracker tracker;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  const std::uint64_t id = tracker.faces().at(0).track_id;
  const std::uint64_t f1 = tracker.advance(frame_at(5, 0));
  // The detection of the same face, and one elsewhere (a second face).
  tracker.update({moved(kFace, 5, 0), emo::Box(700, 400, 80, 80)}, f1);
  ASSERT_EQ(tracker.faces().size(), 2u);
  EXPECT_EQ(tracker.faces()[0].track_id, id);
  EXPECT_TRUE(tracker.faces()[0].detected);
  EXPECT_EQ(tracker.faces()[0].box, moved(kFace, 5, 0));
  EXPECT_GT(tracker.faces()[1].track_id, id);
  // After a reset, ids are not reused.
  const std::uint64_t last = tracker.faces()[1].track_id;
  tracker.reset();
  EXPECT_TRUE(tracker.faces().empty());
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  EXPECT_GT(tracker.faces().at(0).track_id, last);
}

TEST_F(TrackerTest, ALateDetectionIsMatchedOnItsOwnFrameAndCarriedForward) {
  emo::FaceTracker tracker;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  const std::uint64_t id = tracker.faces().at(0).track_id;
  std::uint64_t f3 = 0;
  for (int i = 1; i <= 6; ++i) {
    const std::uint64_t f = tracker.advance(frame_at(10 * i, 0));
    if (i == 3) f3 = f;
  }
  // A detection made on frame 3, 4 px lower than the tracked box was, arrives on frame 6. On
  // frame 6 the face has moved 30 px further right: IoU with the current box alone would
  // still match, but the correction must keep the motion since frame 3.
  tracker.update({moved(kFace, 30, 4)}, f3);
  ASSERT_EQ(tracker.faces().size(), 1u);
  const emo::TrackedFace &face = tracker.faces()[0];
  EXPECT_EQ(face.track_id, id);
  EXPECT_TRUE(face.detected);
  EXPECT_NEAR(face.box.x, kFace.x + 60, 4);
  EXPECT_NEAR(face.box.y, kFace.y + 4, 4);
}

TEST_F(TrackerTest, ATrackMissedByDetectionsIsDropped) {
  emo::TrackerParams params;
  params.max_missed = 2;
  emo::FaceTracker tracker(params);
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  for (int miss = 1; miss <= 3; ++miss) {
    tracker.update({}, tracker.advance(frame_at(0, 0)));
    EXPECT_EQ(tracker.faces().size(), miss <= 2 ? 1u : 0u) << "miss " << miss;
  }
}

TEST_F(TrackerTest, AFaceThatLeavesTheFrameIsDropped) {
  emo::FaceTracker tracker;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  // The astronaut jumps away and the frame is blank where the face was: no flow to follow.
  for (int i = 0; i < 10; ++i) tracker.advance(cv::Mat(640, 960, CV_8UC1, cv::Scalar(90)));
  EXPECT_TRUE(tracker.faces().empty());
}

// The landmarks' extent of the astronaut's face (a box inside kFace, as dlib fits them).
const emo::Box kExtent(180, 75, 72, 76);

TEST_F(TrackerTest, LearnsTheFramingAtADetectionAndFollowsTheLandmarks) {
  emo::FaceTracker tracker;
  const std::uint64_t f0 = tracker.advance(frame_at(0, 0));
  tracker.update({kFace}, f0);
  const std::uint64_t id = tracker.faces().at(0).track_id;
  // On the detection's frame the framing is learnt; the box stays the detection's.
  EXPECT_EQ(tracker.follow_landmarks(id, kExtent, f0), emo::FollowResult::kCalibrated);
  EXPECT_EQ(tracker.faces().at(0).box, kFace);
  // Next frame: the landmarks moved 10 px right and 6 px down and grew by 25 % around their
  // centre; the box takes the same framing around the new extent.
  const std::uint64_t f1 = tracker.advance(frame_at(0, 0));
  EXPECT_FALSE(tracker.faces().at(0).detected);
  const emo::Box extent1(180 + 10 - 9, 75 + 6 - 9, 90, 95);
  EXPECT_EQ(tracker.follow_landmarks(id, extent1, f1), emo::FollowResult::kFollowed);
  const emo::Box followed = tracker.faces().at(0).box;
  const double cx = extent1.x + extent1.width / 2.0 +
                    (kFace.x + kFace.width / 2.0 - (kExtent.x + kExtent.width / 2.0)) * 1.25;
  EXPECT_NEAR(followed.x + followed.width / 2.0, cx, 1.0) << followed;
  EXPECT_NEAR(followed.width, kFace.width * 1.25, 1.0) << followed;
  EXPECT_NEAR(followed.height, kFace.height * 1.25, 1.0) << followed;
  // Optical flow starts from the followed box (the picture does not move: it stays).
  tracker.advance(frame_at(0, 0));
  EXPECT_GT(emo::iou(tracker.faces().at(0).box, followed), 0.9) << tracker.faces().at(0).box;
  EXPECT_EQ(tracker.stats().follow[static_cast<size_t>(emo::FollowResult::kFollowed)], 1u);
}

TEST_F(TrackerTest, RejectsImplausibleAndStaleLandmarkBoxes) {
  emo::FaceTracker tracker;
  const std::uint64_t f0 = tracker.advance(frame_at(0, 0));
  tracker.update({kFace}, f0);
  const std::uint64_t id = tracker.faces().at(0).track_id;
  const std::uint64_t f1 = tracker.advance(frame_at(0, 0));
  // No detection has taught the framing yet.
  EXPECT_EQ(tracker.follow_landmarks(id, kExtent, f1), emo::FollowResult::kNotCalibrated);
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  const std::uint64_t f2 = f1 + 1;
  ASSERT_EQ(tracker.follow_landmarks(id, kExtent, f2), emo::FollowResult::kCalibrated);
  const std::uint64_t f3 = tracker.advance(frame_at(0, 0));
  const emo::Box before = tracker.faces().at(0).box;
  // A fit far from the box (a bad fit) must not drag it away.
  EXPECT_EQ(tracker.follow_landmarks(id, kExtent + cv::Point(300, 200), f3),
            emo::FollowResult::kRejected);
  EXPECT_EQ(tracker.faces().at(0).box, before);
  // A correction for an earlier frame (arrived late) is ignored.
  EXPECT_EQ(tracker.follow_landmarks(id, kExtent + cv::Point(8, 0), f2), emo::FollowResult::kStale);
  EXPECT_EQ(tracker.faces().at(0).box, before);
  EXPECT_EQ(tracker.follow_landmarks(id + 100, kExtent, f3), emo::FollowResult::kUnknownTrack);
  // A plausible one for the current frame applies.
  EXPECT_EQ(tracker.follow_landmarks(id, kExtent + cv::Point(8, 0), f3),
            emo::FollowResult::kFollowed);
  EXPECT_EQ(tracker.faces().at(0).box, kFace + cv::Point(8, 0));
}

TEST_F(TrackerTest, CountsHowWellDetectionsMatchTheTrackedBoxes) {
  emo::FaceTracker tracker;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  EXPECT_EQ(tracker.stats().new_tracks, 1u);
  EXPECT_EQ(tracker.stats().matched, 0u);
  tracker.advance(frame_at(0, 0));
  const emo::Box shifted = kFace + cv::Point(9, 0);
  const double want = emo::iou(shifted, tracker.faces().at(0).box);
  tracker.update({shifted}, 1);
  EXPECT_EQ(tracker.stats().matched, 1u);
  EXPECT_NEAR(tracker.stats().mean_matched_iou(), want, 1e-9);
  EXPECT_LT(want, 0.9);
}

TEST_F(TrackerTest, RejectsNonLumaImages) {
  emo::FaceTracker tracker;
  EXPECT_THROW(tracker.advance(cv::Mat(10, 10, CV_8UC3)), std::invalid_argument);
  EXPECT_THROW(tracker.advance(cv::Mat()), std::invalid_argument);
}

TEST_F(TrackerTest, DetectionWorkerRunsOneDetectionAtATime) {
  emo::DetectionWorker worker{emo::FaceDetector()};
  std::vector<emo::Box> faces;
  std::uint64_t frame = 0;
  EXPECT_FALSE(worker.busy());
  EXPECT_FALSE(worker.take(faces, frame));
  ASSERT_TRUE(worker.submit(frame_at(100, 50), emo::DetectorParams(), 7));
  EXPECT_TRUE(worker.busy());
  EXPECT_FALSE(worker.submit(frame_at(0, 0), emo::DetectorParams(), 8));  // one at a time
  worker.wait();
  ASSERT_TRUE(worker.take(faces, frame));
  EXPECT_EQ(frame, 7u);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_GT(emo::iou(faces[0], moved(kFace, 100, 50)), 0.6) << faces[0];
  EXPECT_FALSE(worker.busy());
  // A discarded result is never taken.
  ASSERT_TRUE(worker.submit(frame_at(0, 0), emo::DetectorParams(), 9));
  worker.discard();
  EXPECT_FALSE(worker.take(faces, frame));
  EXPECT_FALSE(worker.busy());
}

TEST_F(TrackerTest, DetectionWorkerHandsBackErrors) {
  emo::DetectionWorker worker{emo::FaceDetector()};
  std::vector<emo::Box> faces;
  std::uint64_t frame = 0;
  ASSERT_TRUE(worker.submit(cv::Mat(64, 64, CV_8UC3, cv::Scalar(0)), emo::DetectorParams(), 1));
  worker.wait();
  EXPECT_THROW(worker.take(faces, frame), std::invalid_argument);
  EXPECT_FALSE(worker.busy());
}

}  // namespace
