// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::FaceTracker, emo::ShotCutDetector and emo::DetectionWorker on the astronaut
// moving across frames, on composed frames (the astronaut over other scikit-image pictures:
// cuts, a pan, a cross-fade) and, in the suite TrackerOnData (label `data`), on frames of the
// research data set's dinner clip (real shot cuts and camera pans).
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/detection_worker.hpp"
#include "emo/track/shot_cut.hpp"
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

// A public-domain picture of scikit-image (beside astronaut.png) as luma.
cv::Mat skimage_luma(const std::string &name) {
  const std::string dir = std::filesystem::path(emo::test::kAstronaut).parent_path().string();
  return cv::imread(dir + "/" + name, cv::IMREAD_GRAYSCALE);
}

// A 960x640 shot: `background` scaled to 1200x800, seen through a window at (pan, pan / 2),
// with the astronaut pasted at (x, y) of the window (mirrored when `mirror`).
cv::Mat shot(const cv::Mat &background, int pan, int x, int y, bool mirror = false) {
  cv::Mat big;
  cv::resize(background, big, cv::Size(1200, 800), 0, 0, cv::INTER_AREA);
  cv::Mat frame = big(cv::Rect(pan, pan / 2, 960, 640)).clone();
  cv::Mat face;  // a new image when mirrored: the shared astronaut stays as it is
  if (mirror)
    cv::flip(astronaut_luma(), face, 1);
  else
    face = astronaut_luma();
  face.copyTo(frame(cv::Rect(x, y, 512, 512)));
  return frame;
}

// Luma (GRAY8) of the dinner clip's frames numbered `wanted` (0 = first), decoded by
// GStreamer; frames it could not get are missing from the map.
struct Handoff {
  std::set<int> wanted;
  std::map<int, cv::Mat> frames;
  int next = 0;
};

void on_handoff(GstElement *, GstBuffer *buf, GstPad *pad, gpointer data) {
  auto &h = *static_cast<Handoff *>(data);
  const int n = h.next++;
  if (!h.wanted.count(n)) return;
  GstCaps *caps = gst_pad_get_current_caps(pad);
  GstVideoInfo info;
  const bool ok = caps && gst_video_info_from_caps(&info, caps);
  if (caps) gst_caps_unref(caps);
  GstMapInfo map;
  if (!ok || !gst_buffer_map(buf, &map, GST_MAP_READ)) return;
  const cv::Mat view(GST_VIDEO_INFO_HEIGHT(&info), GST_VIDEO_INFO_WIDTH(&info), CV_8UC1, map.data,
                     static_cast<size_t>(GST_VIDEO_INFO_PLANE_STRIDE(&info, 0)));
  h.frames[n] = view.clone();
  gst_buffer_unmap(buf, &map);
}

std::map<int, cv::Mat> dinner_frames(const std::set<int> &wanted) {
  gst_init(nullptr, nullptr);
  const std::string clip = emo::test::shared_data() + "/video/dinner-720p.mp4";
  Handoff h;
  h.wanted = wanted;
  GError *error = nullptr;
  // Stop decoding after the last wanted frame: identity eos-after counts buffers. Decoding
  // 1461 frames of 720p took over 60 s on the shared 2-core machine at load 16.
  const std::string launch = "filesrc location=\"" + clip +
                             "\" ! decodebin ! videoconvert ! video/x-raw,format=GRAY8 ! "
                             "identity eos-after=" +
                             std::to_string(*wanted.rbegin() + 1) +
                             " ! fakesink name=sink signal-handoffs=true sync=false";
  GstElement *pipeline = gst_parse_launch(launch.c_str(), &error);
  if (error) {
    ADD_FAILURE() << launch << ": " << error->message;
    g_error_free(error);
    if (pipeline) gst_object_unref(pipeline);
    return {};
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &h);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 300 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    ADD_FAILURE() << clip << ": " << (err ? err->message : "error");
    if (err) g_error_free(err);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return h.frames;
}

// Frames of the dinner clip used below, decoded once: shot cuts at 118 and 249 (checked by
// eye: another person, another camera angle), a camera move over 256-276 (checked by eye:
// the boy's face moves about 250 px left, the woman in front of him about 600 px right) and
// the clip's one cross-fade, frames 1424-1446 (checked by eye: from the wide dinner shot to
// the boy at breakfast).
const std::map<int, cv::Mat> &dinner() {
  static const std::map<int, cv::Mat> frames = [] {
    std::set<int> wanted = {116, 117, 118, 119, 247, 248, 249};
    for (int i = 256; i <= 276; ++i) wanted.insert(i);
    for (int i = 1408; i <= 1460; ++i) wanted.insert(i);  // the cross-fade (1424-1446)
    return dinner_frames(wanted);
  }();
  return frames;
}

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(astronaut_luma().empty()) << emo::test::kAstronaut << " is missing";
  }
};

