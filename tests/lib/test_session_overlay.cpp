// SPDX-License-Identifier: LGPL-2.1-or-later
// The session state drawn on the video: the open window so far (WindowAggregator::current()),
// the board emosession writes and emooverlay reads, and the text of each state.
#include <gtest/gtest.h>

#include <glib.h>

#include "emo/session/overlay_state.hpp"

namespace {

using emo::kSecond;

std::vector<emo::FrameFace> face(const std::string &label) { return {{label, 0.9, 100.0, 1}}; }

TEST(SessionOverlayTest, CurrentWindowSoFarClosesNothing) {
  emo::WindowAggregator agg(emo::WindowConfig{});
  EXPECT_FALSE(agg.current());
  for (int i = 0; i < 17; ++i)
    agg.add_frame(i * kSecond, kSecond, -1, face(i < 10 ? "sadness" : "happiness"));
  const auto w = agg.current();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->index, 0u);
  EXPECT_EQ(w->duration(), 17 * kSecond);
  EXPECT_EQ(w->dominant, "sadness");
  EXPECT_EQ(w->timeline.size(), 17u);
  EXPECT_TRUE(agg.has_open_window());
  // The window closed later is the same one, complete.
  std::vector<emo::EmotionWindow> closed;
  for (int i = 17; i <= 30; ++i)
    for (auto &c : agg.add_frame(i * kSecond, kSecond, -1, face("happiness"))) closed.push_back(c);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].index, 0u);
  EXPECT_EQ(closed[0].dominant, "happiness");
  EXPECT_EQ(agg.current()->index, 1u);
}

TEST(SessionOverlayTest, StatusLineShowsRecordingTimeDominantAndState) {
  emo::SessionBoard board;
  board.reset(false);
  board.set_window(-1, true, 0, 10 * kSecond, 30 * kSecond, 17 * kSecond + 400000000, "happiness");
  auto views = board.snapshot();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(emo::session_status_line(views[0], -1), "\u25CF REC 17 / 30 s \u00B7 happiness");
  // The frame's own running time wins when it lies in the window, clamped to its length.
  EXPECT_EQ(emo::session_status_line(views[0], 29 * kSecond),
            "\u25CF REC 19 / 30 s \u00B7 happiness");
  EXPECT_EQ(emo::shown_elapsed(views[0], 99 * kSecond), 30 * kSecond);
  board.set_window(-1, true, 1, 40 * kSecond, 30 * kSecond, 0, emo::kNoFace);
  board.add_analysing(-1);
  views = board.snapshot();
  EXPECT_EQ(emo::session_status_line(views[0], -1),
            "\u25CF REC 0 / 30 s \u00B7 no face \u00B7 analysing\u2026");
  EXPECT_EQ(emo::session_reading(views[0]), "");
  emo::Analysis ok;
  ok.state = "ok";
  ok.text = "¿Cómo te sientes? Parece que sonríes mucho.";
  board.set_reply(-1, 0, ok);
  views = board.snapshot();
  EXPECT_EQ(views[0].analysing, 0);
  EXPECT_EQ(emo::session_reading(views[0]), ok.text);
  EXPECT_FALSE(emo::session_reading_is_error(views[0]));
  // A late reply of an older window does not hide the newer reading.
  board.set_reply(-1, 2, ok);
  emo::Analysis old;
  old.state = "failed";
  old.http_status = 503;
  board.set_reply(-1, 1, old);
  EXPECT_EQ(emo::session_reading(board.snapshot()[0]), ok.text);
  board.set_window(-1, false, 0, 0, 30 * kSecond, 0, emo::kNoFace);
  EXPECT_EQ(emo::session_status_line(board.snapshot()[0], -1), "");
}

TEST(SessionOverlayTest, OfflineAndErrorStatesHaveTheirText) {
  emo::SessionBoard board;
  board.reset(true);
  board.set_window(-1, true, 0, 0, 20 * kSecond, 3 * kSecond, "anger");
  EXPECT_EQ(emo::session_status_line(board.snapshot()[0], -1),
            "\u25CF REC 3 / 20 s \u00B7 anger \u00B7 offline");
  emo::SessionView v;
  v.has_reply = true;
  v.reply.state = "skipped";
  EXPECT_EQ(emo::session_reading(v), "");
  v.reply.state = "failed";
  v.reply.http_status = 429;
  EXPECT_EQ(emo::session_reading(v), "quota exceeded (429)");
  EXPECT_TRUE(emo::session_reading_is_error(v));
  v.reply.http_status = 0;
  v.reply.error_status = "RESOURCE_EXHAUSTED";
  EXPECT_EQ(emo::session_reading(v), "quota exceeded (429)");
  v.reply.error_status.clear();
  v.reply.detail = "timeout: no reply within 60000 ms";
  EXPECT_EQ(emo::session_reading(v), "no reply: timeout");
  v.reply.http_status = 400;
  v.reply.detail = "API key not valid";
  EXPECT_EQ(emo::session_reading(v), "error: HTTP 400: API key not valid");
  v.reply.http_status = 0;
  v.reply.detail = std::string(200, 'x');
  EXPECT_EQ(g_utf8_strlen(emo::session_reading(v).c_str(), -1), 7 + 120);
  v.reply.state = "blocked";
  v.reply.detail = "SAFETY";
  EXPECT_EQ(emo::session_reading(v), "blocked by Gemini: SAFETY");
  v.reply.state = "pending";
  EXPECT_EQ(emo::session_reading(v), "no reply yet");
}

}  // namespace
