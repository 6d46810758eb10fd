// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the running part of emosession (windows -> bus messages, Gemini, JSON Lines), kept
// apart from the GObject code of gstemosession.cpp. Built in start(), dropped in stop().
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emo/gemini/gemini.hpp"
#include "emo/session/overlay_state.hpp"
#include "emo/session/session.hpp"
#include "emo/session/track_windows.hpp"
#include "gstemopublish.h"

/// Settings of one run, read once in start().
struct GstEmoSessionSettings {
  emo::WindowConfig window;
  std::string language;       ///< resolved ("es", "en")
  std::string template_text;  ///< empty: the language's built-in prompt
  emo::GeminiConfig gemini;   ///< empty api_key: offline, analyses "skipped"
  std::string location;       ///< JSON Lines file, empty: none
  /// follow=all: a session per person (emo::TrackWindows), else the primary face's windows.
  bool follow_all = false;
  /// Where the run shows its state for emooverlay (session=NAME); may be null.
  std::shared_ptr<emo::SessionBoard> board;
};

/// One session run. add_frame(), add_gap() and finish() are for the streaming thread (one at a
/// time); Gemini replies arrive on the client's thread; wait_pending()/interrupt() may come
/// from any thread. Each window is posted as "emo-session-window" when it closes, and written
/// to the JSON Lines file once, when its analysis is final (then "emo-session-analysis" is
/// posted); write_pending() writes the windows still waiting with the state "pending". Until
/// then a window waits in the journal beside the file (emo::PendingJournal), which the next
/// run on the same file recovers should this process be killed.
class GstEmoSessionRun {
 public:
  /// Recovers the journal of a killed run on the same file first. Throws std::invalid_argument
  /// (window settings) or std::runtime_error (file, journal, template).
  GstEmoSessionRun(GstElement *element, GstEmoSessionSettings settings);
  /// Writes what is still pending (state "pending"), then stops the client.
  ~GstEmoSessionRun();
  GstEmoSessionRun(const GstEmoSessionRun &) = delete;
  GstEmoSessionRun &operator=(const GstEmoSessionRun &) = delete;

  void add_frame(std::int64_t running_time, std::int64_t duration, std::int64_t stream_time,
                 const std::vector<emo::FrameFace> &faces, const std::string &context);
  void add_gap(std::int64_t running_time, std::int64_t duration, std::int64_t stream_time,
               const std::string &context);
  void finish(emo::WindowEnd why, const std::string &context);

  /// Waits until every submitted window has its final analysis, `timeout` has passed or
  /// interrupt() was called. True when nothing is pending.
  bool wait_pending(std::chrono::milliseconds timeout);
  void interrupt();  ///< wakes a running wait_pending() (flushing, state change)
  /// Writes and posts every window still without a final analysis, with the state "pending"
  /// and `detail`; their replies, should they come later, are ignored.
  void write_pending(const std::string &detail);

  /// Publishes each window when it closes (event "window") and each final analysis (event
  /// "analysis", the line written to the file) to `<topic>/windows`; before the first frame.
  void set_publisher(std::unique_ptr<GstEmoMqttLink> mqtt) { mqtt_ = std::move(mqtt); }
  GstEmoMqttLink *publisher() const { return mqtt_.get(); }
  /// Takes the publisher out (stop() finishes it outside the run).
  std::unique_ptr<GstEmoMqttLink> take_publisher() { return std::move(mqtt_); }

  const std::string &session_id() const { return session_; }
  std::uint64_t dropped() const { return tracks_ ? tracks_->dropped() : aggregator_.dropped(); }

 private:
  struct Pending {
    emo::WindowRecord record;
    bool written = false;
  };
  /* `track_id`: the person's track (follow=all), -1 for the primary face. */
  void emit(emo::EmotionWindow window, const std::string &context, std::int64_t track_id = -1);
  void emit_all(std::vector<emo::TrackWindow> windows, const std::string &context);
  std::int64_t board_key(std::int64_t track_id) const {
    return settings_.follow_all ? track_id : settings_.window.track_id;
  }
  void on_result(const std::shared_ptr<Pending> &pending, const emo::GeminiResult &result);
  /* Writes the record's line and posts its analysis message; false when writing failed. */
  void store(const emo::WindowRecord &record);
  /* Publishes `json` (a record line) with "version" and `event` added, when publishing. */
  void publish(const std::string &json, const char *event);
  /* Shows the open window (or none) on the board. */
  void show_window();

  GstElement *element_;
  GstEmoSessionSettings settings_;
  std::string session_;
  emo::WindowAggregator aggregator_;
  std::unique_ptr<emo::TrackWindows> tracks_;  // follow=all
  std::unique_ptr<emo::JsonLinesWriter> writer_;
  std::unique_ptr<emo::PendingJournal> journal_;  // with a file and an API key
  std::atomic<bool> store_failed_{false};         // then the journal is kept
  std::mutex mutex_;
  std::condition_variable changed_;
  std::list<std::shared_ptr<Pending>> pending_;  // under mutex_
  std::uint64_t interrupts_ = 0;                 // under mutex_
  std::unique_ptr<GstEmoMqttLink> mqtt_;         // outlives the client's callbacks
  std::unique_ptr<emo::GeminiClient> client_;    // last: destroyed first
};