TEST_F(TrackerTest, FollowsAMovingFaceWithOneId) {
  emo::TrackerParams params;
  params.max_unconfirmed_frames = 30;  // optical flow alone for 20 frames
  emo::FaceTracker tracker(params);
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

// A caps change mid-stream (another frame size) ends every track like a cut: the old box is
// in the old size's pixels, and a detection made before the change is not applied after it.
TEST_F(TrackerTest, AFrameSizeChangeEndsEveryTrackLikeACut) {
  emo::FaceTracker tracker;
  const std::uint64_t f0 = tracker.advance(frame_at(0, 0));
  tracker.update({kFace}, f0);
  const std::uint64_t f1 = tracker.advance(frame_at(0, 0));
  ASSERT_EQ(tracker.faces().size(), 1u);
  EXPECT_FALSE(tracker.shot_cut());
  const std::uint64_t old_id = tracker.faces()[0].track_id;
  cv::Mat wide;  // the same picture at another size: 1280x720 would place the face elsewhere
  cv::resize(frame_at(0, 0), wide, {1280, 720});
  const std::uint64_t f2 = tracker.advance(wide);
  EXPECT_TRUE(tracker.shot_cut());
  EXPECT_TRUE(tracker.faces().empty());
  EXPECT_EQ(tracker.shot_start(), f2);
  EXPECT_FALSE(tracker.update({kFace}, f1));  // made on the old size
  EXPECT_TRUE(tracker.faces().empty());
  const emo::Box scaled(kFace.x * 4 / 3, kFace.y * 9 / 8, kFace.width * 4 / 3,
                        kFace.height * 9 / 8);
  EXPECT_TRUE(tracker.update({scaled}, f2));
  ASSERT_EQ(tracker.faces().size(), 1u);
  EXPECT_GT(tracker.faces()[0].track_id, old_id);  // a new track, ids never reused
  tracker.advance(wide);
  EXPECT_FALSE(tracker.shot_cut());  // the same size again: no cut
  ASSERT_EQ(tracker.faces().size(), 1u);
  EXPECT_EQ(tracker.stats().shot_cuts, 1u);
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

TEST_F(TrackerTest, AnUnconfirmedTrackDiesWithinTheBoundInFrames) {
  // The astronaut does not move: optical flow would keep the box for ever.
  emo::TrackerParams params;
  params.max_unconfirmed_frames = 5;
  emo::FaceTracker tracker(params);
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  for (int i = 1; i <= 8; ++i) {
    // Detections that find nothing (or nothing here) do not confirm the track.
    tracker.update({emo::Box(700, 400, 80, 80)}, tracker.advance(frame_at(0, 0)));
    const bool alive = std::any_of(tracker.faces().begin(), tracker.faces().end(),
                                   [](const emo::TrackedFace &f) { return f.track_id == 1; });
    EXPECT_EQ(alive, i <= 5) << "frame " << i;
  }
  EXPECT_EQ(tracker.stats().expired, 1u);
}

TEST_F(TrackerTest, AnUnconfirmedTrackDiesWithinTheBoundInRunningTime) {
  emo::TrackerParams params;
  params.max_unconfirmed_frames = 100;
  params.max_unconfirmed_ns = 100'000'000;  // 100 ms; frames every 40 ms
  emo::FaceTracker tracker(params);
  const std::int64_t ms = 1'000'000;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0), 1000 * ms));
  for (int i = 1; i <= 4; ++i) {
    tracker.advance(frame_at(0, 0), (1000 + 40 * i) * ms);
    EXPECT_EQ(tracker.faces().size(), i <= 2 ? 1u : 0u) << "at +" << 40 * i << " ms";
  }
}

TEST_F(TrackerTest, AFaceConfirmedWithinTheBoundKeepsItsIdWhileItStays) {
  emo::TrackerParams params;
  params.max_unconfirmed_frames = 6;
  emo::FaceTracker tracker(params);
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  const std::uint64_t id = tracker.faces().at(0).track_id;
  std::uint64_t pending = 0;
  for (int i = 1; i <= 60; ++i) {  // 3 px right a frame; a detection every 4 frames, 2 late
    const std::uint64_t f = tracker.advance(frame_at(3 * i, 0));
    if (i % 4 == 0) pending = f;
    if (i % 4 == 2 && i > 2)
      tracker.update({moved(kFace, 3 * static_cast<int>(pending), 0)}, pending);
    ASSERT_EQ(tracker.faces().size(), 1u) << "frame " << i;
    EXPECT_EQ(tracker.faces()[0].track_id, id) << "frame " << i;
  }
  EXPECT_EQ(tracker.stats().new_tracks, 1u);
}

