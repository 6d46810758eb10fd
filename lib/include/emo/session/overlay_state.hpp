// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: what an emotion session looks like right now, for drawing it on the video
// (emosession writes it, emooverlay session=NAME reads it; see docs/session-overlay.md).
//   - SessionView: one followed person's state: the open window (running time, dominant
//     emotion so far), windows waiting for Gemini, and the last final analysis;
//   - SessionBoard: the views of one emosession, thread-safe (written on its streaming thread
//     and the Gemini client's thread, read on emooverlay's streaming thread);
//   - session_status_line() / session_reading(): the text shown for a view.
// No GStreamer types. Times are nanoseconds of running time.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emo/session/session.hpp"

namespace emo {

/// One followed person's session, as it is now.
struct SessionView {
  std::int64_t track_id = -1;  ///< the person's track; -1: the primary face (largest)
  bool recording = false;      ///< a window is open
  std::uint64_t window_index = 0;
  std::int64_t window_start = 0;   ///< running time where the open window started
  std::int64_t window_length = 0;  ///< length of a full window
  std::int64_t elapsed = 0;        ///< open window's length so far (its last frame's end)
  std::string dominant = kNoFace;  ///< the open window's dominant emotion so far
  int analysing = 0;               ///< windows whose analysis is not final yet
  bool offline = false;            ///< no API key: nothing is sent
  bool has_reply = false;          ///< `reply` holds a final analysis
  std::uint64_t reply_index = 0;   ///< the window `reply` belongs to
  Analysis reply;                  ///< the last final analysis (shown until the next one)
};

/// The views of one session, keyed by track id (-1: the primary face). Thread-safe.
class SessionBoard {
 public:
  /// Forgets every view (a new run starts); `offline` is the run's API key state.
  void reset(bool offline);
  /// The open window of `track_id`: its index, start, full length, elapsed time and dominant
  /// emotion so far; or, with `recording` false, that no window is open.
  void set_window(std::int64_t track_id, bool recording, std::uint64_t index, std::int64_t start,
                  std::int64_t length, std::int64_t elapsed, const std::string &dominant);
  /// A window of `track_id` was sent to Gemini (or, offline, is about to be skipped).
  void add_analysing(std::int64_t track_id);
  /// The final analysis of window `index` of `track_id`: replaces the one shown.
  void set_reply(std::int64_t track_id, std::uint64_t index, const Analysis &analysis);
  /// Every view, by track id (-1 first).
  std::vector<SessionView> snapshot() const;
  /// Changes each time the board does (to redraw only when needed).
  std::uint64_t version() const;

 private:
  SessionView &view(std::int64_t track_id);  // under mutex_
  mutable std::mutex mutex_;
  std::map<std::int64_t, SessionView> views_;
  bool offline_ = false;
  std::uint64_t version_ = 0;
};

/// The elapsed time shown for `view` on a frame at `running_time` (-1: unknown): the frame's
/// position in the open window when it lies in it, else the session's own `elapsed`; clamped
/// to [0, window_length].
std::int64_t shown_elapsed(const SessionView &view, std::int64_t running_time);

/// The status line of a view, e.g. "● REC 17 / 30 s · happiness" (whole seconds, rounded
/// down; "no face" for the dominant "none"), then " · analysing…" while a window waits for its
/// reply, or " · offline" without an API key. "● REC" is left out when no window is open.
std::string session_status_line(const SessionView &view, std::int64_t running_time);

/// What is shown under the status line: Gemini's reading of the last window (state "ok"), or
/// a short sentence for its error state: "quota exceeded (429)" (HTTP 429 or
/// RESOURCE_EXHAUSTED), "no reply: timeout", "blocked by Gemini: <reason>", "reply cut off
/// (MAX_TOKENS)", "error: <detail>" (other failures, at most 120 characters), "no reply yet"
/// (written as pending). Empty when no analysis is final yet, or offline (skipped).
std::string session_reading(const SessionView &view);

/// True when the reading of `view` is an error rather than Gemini's own text.
bool session_reading_is_error(const SessionView &view);

}  // namespace emo
