// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the emotion gate and the per-track label hysteresis (emo/classify/gate.hpp).
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/classify/gate.hpp"
#include "test_data.hpp"
#include "test_geometry.hpp"

namespace {

/// BlazeFace keypoints of a head turned by `yaw` degrees (cylinder model of the header), eyes
/// level, then the whole face rotated in the image by `roll` degrees about (200, 200).
std::vector<emo::Point> head(double yaw, double roll = 0.0) {
  const double r = 50.0, y = yaw * CV_PI / 180.0;
  std::vector<emo::Point> p{
      {static_cast<float>(200 - 0.5 * r * std::cos(y)), 180.f},              // right eye
      {static_cast<float>(200 + 0.5 * r * std::cos(y)), 180.f},              // left eye
      {static_cast<float>(200 + emo::kNoseDepth * r * std::sin(y)), 205.f},  // nose tip
      {200.f, 230.f},                                                        // mouth
      {static_cast<float>(200 - r * std::cos(y)), 195.f},                    // right ear
      {static_cast<float>(200 + r * std::cos(y)), 195.f},                    // left ear
  };
  return emo::test::rotated(p, roll, {200.f, 200.f});
}

TEST(Gate, YawFromKeypoints) {
  EXPECT_NEAR(emo::yaw_from_keypoints(head(0)), 0.0, 1e-3);
  EXPECT_NEAR(emo::yaw_from_keypoints(head(30)), 30.0, 1e-3);
  EXPECT_NEAR(emo::yaw_from_keypoints(head(-60)), -60.0, 1e-3);
  // Roll does not change the yaw.
  EXPECT_NEAR(emo::yaw_from_keypoints(head(30, 25)), 30.0, 1e-3);
  EXPECT_NEAR(emo::yaw_from_keypoints(head(-20, -40)), -20.0, 1e-3);
  EXPECT_TRUE(std::isnan(emo::yaw_from_keypoints({})));
  EXPECT_TRUE(std::isnan(emo::yaw_from_keypoints(std::vector<emo::Point>(6, {5.f, 5.f}))));
}

TEST(Gate, SharpnessFallsWithBlur) {
  const cv::Mat astronaut = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(astronaut.empty()) << emo::test::kAstronaut;
  const emo::Box face(170, 40, 110, 130);  // the astronaut's face, brows to chin
  const double sharp = emo::face_sharpness(astronaut, face);
  cv::Mat soft;
  cv::GaussianBlur(astronaut, soft, cv::Size(), 4.0);
  const double blurred = emo::face_sharpness(soft, face);
  cv::Mat brighter = astronaut / 2 + 60;  // half the contrast, same detail
  EXPECT_GT(sharp, emo::GateSettings{}.min_sharpness);
  EXPECT_LT(blurred, emo::GateSettings{}.min_sharpness);
  EXPECT_NEAR(emo::face_sharpness(brighter, face), sharp, 0.1 * sharp);
  EXPECT_TRUE(std::isnan(emo::face_sharpness(cv::Mat(), face)));
  EXPECT_TRUE(std::isnan(emo::face_sharpness(cv::Mat(100, 100, CV_8UC1, cv::Scalar(7)), face)));
  EXPECT_TRUE(std::isnan(emo::face_sharpness(astronaut, {-50, -50, 10, 10})));
}

TEST(Gate, ScoreMargin) {
  EXPECT_NEAR(emo::score_margin({0.1f, 0.6f, 0.3f}), 0.3, 1e-6);
  EXPECT_NEAR(emo::score_margin({0.4f, 0.4f, 0.2f}), 0.0, 1e-6);
  EXPECT_NEAR(emo::score_margin({1.f}), 1.0, 1e-6);
  EXPECT_EQ(emo::score_margin({}), 0.0);
}

TEST(Gate, EachTestAndItsOrder) {
  const emo::GateSettings s;  // 48 px, 45 degrees, 0.5, 0.10
  const std::vector<float> clear{0.1f, 0.7f, 0.2f}, flat{0.3f, 0.35f, 0.35f};
  emo::FaceQuality q;
  q.size = 100;
  q.yaw = 10;
  q.sharpness = 0.9;
  EXPECT_EQ(emo::gate_face(q, clear, s), emo::Unsure::None);
  EXPECT_EQ(emo::gate_face(q, flat, s), emo::Unsure::Flat);
  q.sharpness = 0.3;
  EXPECT_EQ(emo::gate_face(q, clear, s), emo::Unsure::Blurred);
  q.yaw = -50;
  EXPECT_EQ(emo::gate_face(q, clear, s), emo::Unsure::Turned);
  q.size = 47;
  EXPECT_EQ(emo::gate_face(q, clear, s), emo::Unsure::Small);
  // Unmeasured values pass; 0 (90 for the yaw) turns a test off.
  emo::FaceQuality unmeasured;
  unmeasured.size = 48;
  EXPECT_EQ(emo::gate_face(unmeasured, clear, s), emo::Unsure::None);
  emo::GateSettings off{0, 90.0, 0.0, 0.0};
  EXPECT_EQ(emo::gate_face(q, flat, off), emo::Unsure::None);
  EXPECT_STREQ(emo::to_string(emo::Unsure::Turned), "turned");
  EXPECT_STREQ(emo::to_string(emo::Unsure::None), "");
}

// A property set on the element beats the model's sidecar, which beats the built-in default.
TEST(Gate, ResolveGateOrder) {
  const emo::GateSettings element;  // built-in defaults: 48 px, 45 degrees, 0.5, 0.10
  emo::GateOverrides model;
  emo::GateSettings g = emo::resolve_gate(element, 0, model);
  EXPECT_EQ(g.min_face_size, 48);
  EXPECT_DOUBLE_EQ(g.min_margin, 0.10);
  model.min_margin = 0.035;
  model.max_yaw = 60.0;
  g = emo::resolve_gate(element, 0, model);
  EXPECT_DOUBLE_EQ(g.min_margin, 0.035);
  EXPECT_DOUBLE_EQ(g.max_yaw, 60.0);
  EXPECT_EQ(g.min_face_size, 48);  // the model does not set it
  EXPECT_DOUBLE_EQ(g.min_sharpness, 0.5);
  emo::GateSettings user = element;
  user.min_margin = 0.2;  // set as a property ...
  user.max_yaw = 30.0;    // ... and this one too, but not flagged: the model's wins
  g = emo::resolve_gate(user, emo::kGateMinMargin, model);
  EXPECT_DOUBLE_EQ(g.min_margin, 0.2);
  EXPECT_DOUBLE_EQ(g.max_yaw, 60.0);
  // Setting a property to its built-in default still overrides the model.
  g = emo::resolve_gate(element, emo::kGateMinMargin | emo::kGateMaxYaw, model);
  EXPECT_DOUBLE_EQ(g.min_margin, 0.10);
  EXPECT_DOUBLE_EQ(g.max_yaw, 45.0);
}

constexpr std::int64_t kFrame = 41708333;  // ns, 24000/1001 fps

TEST(LabelHysteresis, OneFrameFlipDoesNotChangeTheLabel) {
  emo::LabelHysteresis h;
  const emo::LabelHysteresis::Settings s;  // 2 frames, 500 ms
  const int neutral = 3, disgust = 1;
  std::int64_t pts = 0;
  auto step = [&](int candidate) {
    h.begin_frame();
    const int held = h.update(7, candidate, pts, s);
    pts += kFrame;
    return held;
  };
  EXPECT_EQ(step(neutral), neutral);  // a new track takes its first candidate
  for (int i = 0; i < 6; ++i) EXPECT_EQ(step(disgust), neutral) << i;  // 250 ms of a talking mouth
  EXPECT_EQ(step(neutral), neutral);
  // Held for 500 ms: 13 frames at 24 fps span 12 frame intervals = 500.5 ms.
  for (int i = 0; i < 12; ++i) EXPECT_EQ(step(disgust), neutral) << i;
  EXPECT_EQ(step(disgust), disgust);
}

// hold_classifications: a label changes only once network runs agree, not smoothed frames. The
// element classifies a track every 6th frame and smooths in between, so the smoothed candidate
// lags a run by a frame or two.
TEST(LabelHysteresis, HoldCountedInClassifications) {
  emo::LabelHysteresis h;
  emo::LabelHysteresis::Settings s;
  s.hold_frames = 2;
  s.hold_time = 0;
  s.hold_classifications = 2;
  const int neutral = 3, disgust = 1, happiness = 2;
  const int none = emo::LabelHysteresis::kNoClassification;
  int frame = 0;
  auto step = [&](int candidate, int run) {
    h.begin_frame();
    return h.update(7, candidate, frame++ * kFrame, s, nullptr, run);
  };
  EXPECT_EQ(step(neutral, neutral), neutral);  // a new track takes its first candidate
  for (int i = 0; i < 5; ++i) EXPECT_EQ(step(neutral, none), neutral);
  // One run of a talking mouth reads disgust; the smoothing shows it from the next frame on and
  // still on the first frame of the next run (which reads neutral again): 6 frames of disgust,
  // one run for it: the label stays.
  EXPECT_EQ(step(neutral, disgust), neutral);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(step(disgust, none), neutral) << i;
  EXPECT_EQ(step(disgust, neutral), neutral);
  EXPECT_EQ(step(neutral, none), neutral);
  // A smile: two runs read happiness: the label changes on the second, 6 frames (250 ms at
  // 24 fps) after the first, where hold_time 500 ms would wait 12.
  EXPECT_EQ(step(happiness, happiness), neutral);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(step(happiness, none), neutral) << i;
  EXPECT_EQ(step(happiness, happiness), happiness);
  // "unknown" (the gate said no on the smoothed scores) is supported by every run.
  EXPECT_EQ(step(-1, happiness), happiness);
  EXPECT_EQ(step(-1, none), happiness);
  EXPECT_EQ(step(-1, happiness), -1);
  // Callers without runs (kCandidate, the default): every frame is a run of its candidate.
  emo::LabelHysteresis g;
  g.begin_frame();
  EXPECT_EQ(g.update(1, neutral, 0, s), neutral);
  g.begin_frame();
  EXPECT_EQ(g.update(1, disgust, kFrame, s), neutral);
  g.begin_frame();
  EXPECT_EQ(g.update(1, disgust, 2 * kFrame, s), disgust);
}

TEST(LabelHysteresis, AnotherCandidateRestartsTheCount) {
  emo::LabelHysteresis h;
  const emo::LabelHysteresis::Settings s{3, 0};
  h.begin_frame();
  EXPECT_EQ(h.update(1, 0, -1, s), 0);
  h.begin_frame();
  EXPECT_EQ(h.update(1, 2, -1, s), 0);
  h.begin_frame();
  EXPECT_EQ(h.update(1, -1, -1, s), 0);  // "unknown" is a candidate like any other
  h.begin_frame();
  EXPECT_EQ(h.update(1, 2, -1, s), 0);
  h.begin_frame();
  EXPECT_EQ(h.update(1, 2, -1, s), 0);
  h.begin_frame();
  EXPECT_EQ(h.update(1, 2, -1, s), 2);  // 3 frames without timestamps
  h.begin_frame();
  EXPECT_EQ(h.update(1, -1, -1, s), 2);
  h.begin_frame();
  EXPECT_EQ(h.update(1, -1, -1, s), 2);
  h.begin_frame();
  EXPECT_EQ(h.update(1, -1, -1, s), -1);
}

TEST(LabelHysteresis, AHeldLabelUnderChanceGoesToUnknownNotToAnotherLabel) {
  emo::LabelHysteresis h;
  const emo::LabelHysteresis::Settings s{2, 0};
  const std::vector<float> happy{0.8f, 0.1f, 0.1f}, gone{0.1f, 0.8f, 0.1f};
  h.begin_frame();
  EXPECT_EQ(h.update(3, 0, -1, s, &happy), 0);
  h.begin_frame();
  EXPECT_EQ(h.update(3, 1, -1, s, &gone), -1);  // 0.1 < 1/6: released, not flipped
  h.begin_frame();
  EXPECT_EQ(h.update(3, 1, -1, s, &gone), 1);  // the new label held 2 frames
}

TEST(LabelHysteresis, UntrackedFacesOffAndForgetting) {
  emo::LabelHysteresis h;
  h.begin_frame();
  EXPECT_EQ(h.update(-1, 4, 0, {}), 4);
  EXPECT_EQ(h.update(-1, 2, 0, {}), 2);
  const emo::LabelHysteresis::Settings off{1, 0};
  EXPECT_EQ(h.update(5, 1, 0, off), 1);
  h.begin_frame();
  EXPECT_EQ(h.update(5, 2, kFrame, off), 2);
  // A track not seen for more than max_missed frames starts again from its first candidate.
  for (int i = 0; i < h.max_missed + 2; ++i) h.begin_frame();
  EXPECT_EQ(h.update(5, 0, 100 * kFrame, {}), 0);
  h.reset();
  h.begin_frame();
  EXPECT_EQ(h.update(5, 3, 0, {}), 3);
}

}  // namespace
