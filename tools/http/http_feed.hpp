// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http: one source's side of the server (see http_server.hpp): pad probes that
// turn analysed frames into thinned "frame" events, a gate that lets video through only while
// someone watches, and the appsink of the annotated JPEGs. Streaming threads hand everything
// to the main loop (g_idle_add); `server` is touched on the main loop only.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "http_rules.hpp"

namespace emo_analyze::http {

class Server;

struct Feed : std::enable_shared_from_this<Feed> {
  Feed(std::string source_name, double event_rate)
      : name(std::move(source_name)), thinner(event_rate) {}

  /// Finds the pipeline's "entry" queue, "analysis-tee" and "web-gate" queue and "web-video"
  /// appsink (Server::branch()) and hooks them. Main loop, after Source::start().
  void hook(GstElement *pipeline);
  ~Feed();
  /// Writes the session's last window and its analysis on the video (the "web-session"
  /// textoverlay), from an "emo-session-window" or "emo-session-analysis" message. Main loop.
  void show_session(const GstStructure *s);

  const std::string name;
  Server *server = nullptr;         // main loop; null once the source is gone
  std::atomic<int> viewers{0};      // MJPEG clients; 0 = the video branch drops every frame
  std::deque<std::string> history;  // main loop: window/analysis events replayed on connect
  std::string last_frame;           // main loop: the last frame event
  // main loop: one frame a second of the last kTimelineSeconds, as "history" events (monotonic
  // microseconds, event), replayed on connect so that a page's timeline starts full.
  std::deque<std::pair<gint64, std::string>> timeline;

  // The analysis-tee probe's streaming thread only.
  Thinner thinner;
  guint64 frames = 0;
  // Wall clock at which each recent frame entered the analysis (entry probe -> tee probe).
  std::mutex entry_mutex;
  std::deque<std::pair<GstClockTime, gint64>> entries;  // pts, UNIX ms
  GstElement *session_text = nullptr;                   // the textoverlay (a ref), null without it
  std::string window_text;                              // main loop: the last window's line

 private:
  static GstPadProbeReturn on_entry(GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn on_analysed(GstPad *pad, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn on_gate(GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstFlowReturn on_sample(GstAppSink *sink, gpointer self);
  gint64 entry_ms(GstClockTime pts);
};

}  // namespace emo_analyze::http
