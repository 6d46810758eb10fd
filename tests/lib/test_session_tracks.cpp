// SPDX-License-Identifier: LGPL-2.1-or-later
// A session per person (emo::TrackWindows, emosession follow=all): each track gets windows of
// its own frames, a track gone for longer than max_gap closes its window there, a track seen
// for less than min_window makes none, indices are unique across tracks, and records carry the
// track id through JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "emo/session/track_windows.hpp"

namespace {

using emo::kSecond;
constexpr std::int64_t kFrame = kSecond / 25;

emo::FrameFace face(std::int64_t track, const std::string &label) {
  return {label, 0.9, 1000.0, track};
}

TEST(TrackWindowsTest, EachPersonHasTheirOwnWindows) {
  emo::WindowConfig config;
  config.window = 10 * kSecond;
  config.min_window = 3 * kSecond;
  emo::TrackWindows tracks(config);
  std::vector<emo::TrackWindow> out;
  auto add = [&](std::vector<emo::TrackWindow> w) {
    for (auto &x : w) out.push_back(std::move(x));
  };
  // Track 1 (happy) for 25 s; track 2 (sad) from 5 s to 12 s; track 3 for 2 s only; an
  // untracked face all along.
  for (std::int64_t t = 0; t < 25 * kSecond; t += kFrame) {
    std::vector<emo::FrameFace> faces = {face(1, "happiness"), face(-1, "anger")};
    if (t >= 5 * kSecond && t < 12 * kSecond) faces.push_back(face(2, "sadness"));
    if (t >= 14 * kSecond && t < 16 * kSecond) faces.push_back(face(3, "fear"));
    add(tracks.add_frame(t, kFrame, t, faces));
    if (t == 20 * kSecond) {
      const auto current = tracks.current();
      ASSERT_EQ(current.size(), 1u);  // 2 and 3 are gone, 1 is in its third window
      EXPECT_EQ(current.begin()->first, 1);
      EXPECT_EQ(current.begin()->second.dominant, "happiness");
    }
  }
  add(tracks.finish(emo::WindowEnd::Eos));
  // Track 1: [0, 10), [10, 20), [20, 25) eos. Track 2: [5, 12) closed by the gap. Track 3: 2 s
  // < min_window: none.
  std::vector<std::pair<std::int64_t, std::int64_t>> seen;
  std::set<std::uint64_t> indices;
  for (const emo::TrackWindow &w : out) {
    seen.emplace_back(w.track_id, w.window.start / kSecond);
    indices.insert(w.window.index);
    EXPECT_NE(w.track_id, 3);
    if (w.track_id == 2) {
      EXPECT_EQ(w.window.closed_by, emo::WindowEnd::Gap);
      EXPECT_EQ(w.window.dominant, "sadness");
      EXPECT_NEAR(static_cast<double>(w.window.duration()) / kSecond, 7.0, 0.05);
    } else {
      EXPECT_EQ(w.window.dominant, "happiness");
    }
  }
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(indices.size(), out.size()) << "indices unique across tracks";
  EXPECT_EQ(tracks.dropped(), 1u);  // track 3
  EXPECT_TRUE(
      std::count(seen.begin(), seen.end(), std::make_pair<std::int64_t, std::int64_t>(2, 5)));
}

TEST(TrackWindowsTest, ShortAbsenceKeepsTheWindow) {
  emo::WindowConfig config;
  config.window = 10 * kSecond;
  emo::TrackWindows tracks(config);
  std::vector<emo::TrackWindow> out;
  for (std::int64_t t = 0; t < 12 * kSecond; t += kFrame) {
    const bool away = t >= 4 * kSecond && t < 5 * kSecond;  // 1 s < max_gap (2 s)
    for (auto &w : tracks.add_frame(t, kFrame, t,
                                    away ? std::vector<emo::FrameFace>{}
                                         : std::vector<emo::FrameFace>{face(7, "surprise")}))
      out.push_back(w);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].window.closed_by, emo::WindowEnd::Full);
  EXPECT_EQ(out[0].window.timeline[4], emo::kNoFace);
}

TEST(TrackWindowsTest, RecordsCarryTheTrackId) {
  emo::WindowRecord r;
  r.session = "s";
  r.track_id = 42;
  r.window.timeline = {"happiness"};
  r.window.counts = {{"happiness", 1}};
  r.window.end = kSecond;
  const std::string line = emo::record_to_json(r);
  EXPECT_NE(line.find("\"track_id\":42"), std::string::npos) << line;
  std::string error;
  const auto back = emo::record_from_json(line, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->track_id, 42);
  r.track_id = -1;  // the primary face: no member, read back as -1
  const std::string primary = emo::record_to_json(r);
  EXPECT_EQ(primary.find("track_id"), std::string::npos);
  EXPECT_EQ(emo::record_from_json(primary, &error)->track_id, -1);
}

}  // namespace
