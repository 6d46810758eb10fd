// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::WindowAggregator: sampling, dominant labels, no-face samples, gaps, EOS partial windows.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "emo/session/session.hpp"

namespace {

using emo::EmotionWindow;
using emo::FrameFace;
using emo::kSecond;
using emo::WindowAggregator;
using emo::WindowConfig;
using emo::WindowEnd;

constexpr std::int64_t kFrame = kSecond / 25;  // 25 fps: 25 frames per 1 s sample

std::vector<FrameFace> one_face(const std::string &label, double area = 100.0,
                                std::int64_t track = -1) {
  return {FrameFace{label, 0.9, area, track}};
}

/* Feeds 25 fps frames over [from, to) with faces from `faces_at(t)`; collects closed windows. */
void feed(WindowAggregator &agg, std::int64_t from, std::int64_t to,
          const std::function<std::vector<FrameFace>(std::int64_t)> &faces_at,
          std::vector<EmotionWindow> &out, std::int64_t stream_offset = 0) {
  for (std::int64_t t = from; t < to; t += kFrame)
    for (EmotionWindow &w : agg.add_frame(t, kFrame, t + stream_offset, faces_at(t)))
      out.push_back(std::move(w));
}

TEST(SessionWindow, FullWindowSamplesOneLabelPerSecond) {
  WindowAggregator agg(WindowConfig{});
  std::vector<EmotionWindow> windows;
  feed(
      agg, 0, 31 * kSecond,
      [](std::int64_t t) {
        if (t < 10 * kSecond) return one_face("happiness");
        if (t < 20 * kSecond) return one_face("sadness");
        return std::vector<FrameFace>{};
      },
      windows);
  ASSERT_EQ(windows.size(), 1u);
  const EmotionWindow &w = windows[0];
  EXPECT_EQ(w.index, 0u);
  EXPECT_EQ(w.start, 0);
  EXPECT_EQ(w.end, 30 * kSecond);
  EXPECT_EQ(w.closed_by, WindowEnd::Full);
  ASSERT_EQ(w.timeline.size(), 30u);
  EXPECT_EQ(w.timeline[0], "happiness");
  EXPECT_EQ(w.timeline[9], "happiness");
  EXPECT_EQ(w.timeline[10], "sadness");
  EXPECT_EQ(w.timeline[29], "none");
  EXPECT_EQ(w.counts.at("happiness"), 10);
  EXPECT_EQ(w.counts.at("sadness"), 10);
  EXPECT_EQ(w.counts.at("none"), 10);
  EXPECT_NEAR(w.face_share, 2.0 / 3.0, 1e-9);
  EXPECT_EQ(w.dominant, "happiness");  // tie with sadness: the label seen first
  EXPECT_EQ(w.frames, 750);
  EXPECT_EQ(w.face_frames, 500);
}

TEST(SessionWindow, UnsureFacesAreCountedApartAndNeverSampled) {
  WindowConfig config;
  config.window = 4 * kSecond;
  config.min_window = kSecond;
  WindowAggregator agg(config);
  std::vector<EmotionWindow> windows;
  feed(
      agg, 0, 5 * kSecond,
      [](std::int64_t t) {
        // 0-1 s: the big face is unsure, a small one neutral: the small one is sampled.
        if (t < 1 * kSecond)
          return std::vector<FrameFace>{{"unknown", 0.0, 900.0, 1}, {"neutral", 0.8, 100.0, 2}};
        if (t < 3 * kSecond) return one_face("unknown", 900.0, 1);  // only an unsure face
        if (t < 3 * kSecond + 5 * kFrame) return one_face("unknown", 900.0, 1);
        return one_face("happiness", 900.0, 1);  // 3 s: 5 unsure frames, then 20 happy
      },
      windows);
  ASSERT_EQ(windows.size(), 1u);
  const EmotionWindow &w = windows[0];
  EXPECT_EQ(w.timeline, (std::vector<std::string>{"neutral", "unknown", "unknown", "happiness"}));
  EXPECT_EQ(w.counts.at("unknown"), 2);
  EXPECT_EQ(w.dominant, "neutral");  // tie neutral/happiness: seen first; never "unknown"
  EXPECT_NEAR(w.face_share, 0.5, 1e-9);
  EXPECT_EQ(w.face_frames, 25 + 20);
  EXPECT_EQ(w.unsure_frames, 50 + 5);
  EXPECT_EQ(w.frames, 100);

  // Following one track: another face's emotion does not stand in for it.
  WindowConfig follow = config;
  follow.track_id = 1;
  WindowAggregator one(follow);
  std::vector<EmotionWindow> followed;
  feed(
      one, 0, 5 * kSecond,
      [](std::int64_t) {
        return std::vector<FrameFace>{{"unknown", 0.0, 900.0, 1}, {"sadness", 0.8, 100.0, 2}};
      },
      followed);
  ASSERT_EQ(followed.size(), 1u);
  EXPECT_EQ(followed[0].dominant, "none");
  EXPECT_EQ(followed[0].unsure_frames, 100);
  EXPECT_EQ(followed[0].counts.at("unknown"), 4);
}

TEST(SessionWindow, SampleIsTheMostFrequentLabelOfItsInterval) {
  WindowConfig config;
  config.window = 3 * kSecond;
  config.min_window = 0;
  WindowAggregator agg(config);
  std::vector<EmotionWindow> windows;
  // second 0: 10 frames happiness then 15 neutral -> neutral; second 1: face on 3 frames only
  // -> the face's label; second 2: 12 happiness, 12 sadness (tie) and 1 frame without a face
  // -> happiness, seen first.
  feed(
      agg, 0, 3 * kSecond,
      [](std::int64_t t) {
        const std::int64_t f = (t % kSecond) / kFrame;
        if (t < kSecond) return one_face(f < 10 ? "happiness" : "neutral");
        if (t < 2 * kSecond) return f < 3 ? one_face("surprise") : std::vector<FrameFace>{};
        if (f == 24) return std::vector<FrameFace>{};
        return one_face(f < 12 ? "happiness" : "sadness");
      },
      windows);
  std::optional<EmotionWindow> w = agg.finish(WindowEnd::Eos);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->timeline, (std::vector<std::string>{"neutral", "surprise", "happiness"}));
  EXPECT_EQ(w->dominant, "neutral");
  EXPECT_DOUBLE_EQ(w->face_share, 1.0);
}