TEST_F(TrackerTest, TheAssignmentIsOptimalWhereGreedyIsNot) {
  // Two tracks A and B side by side; detection d1 overlaps A most, but d2 overlaps only A.
  // Greedy highest-IoU-first gives d1 to A and leaves B and d2 unmatched (total 0.74); the
  // optimal assignment gives d1 to B and d2 to A (total 1.14).
  const emo::Box a(300, 200, 100, 100), b(340, 200, 100, 100);
  const emo::Box d1(315, 200, 100, 100), d2(270, 200, 100, 100);
  ASSERT_LT(emo::iou(a, b), 0.5);
  ASSERT_GT(emo::iou(d1, a), emo::iou(d1, b));
  ASSERT_GT(emo::iou(d1, a), emo::iou(d2, a));
  ASSERT_LT(emo::iou(d2, b), 0.3);  // below min_iou: d2 cannot go to B
  ASSERT_LT(emo::iou(d1, a), emo::iou(d1, b) + emo::iou(d2, a));
  emo::FaceTracker tracker;
  tracker.update({a, b}, tracker.advance(frame_at(0, 0)));
  ASSERT_EQ(tracker.faces().size(), 2u);
  const std::uint64_t id_a = tracker.faces()[0].track_id, id_b = tracker.faces()[1].track_id;
  ASSERT_EQ(tracker.faces()[0].box, a);
  tracker.update({d1, d2}, tracker.advance(frame_at(0, 0)));
  ASSERT_EQ(tracker.faces().size(), 2u);
  EXPECT_EQ(tracker.stats().new_tracks, 2u);  // no new track: both detections matched
  EXPECT_EQ(tracker.stats().matched, 2u);
  for (const emo::TrackedFace &f : tracker.faces()) {
    EXPECT_TRUE(f.detected);
    if (f.track_id == id_a) {
      EXPECT_EQ(f.box, d2);
    } else {
      EXPECT_EQ(f.track_id, id_b);
      EXPECT_EQ(f.box, d1);
    }
  }
  EXPECT_NEAR(tracker.stats().mean_matched_iou(), (emo::iou(d1, b) + emo::iou(d2, a)) / 2, 1e-5);
}

TEST_F(TrackerTest, PairsBelowMinIouStayUnassigned) {
  emo::FaceTracker tracker;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  tracker.advance(frame_at(0, 0));
  const emo::Box far = kFace + cv::Point(70, 0);  // IoU about 0.13
  ASSERT_LT(emo::iou(far, kFace), 0.3);
  tracker.update({far}, 1);
  EXPECT_EQ(tracker.stats().matched, 0u);
  EXPECT_EQ(tracker.stats().new_tracks, 2u);
  EXPECT_EQ(tracker.faces().size(), 2u);
}

TEST_F(TrackerTest, AFaceThatLeavesTheFrameIsDropped) {
  emo::FaceTracker tracker;
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  // The astronaut jumps away and the frame is blank where the face was: no flow to follow.
  for (int i = 0; i < 10; ++i) tracker.advance(cv::Mat(640, 960, CV_8UC1, cv::Scalar(90)));
  EXPECT_TRUE(tracker.faces().empty());
}

