// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the session state drawn on the video (see emo/session/overlay_state.hpp).
#include "emo/session/overlay_state.hpp"

#include <glib.h>

#include <algorithm>

namespace emo {

void SessionBoard::reset(bool offline) {
  std::lock_guard<std::mutex> lock(mutex_);
  views_.clear();
  offline_ = offline;
  ++version_;
}

SessionView &SessionBoard::view(std::int64_t track_id) {
  auto [it, added] = views_.try_emplace(track_id);
  if (added) it->second.track_id = track_id;
  it->second.offline = offline_;
  ++version_;
  return it->second;
}

void SessionBoard::set_window(std::int64_t track_id, bool recording, std::uint64_t index,
                              std::int64_t start, std::int64_t length, std::int64_t elapsed,
                              const std::string &dominant) {
  std::lock_guard<std::mutex> lock(mutex_);
  SessionView &v = view(track_id);
  v.recording = recording;
  v.window_index = index;
  v.window_start = start;
  v.window_length = length;
  v.elapsed = elapsed;
  v.dominant = dominant;
}

void SessionBoard::add_analysing(std::int64_t track_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++view(track_id).analysing;
}

void SessionBoard::set_reply(std::int64_t track_id, std::uint64_t index, const Analysis &analysis) {
  std::lock_guard<std::mutex> lock(mutex_);
  SessionView &v = view(track_id);
  v.analysing = std::max(0, v.analysing - 1);
  /* Replies may arrive out of order (retries): an older window never hides a newer reading. */
  if (v.has_reply && index < v.reply_index) return;
  v.has_reply = true;
  v.reply_index = index;
  v.reply = analysis;
}

std::vector<SessionView> SessionBoard::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<SessionView> out;
  out.reserve(views_.size());
  for (const auto &entry : views_) out.push_back(entry.second);
  return out;
}

std::uint64_t SessionBoard::version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

std::int64_t shown_elapsed(const SessionView &view, std::int64_t running_time) {
  std::int64_t elapsed = view.elapsed;
  if (running_time >= view.window_start && running_time >= 0)
    elapsed = std::max(elapsed, running_time - view.window_start);
  return std::clamp<std::int64_t>(elapsed, 0, std::max<std::int64_t>(0, view.window_length));
}

std::string session_status_line(const SessionView &view, std::int64_t running_time) {
  std::string line;
  if (view.recording) {
    const long long elapsed = shown_elapsed(view, running_time) / kSecond;
    const long long length = (view.window_length + kSecond / 2) / kSecond;
    line = "\u25CF REC " + std::to_string(elapsed) + " / " + std::to_string(length) + " s \u00B7 " +
           (view.dominant == kNoFace ? std::string("no face") : view.dominant);
  }
  const char *state = nullptr;
  if (view.offline)
    state = "offline";
  else if (view.analysing > 0)
    state = "analysing\u2026";
  if (state) line += (line.empty() ? "" : " \u00B7 ") + std::string(state);
  return line;
}

bool session_reading_is_error(const SessionView &view) {
  return view.has_reply && view.reply.state != "ok" && view.reply.state != "skipped";
}

std::string session_reading(const SessionView &view) {
  if (!view.has_reply) return "";
  const Analysis &a = view.reply;
  if (a.state == "ok") return a.text;
  if (a.state == "skipped") return "";
  if (a.state == "pending") return "no reply yet";
  if (a.state == "blocked") return "blocked by Gemini" + (a.detail.empty() ? "" : ": " + a.detail);
  if (a.state == "truncated") return "reply cut off (MAX_TOKENS)";
  if (a.state == "cancelled") return "request cancelled";
  if (a.http_status == 429 || a.error_status == "RESOURCE_EXHAUSTED") return "quota exceeded (429)";
  if (a.http_status == 0 && a.detail.rfind("timeout", 0) == 0) return "no reply: timeout";
  std::string detail = a.detail.empty() ? a.state : a.detail;
  if (g_utf8_strlen(detail.c_str(), -1) > 120) {
    const char *cut = g_utf8_offset_to_pointer(detail.c_str(), 119);
    detail = std::string(detail.c_str(), cut) + "\u2026";
  }
  if (a.http_status > 0) detail = "HTTP " + std::to_string(a.http_status) + ": " + detail;
  return "error: " + detail;
}

}  // namespace emo