TEST(SessionWindow, PrimaryFaceIsTheLargestOrTheChosenTrack) {
  const std::vector<FrameFace> faces = {{"sadness", 0.5, 400.0, 7},
                                        {"happiness", 0.8, 900.0, 3},
                                        {"", 0.0, 5000.0, 9}};  // unclassified: ignored
  ASSERT_NE(emo::select_primary(faces, -1), nullptr);
  EXPECT_EQ(emo::select_primary(faces, -1)->label, "happiness");
  EXPECT_EQ(emo::select_primary(faces, 7)->label, "sadness");
  EXPECT_EQ(emo::select_primary(faces, 9), nullptr);
  EXPECT_EQ(emo::select_primary(faces, 42), nullptr);
  EXPECT_EQ(emo::select_primary({}, -1), nullptr);

  WindowConfig config;
  config.window = 2 * kSecond;
  config.min_window = 0;
  config.track_id = 7;
  WindowAggregator agg(config);
  std::vector<EmotionWindow> windows;
  feed(
      agg, 0, 2 * kSecond + kFrame,
      [&](std::int64_t t) {
        return t < kSecond ? faces : std::vector<FrameFace>{faces[1]};  // track 7 leaves at 1 s
      },
      windows);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].timeline, (std::vector<std::string>{"sadness", "none"}));
}

TEST(SessionWindow, WindowsTileTheStreamAndEosEmitsThePartialOne) {
  WindowAggregator agg(WindowConfig{});
  std::vector<EmotionWindow> windows;
  const std::int64_t offset = 100 * kSecond;  // stream time = running time + 100 s
  feed(
      agg, 0, 72 * kSecond, [](std::int64_t) { return one_face("neutral"); }, windows, offset);
  ASSERT_EQ(windows.size(), 2u);
  std::optional<EmotionWindow> last = agg.finish(WindowEnd::Eos);
  ASSERT_TRUE(last);
  windows.push_back(*last);
  for (size_t i = 0; i < windows.size(); ++i) {
    EXPECT_EQ(windows[i].index, i);
    EXPECT_EQ(windows[i].start, static_cast<std::int64_t>(i) * 30 * kSecond);
    EXPECT_EQ(windows[i].stream_start, windows[i].start + offset);
  }
  EXPECT_EQ(windows[1].end, 60 * kSecond);
  EXPECT_EQ(last->end, 72 * kSecond);  // the end of the last frame
  EXPECT_EQ(last->closed_by, WindowEnd::Eos);
  EXPECT_EQ(last->timeline.size(), 12u);
  EXPECT_EQ(last->dominant, "neutral");
  EXPECT_FALSE(agg.has_open_window());
  EXPECT_FALSE(agg.finish(WindowEnd::Eos));  // nothing left
}

TEST(SessionWindow, PartialWindowShorterThanMinWindowIsDropped) {
  WindowAggregator agg(WindowConfig{});
  std::vector<EmotionWindow> windows;
  feed(
      agg, 0, 34 * kSecond, [](std::int64_t) { return one_face("anger"); }, windows);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_FALSE(agg.finish(WindowEnd::Eos));  // 4 s < min-window 5 s
  EXPECT_EQ(agg.dropped(), 1u);

  WindowAggregator exact(WindowConfig{});
  feed(
      exact, 0, 5 * kSecond, [](std::int64_t) { return one_face("anger"); }, windows);
  std::optional<EmotionWindow> w = exact.finish(WindowEnd::Eos);
  ASSERT_TRUE(w);  // exactly min-window long
  EXPECT_EQ(w->duration(), 5 * kSecond);
}