TEST_F(TrackerTest, ATrackWhoseFlowPointsFailIsDroppedAfterMaxLostFrames) {
  // Neither a cut nor the unconfirmed bound: only optical flow failing ends the track.
  emo::TrackerParams params;
  params.shot_cut.threshold = 0;
  params.max_unconfirmed_frames = 100;
  params.max_lost_frames = 3;
  emo::FaceTracker tracker(params);
  tracker.update({kFace}, tracker.advance(frame_at(0, 0)));
  // The face is covered by a flat grey patch reaching 30 px beyond the box (more than the
  // optical-flow window): no point in the box can be followed.
  cv::Mat covered = frame_at(0, 0);
  covered(cv::Rect(kFace.x - 30, kFace.y - 30, kFace.width + 60, kFace.height + 60))
      .setTo(cv::Scalar(90));
  for (int i = 1; i <= 5; ++i) {
    tracker.advance(covered);
    EXPECT_EQ(tracker.faces().size(), i <= 3 ? 1u : 0u) << "frame " << i;
    if (!tracker.faces().empty()) {
      EXPECT_EQ(tracker.faces()[0].box, kFace) << "frame " << i;  // the box does not move
    }
  }
  EXPECT_EQ(tracker.stats().lost, 1u);
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

// The composed shots: a cut to another picture and place, a pan of 16 px a frame that moves
// the picture without changing its histogram, a cross-fade (a gradual transition is no cut).
TEST_F(TrackerTest, ShotCutDetectorFindsACutAndNotAPanOrACrossFade) {
  const cv::Mat coffee = skimage_luma("coffee.png"), brick = skimage_luma("brick.png");
  ASSERT_FALSE(coffee.empty() || brick.empty());
  emo::ShotCutDetector cuts;
  EXPECT_FALSE(cuts.next(shot(coffee, 0, 60, 40)));  // the first frame is never a cut
  double largest = 0;
  for (int i = 1; i <= 12; ++i) {  // the pan: picture and face move together
    EXPECT_FALSE(cuts.next(shot(coffee, 16 * i, 60, 40)))
        << "frame " << i << ": " << cuts.last_difference() << " " << cuts.last_correlation();
    largest = std::max(largest, cuts.last_difference());
  }
  EXPECT_GT(largest, 5.0) << "the pan should move the picture";
  const cv::Mat other = shot(brick, 0, 400, 100, true);
  EXPECT_TRUE(cuts.next(other)) << cuts.last_difference() << " " << cuts.last_correlation();
  EXPECT_FALSE(cuts.next(other));
  // A cross-fade back over 12 frames: no frame of it is a hard cut.
  const cv::Mat first = shot(coffee, 0, 60, 40);
  for (int i = 1; i <= 12; ++i) {
    cv::Mat mix;
    cv::addWeighted(other, 1 - i / 12.0, first, i / 12.0, 0, mix);
    EXPECT_FALSE(cuts.next(mix)) << "fade frame " << i << ": " << cuts.last_difference();
  }
  // A threshold of 0 turns cut detection off.
  emo::ShotCutParams off;
  off.threshold = 0;
  emo::ShotCutDetector none(off);
  none.next(first);
  EXPECT_FALSE(none.next(other));
}

// Gradual transitions from the frames alone: a 24-frame cross-fade and a fade to black are
// found (inside: in_transition(); the first frame after: a new shot), and the pan before them
// is not.
TEST_F(TrackerTest, ShotCutDetectorFindsCrossFadesAndFadesToBlack) {
  const cv::Mat coffee = skimage_luma("coffee.png"), brick = skimage_luma("brick.png");
  ASSERT_FALSE(coffee.empty() || brick.empty());
  emo::ShotCutDetector cuts;
  for (int i = 0; i <= 30; ++i) {  // a pan of 8 px a frame
    EXPECT_FALSE(cuts.next(shot(coffee, 8 * i, 60, 40))) << "pan frame " << i;
    EXPECT_FALSE(cuts.in_transition())
        << "pan frame " << i << ": residual " << cuts.last_blend_residual();
  }
  const cv::Mat a = shot(coffee, 240, 60, 40), b = shot(brick, 0, 400, 100, true);
  int found = -1, inside = 0, ended = -1;
  for (int i = 1; i <= 24 + 14 && ended < 0; ++i) {
    cv::Mat mix;
    const double t = std::min(1.0, i / 24.0);
    cv::addWeighted(a, 1 - t, b, t, 0, mix);
    const bool start = cuts.next(mix);
    if (cuts.transition_started()) found = i;
    inside += cuts.in_transition();
    if (start) ended = i;
    EXPECT_TRUE(!start || i > 24) << "fade frame " << i << " is no new shot yet";
  }
  EXPECT_GE(found, 4) << "found too early";
  EXPECT_LE(found, 12) << "the cross-fade should be found within half of it";
  EXPECT_GE(inside, 12);
  EXPECT_GT(ended, 24) << "the new shot starts after the cross-fade";
  EXPECT_LE(ended, 24 + 13);
  EXPECT_FALSE(cuts.in_transition());
  // A fade to black over 16 frames, then black.
  found = -1;
  for (int i = 1; i <= 30; ++i) {
    cv::Mat dark;
    b.convertTo(dark, -1, std::max(0.0, 1 - i / 16.0));
    cuts.next(dark);
    if (cuts.transition_started() && found < 0) found = i;
  }
  EXPECT_GE(found, 4);
  EXPECT_LE(found, 16) << "the fade to black should be found";
  // transition_window 0 turns the test off.
  emo::ShotCutParams off;
  off.transition_window = 0;
  emo::ShotCutDetector none(off);
  for (int i = 0; i <= 24; ++i) {
    cv::Mat mix;
    cv::addWeighted(a, 1 - i / 24.0, b, i / 24.0, 0, mix);
    EXPECT_FALSE(none.next(mix));
    EXPECT_FALSE(none.in_transition());
  }
}

// The short window finds a fast cross-fade (12 frames) within its first third, where the long
// window alone finds it past its middle; a pan that changes the picture as fast is neither.
TEST_F(TrackerTest, TheShortWindowFindsAFastCrossFadeEarly) {
  const cv::Mat coffee = skimage_luma("coffee.png"), brick = skimage_luma("brick.png");
  ASSERT_FALSE(coffee.empty() || brick.empty());
  emo::ShotCutParams long_only;
  long_only.short_window = 0;
  const auto first_found = [&](const emo::ShotCutParams &params) {
    emo::ShotCutDetector cuts(params);
    for (int i = 0; i <= 20; ++i) {  // a pan of 12 px a frame
      cuts.next(shot(coffee, 12 * i, 60, 40));
      if (cuts.in_transition()) return -100 - i;
    }
    const cv::Mat a = shot(coffee, 240, 60, 40), b = shot(brick, 0, 400, 100, true);
    for (int i = 1; i <= 12; ++i) {
      cv::Mat mix;
      cv::addWeighted(a, 1 - i / 12.0, b, i / 12.0, 0, mix);
      cuts.next(mix);
      if (cuts.transition_started()) return i;
    }
    return -1;
  };
  const int early = first_found(emo::ShotCutParams{}), late = first_found(long_only);
  EXPECT_GE(early, 4) << "the short window needs 4 blended frames (a negative: the pan)";
  EXPECT_LE(early, 5);
  EXPECT_GE(late, 8) << "the 12-frame window passes once most of it is blended";
  EXPECT_LT(early, late);
}

// A cross-fade drops every track when it is found, and no track is built inside it; the
// frame after it starts a shot whose detections are applied.
TEST_F(TrackerTest, ATransitionEndsTheTracksAndBuildsNoneInside) {
  const cv::Mat coffee = skimage_luma("coffee.png");
  ASSERT_FALSE(coffee.empty());
  emo::FaceTracker tracker;
  const cv::Mat a = frame_at(0, 0), b = shot(coffee, 0, 60, 40);
  tracker.update({kFace}, tracker.advance(a));
  ASSERT_EQ(tracker.faces().size(), 1u);
  bool found = false;
  std::uint64_t last = 0;
  for (int i = 1; i <= 40 && !tracker.shot_cut(); ++i) {
    cv::Mat mix;
    const double t = std::min(1.0, i / 24.0);
    cv::addWeighted(a, 1 - t, b, t, 0, mix);
    last = tracker.advance(mix);
    found = found || tracker.in_transition();
    if (tracker.in_transition()) {
      EXPECT_TRUE(tracker.faces().empty()) << "frame " << i;
      EXPECT_FALSE(tracker.update({emo::Box(300, 200, 90, 90)}, last)) << "frame " << i;
      EXPECT_TRUE(tracker.faces().empty()) << "frame " << i;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(tracker.shot_cut()) << "the frame after the cross-fade starts a shot";
  EXPECT_EQ(tracker.stats().transitions, 1u);
  EXPECT_TRUE(tracker.update({emo::Box(300, 200, 90, 90)}, last));
  EXPECT_EQ(tracker.faces().size(), 1u);
}

// SORT's n_init: with min_hits 2 a track shows from the second detection run in a row that
// found it; a box found by one run only is never published and is dropped by the next run.
TEST_F(TrackerTest, ANewTrackIsPublishedOnlyOnceConfirmed) {
  emo::TrackerParams params;
  params.min_hits = 2;
  emo::FaceTracker tracker(params);
  const emo::Box wall(20, 300, 60, 60);
  tracker.update({kFace, wall}, tracker.advance(frame_at(0, 0)));
  EXPECT_TRUE(tracker.faces().empty()) << "nothing is confirmed by one run";
  EXPECT_TRUE(tracker.has_tentative());
  tracker.advance(frame_at(2, 0));
  EXPECT_TRUE(tracker.faces().empty()) << "tentative tracks are followed, not shown";
  tracker.update({moved(kFace, 2, 0)}, tracker.advance(frame_at(4, 0)));
  ASSERT_EQ(tracker.faces().size(), 1u) << "the face is confirmed, the wall is dropped";
  EXPECT_TRUE(tracker.faces()[0].detected);
  EXPECT_NEAR(tracker.faces()[0].box.x, kFace.x + 4, 4);
  EXPECT_FALSE(tracker.has_tentative());
  EXPECT_EQ(tracker.stats().unconfirmed, 1u);
  // A confirmed track stays through a run that misses it (only the unconfirmed bound ends it).
  tracker.update({}, tracker.advance(frame_at(6, 0)));
  EXPECT_EQ(tracker.faces().size(), 1u);
  // The wall again: a new tentative track, never the old one back.
  const std::uint64_t id = tracker.faces()[0].track_id;
  tracker.update({moved(kFace, 8, 0), wall}, tracker.advance(frame_at(8, 0)));
  ASSERT_EQ(tracker.faces().size(), 1u);
  EXPECT_EQ(tracker.faces()[0].track_id, id);
  tracker.update({moved(kFace, 10, 0)}, tracker.advance(frame_at(10, 0)));
  ASSERT_EQ(tracker.faces().size(), 1u);
  EXPECT_EQ(tracker.stats().unconfirmed, 2u);
}

// Detections flagged confirmed_now (two looks at their frame) are published at once, and the
// next run still drops those it misses.
TEST_F(TrackerTest, ADetectionConfirmedNowIsPublishedAtOnceAndStillChecked) {
  emo::TrackerParams params;
  params.min_hits = 2;
  emo::FaceTracker tracker(params);
  const emo::Box wall(20, 300, 60, 60), other(600, 300, 60, 60);
  tracker.update({kFace, wall, other}, tracker.advance(frame_at(0, 0)), {true, true, false});
  EXPECT_EQ(tracker.faces().size(), 2u) << "the face and the wall at once, not the third";
  EXPECT_TRUE(tracker.has_provisional());
  EXPECT_TRUE(tracker.has_tentative());
  tracker.update({moved(kFace, 2, 0)}, tracker.advance(frame_at(2, 0)));
  ASSERT_EQ(tracker.faces().size(), 1u) << "the runs that missed the wall and the third box";
  EXPECT_GT(emo::iou(tracker.faces()[0].box, moved(kFace, 2, 0)), 0.8);
  EXPECT_FALSE(tracker.has_provisional());
  EXPECT_FALSE(tracker.has_tentative());
  tracker.update({}, tracker.advance(frame_at(4, 0)));
  EXPECT_EQ(tracker.faces().size(), 1u) << "confirmed by a run now: a miss does not end it";
}

// The dinner clip of the research data set: label `data`.
class TrackerOnData : public TrackerTest {};

TEST_F(TrackerOnData, ShotCutDetectorFindsTheDinnerClipsCutsAndNotItsPan) {
  const auto &f = dinner();
  ASSERT_EQ(f.size(), 81u) << "frames of " << emo::test::shared_data()
                           << "/video/dinner-720p.mp4 are missing";
  emo::ShotCutDetector cuts;
  EXPECT_FALSE(cuts.next(f.at(116)));  // the first frame is never a cut
  EXPECT_FALSE(cuts.next(f.at(117)));
  EXPECT_TRUE(cuts.next(f.at(118))) << cuts.last_difference() << " " << cuts.last_correlation();
  EXPECT_GT(cuts.last_difference(), 24.0);
  EXPECT_FALSE(cuts.next(f.at(119)));
  cuts.reset();
  EXPECT_FALSE(cuts.next(f.at(248)));
  EXPECT_TRUE(cuts.next(f.at(249)));
  // The pan: big pixel differences (more than half the threshold) but the same histogram.
  double largest = 0;
  for (int i = 256; i <= 276; ++i) {
    EXPECT_FALSE(cuts.next(f.at(i)))
        << "frame " << i << ": " << cuts.last_difference() << " " << cuts.last_correlation();
    if (i > 256) largest = std::max(largest, cuts.last_difference());
  }
  EXPECT_GT(largest, 10.0) << "the pan should move the picture";
  // A threshold of 0 turns cut detection off.
  emo::ShotCutParams off;
  off.threshold = 0;
  emo::ShotCutDetector none(off);
  none.next(f.at(117));
  EXPECT_FALSE(none.next(f.at(118)));
}

TEST_F(TrackerOnData, TheCrossFadeIsFoundAndThePanIsNot) {
  const auto &f = dinner();
  ASSERT_EQ(f.size(), 81u);
  emo::ShotCutDetector cuts;
  for (int i = 256; i <= 276; ++i) {
    cuts.next(f.at(i));
    EXPECT_FALSE(cuts.in_transition())
        << "pan frame " << i << ": residual " << cuts.last_blend_residual();
  }
  cuts.reset();
  int found = -1, ended = -1;
  for (int i = 1408; i <= 1460 && ended < 0; ++i) {
    const bool shot = cuts.next(f.at(i));
    if (cuts.transition_started()) found = i;
    if (shot && found > 0) ended = i;
    EXPECT_FALSE(shot && found < 0) << "frame " << i << " is no cut";
  }
  // Its first blended frame is about 1423; the 4-frame window finds it on 1426 (the 12-frame
  // window alone on 1432).
  EXPECT_GE(found, 1425);
  EXPECT_LE(found, 1428);
  EXPECT_GE(ended, 1446) << "the new shot starts when the blend is over";
  EXPECT_LE(ended, 1452);
}

TEST_F(TrackerOnData, AShotCutDropsEveryTrackAndAPanDoesNot) {
  const auto &f = dinner();
  ASSERT_EQ(f.size(), 81u);
  emo::TrackerParams params;
  params.max_unconfirmed_frames = 100;  // only the cut may end the tracks
  emo::FaceTracker tracker(params);
  // Two boxes on textured parts of frame 116 (the people at the table).
  tracker.update({emo::Box(560, 120, 160, 160), emo::Box(200, 200, 200, 200)},
                 tracker.advance(f.at(116)));
  ASSERT_EQ(tracker.faces().size(), 2u);
  tracker.advance(f.at(117));
  EXPECT_FALSE(tracker.shot_cut());
  EXPECT_EQ(tracker.faces().size(), 2u);
  const std::uint64_t cut = tracker.advance(f.at(118));
  EXPECT_TRUE(tracker.shot_cut());
  EXPECT_TRUE(tracker.faces().empty());
  EXPECT_EQ(tracker.shot_start(), cut);
  EXPECT_EQ(tracker.stats().shot_cuts, 1u);

  // Through the camera move, a box on the boy's face follows it and is never dropped.
  tracker.update({emo::Box(1020, 50, 170, 180)}, tracker.advance(f.at(256)));
  ASSERT_EQ(tracker.faces().size(), 1u);
  const std::uint64_t id = tracker.faces()[0].track_id;
  const std::uint64_t cuts = tracker.stats().shot_cuts;
  for (int i = 257; i <= 276; ++i) {
    tracker.advance(f.at(i));
    EXPECT_FALSE(tracker.shot_cut()) << "frame " << i;
    ASSERT_EQ(tracker.faces().size(), 1u) << "frame " << i;
    EXPECT_EQ(tracker.faces()[0].track_id, id);
  }
  // The box is still on the boy's face (about x 760-960, y 40-240 on frame 276).
  const emo::Box &end = tracker.faces().at(0).box;
  EXPECT_TRUE(
      cv::Rect(700, 0, 320, 300).contains(cv::Point(end.x + end.width / 2, end.y + end.height / 2)))
      << end;
  EXPECT_EQ(tracker.stats().shot_cuts, cuts);
}

TEST_F(TrackerTest, ADetectionFromBeforeACutIsNotApplied) {
  const cv::Mat coffee = skimage_luma("coffee.png"), brick = skimage_luma("brick.png");
  const cv::Mat a = shot(coffee, 0, 60, 40), b = shot(brick, 0, 400, 100, true);
  emo::FaceTracker tracker;
  tracker.advance(a);
  const std::uint64_t before = tracker.advance(a);
  const std::uint64_t cut = tracker.advance(b);
  ASSERT_TRUE(tracker.shot_cut());
  const std::uint64_t after = tracker.advance(b);
  // The (asynchronous) detection made on the frame before the cut arrives now: the old shot.
  const std::vector<emo::Box> old_faces = {moved(kFace, 60, 40)};
  EXPECT_FALSE(tracker.update(old_faces, before));
  EXPECT_TRUE(tracker.faces().empty());
  EXPECT_EQ(tracker.stats().stale_detections, 1u);
  EXPECT_EQ(tracker.stats().new_tracks, 0u);
  // One made on the cut frame itself is of the new shot.
  EXPECT_TRUE(tracker.update({emo::Box(400 + 512 - 170 - 90, 100 + 60, 90, 95)}, cut));
  EXPECT_EQ(tracker.faces().size(), 1u);
  EXPECT_GE(after, cut);
  // After a reset (flush, seek) detections made before are ignored too.
  const std::uint64_t last = tracker.advance(b);
  tracker.reset();
  tracker.advance(b);
  EXPECT_FALSE(tracker.update(old_faces, last));
  EXPECT_TRUE(tracker.faces().empty());
}

TEST_F(TrackerTest, RejectsNonLumaImages) {
  emo::FaceTracker tracker;
  EXPECT_THROW(tracker.advance(cv::Mat(10, 10, CV_8UC3)), std::invalid_argument);
  EXPECT_THROW(tracker.advance(cv::Mat()), std::invalid_argument);
}

TEST_F(TrackerTest, DetectionWorkerRunsOneDetectionAtATime) {
  emo::DetectionWorker worker{
      std::make_unique<emo::detect::CascadeDetector>(emo::FaceDetector::kDefaultModel)};
  std::vector<emo::detect::FaceDetection> faces;
  std::uint64_t frame = 0;
  EXPECT_FALSE(worker.busy());
  EXPECT_FALSE(worker.take(faces, frame));
  const cv::Mat first = frame_at(100, 50), second = frame_at(0, 0);
  ASSERT_TRUE(worker.submit(emo::detect::FrameView::from_mat(first), emo::DetectorParams(), 7));
  EXPECT_TRUE(worker.busy());
  EXPECT_FALSE(worker.submit(emo::detect::FrameView::from_mat(second), emo::DetectorParams(),
                             8));  // one at a time
  worker.wait();
  ASSERT_TRUE(worker.take(faces, frame));
  EXPECT_EQ(frame, 7u);
  ASSERT_EQ(faces.size(), 1u);
  const emo::Box box = faces[0].pixel_box(first.cols, first.rows);
  EXPECT_GT(emo::iou(box, moved(kFace, 100, 50)), 0.6) << box;
  EXPECT_FALSE(worker.busy());
  // A discarded result is never taken.
  ASSERT_TRUE(worker.submit(emo::detect::FrameView::from_mat(second), emo::DetectorParams(), 9));
  worker.discard();
  EXPECT_FALSE(worker.take(faces, frame));
  EXPECT_FALSE(worker.busy());
}

TEST_F(TrackerTest, DetectionWorkerReplacesTheDetectionInFlight) {
  emo::DetectionWorker worker{
      std::make_unique<emo::detect::CascadeDetector>(emo::FaceDetector::kDefaultModel)};
  std::vector<emo::detect::FaceDetection> faces;
  std::uint64_t frame = 0;
  const cv::Mat old_shot = frame_at(0, 0), new_shot = frame_at(100, 50);
  const auto view = [](const cv::Mat &m) { return emo::detect::FrameView::from_mat(m); };
  // A shot cut while frame 7 is being detected: frame 8 is detected next, 7's result dropped.
  ASSERT_TRUE(worker.submit(view(old_shot), emo::DetectorParams(), 7));
  worker.replace(view(new_shot), emo::DetectorParams(), 8);
  worker.wait();
  ASSERT_TRUE(worker.take(faces, frame));
  EXPECT_EQ(frame, 8u);
  ASSERT_EQ(faces.size(), 1u);
  const emo::Box box = faces[0].pixel_box(new_shot.cols, new_shot.rows);
  EXPECT_GT(emo::iou(box, moved(kFace, 100, 50)), 0.6) << box;
  EXPECT_FALSE(worker.take(faces, frame));  // nothing else: 7 never comes
  // A finished result not taken yet is dropped too; when idle, replace() runs at once.
  ASSERT_TRUE(worker.submit(view(old_shot), emo::DetectorParams(), 9));
  worker.wait();
  worker.replace(view(new_shot), emo::DetectorParams(), 10);
  worker.wait();
  ASSERT_TRUE(worker.take(faces, frame));
  EXPECT_EQ(frame, 10u);
  EXPECT_FALSE(worker.busy());
}

// A detector whose detection fails on the worker thread.
class FailingDetector : public emo::detect::Detector {
 public:
  const char *model_name() const override { return "failing"; }
  void prepare(const emo::detect::FrameView &, const emo::DetectorParams &) override {}
  void run(std::vector<emo::detect::FaceDetection> &) override {
    throw std::invalid_argument("detection failed");
  }
};

TEST_F(TrackerTest, DetectionWorkerHandsBackErrors) {
  emo::DetectionWorker worker{std::make_unique<FailingDetector>()};
  std::vector<emo::detect::FaceDetection> faces;
  std::uint64_t frame = 0;
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar(0));
  ASSERT_TRUE(worker.submit(emo::detect::FrameView::from_mat(image), emo::DetectorParams(), 1));
  worker.wait();
  EXPECT_THROW(worker.take(faces, frame), std::invalid_argument);
  EXPECT_FALSE(worker.busy());
}

}  // namespace