TEST(SessionWindow, GapLongerThanTwoSamplesStartsANewWindow) {
  WindowAggregator agg(WindowConfig{});
  std::vector<EmotionWindow> windows;
  auto happy = [](std::int64_t) { return one_face("happiness"); };
  feed(agg, 0, 10 * kSecond, happy, windows);
  // A step of 1.9 s after the last frame's end is continuous (max gap: 2 sample intervals)...
  feed(agg, 11900 * kSecond / 1000, 12 * kSecond, happy, windows);
  EXPECT_TRUE(windows.empty());
  // ... a step of 2.5 s is a gap: the window closes at the end of its last frame.
  const std::int64_t last_end = 11900 * kSecond / 1000 + 3 * kFrame;
  feed(agg, last_end + 2500 * kSecond / 1000, 20 * kSecond, happy, windows);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].closed_by, WindowEnd::Gap);
  EXPECT_EQ(windows[0].end, last_end);
  EXPECT_EQ(windows[0].timeline.size(), 13u);
  EXPECT_EQ(windows[0].timeline[10], "none");  // the 1.9 s step
  std::optional<EmotionWindow> next = agg.finish(WindowEnd::Eos);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->start, last_end + 2500 * kSecond / 1000);
}

TEST(SessionWindow, StepBackInRunningTimeStartsANewWindow) {
  WindowAggregator agg(WindowConfig{});
  std::vector<EmotionWindow> windows;
  auto sad = [](std::int64_t) { return one_face("sadness"); };
  feed(agg, 0, 8 * kSecond, sad, windows);
  feed(agg, 2 * kSecond, 3 * kSecond, sad, windows);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].end, 8 * kSecond);
  EXPECT_EQ(windows[0].closed_by, WindowEnd::Gap);
}

TEST(SessionWindow, FlushClosesTheWindowAndTheNextFrameOpensOne) {
  WindowAggregator agg(WindowConfig{});
  std::vector<EmotionWindow> windows;
  auto sad = [](std::int64_t) { return one_face("sadness"); };
  feed(agg, 0, 6 * kSecond, sad, windows);
  std::optional<EmotionWindow> w = agg.finish(WindowEnd::Flush);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->closed_by, WindowEnd::Flush);
  feed(agg, 0, 7 * kSecond, sad, windows);  // after a flushing seek running time restarts
  EXPECT_TRUE(windows.empty());
  w = agg.finish(WindowEnd::Segment);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->index, 1u);
  EXPECT_EQ(w->duration(), 7 * kSecond);
}

TEST(SessionWindow, GapEventsCountAsTimeWithoutAFace) {
  WindowConfig config;
  config.window = 10 * kSecond;
  WindowAggregator agg(config);
  std::vector<EmotionWindow> windows;
  feed(
      agg, 0, 4 * kSecond, [](std::int64_t) { return one_face("happiness"); }, windows);
  // GAP events covering 4 s .. 27 s: continuous, no face; they fill the rest of window 0 and
  // the whole of window 1.
  for (std::int64_t t = 4 * kSecond; t < 27 * kSecond; t += kSecond)
    for (EmotionWindow &w : agg.add_gap(t, kSecond, t)) windows.push_back(std::move(w));
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].counts.at("happiness"), 4);
  EXPECT_EQ(windows[0].counts.at("none"), 6);
  EXPECT_EQ(windows[1].counts.at("none"), 10);
  EXPECT_EQ(windows[1].dominant, "none");
  EXPECT_DOUBLE_EQ(windows[1].face_share, 0.0);
  std::optional<EmotionWindow> last = agg.finish(WindowEnd::Eos);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->duration(), 7 * kSecond);
}

TEST(SessionWindow, LastSampleOfAWindowNotAMultipleOfTheIntervalIsShorter) {
  WindowConfig config;
  config.window = 10 * kSecond;
  config.sample_interval = 3 * kSecond;
  config.min_window = 0;
  WindowAggregator agg(config);
  std::vector<EmotionWindow> windows;
  feed(
      agg, 0, 10 * kSecond + kFrame,
      [](std::int64_t t) { return t >= 9 * kSecond ? one_face("fear") : std::vector<FrameFace>{}; },
      windows);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].timeline, (std::vector<std::string>{"none", "none", "none", "fear"}));
}

TEST(SessionWindow, InvalidSettingsAreRejected) {
  auto make = [](std::int64_t window, std::int64_t interval, std::int64_t min) {
    WindowConfig c;
    c.window = window, c.sample_interval = interval, c.min_window = min;
    return WindowAggregator(c);
  };
  EXPECT_THROW(make(0, kSecond, 0), std::invalid_argument);
  EXPECT_THROW(make(10 * kSecond, 0, 0), std::invalid_argument);
  EXPECT_THROW(make(10 * kSecond, 11 * kSecond, 0), std::invalid_argument);
  EXPECT_THROW(make(10 * kSecond, kSecond, 11 * kSecond), std::invalid_argument);
  EXPECT_NO_THROW(make(10 * kSecond, kSecond, 10 * kSecond));
}

}  // namespace
