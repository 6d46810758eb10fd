// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the running part of emosession (see gstemosessionrun.h).
#include "gstemosessionrun.h"

#include <sys/stat.h>

#include <exception>
#include <utility>

#include "emo/publish/messages.hpp"

GST_DEBUG_CATEGORY_EXTERN(gst_emo_session_debug);
#define GST_CAT_DEFAULT gst_emo_session_debug

namespace {

GstClockTime clock_time(std::int64_t ns) {
  return ns >= 0 ? static_cast<GstClockTime>(ns) : GST_CLOCK_TIME_NONE;
}

/* "emo-session-window": the window's figures, for applications and `gst-launch-1.0 -m`. */
GstMessage *window_message(GstElement *element, const emo::WindowRecord &r,
                           const std::string &json) {
  const emo::EmotionWindow &w = r.window;
  GValue timeline = G_VALUE_INIT;
  gst_value_array_init(&timeline, static_cast<guint>(w.timeline.size()));
  for (const std::string &label : w.timeline) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, label.c_str());
    gst_value_array_append_and_take_value(&timeline, &v);
  }
  GstStructure *counts = gst_structure_new_empty("counts");
  for (const auto &[label, n] : w.counts)
    gst_structure_set(counts, label.c_str(), G_TYPE_INT, n, nullptr);
  GstStructure *s = gst_structure_new(
      "emo-session-window", "session", G_TYPE_STRING, r.session.c_str(), "index", G_TYPE_UINT64,
      static_cast<guint64>(w.index), "start", G_TYPE_UINT64, clock_time(w.start), "end",
      G_TYPE_UINT64, clock_time(w.end), "duration", G_TYPE_UINT64, clock_time(w.duration()),
      "stream-start", G_TYPE_UINT64, clock_time(w.stream_start), "sample-interval", G_TYPE_UINT64,
      clock_time(w.sample_interval), "closed-by", G_TYPE_STRING, emo::to_string(w.closed_by),
      "dominant", G_TYPE_STRING, w.dominant.c_str(), "face-share", G_TYPE_DOUBLE, w.face_share,
      "frames", G_TYPE_INT, w.frames, "face-frames", G_TYPE_INT, w.face_frames, "unsure-frames",
      G_TYPE_INT, w.unsure_frames, "context", G_TYPE_STRING, r.context.c_str(), "json",
      G_TYPE_STRING, json.c_str(), nullptr);
  gst_structure_take_value(s, "timeline", &timeline);
  gst_structure_set(s, "counts", GST_TYPE_STRUCTURE, counts, "track-id", G_TYPE_INT64,
                    static_cast<gint64>(r.track_id), nullptr);
  gst_structure_free(counts);
  return gst_message_new_element(GST_OBJECT(element), s);
}

/* "emo-session-analysis": the final state of a window's analysis and the line written. */
GstMessage *analysis_message(GstElement *element, const emo::WindowRecord &r,
                             const std::string &line) {
  const emo::Analysis &a = r.analysis;
  GstStructure *s = gst_structure_new(
      "emo-session-analysis", "session", G_TYPE_STRING, r.session.c_str(), "index", G_TYPE_UINT64,
      static_cast<guint64>(r.window.index), "state", G_TYPE_STRING, a.state.c_str(), "text",
      G_TYPE_STRING, a.text.c_str(), "detail", G_TYPE_STRING, a.detail.c_str(), "http-status",
      G_TYPE_INT, a.http_status, "error-status", G_TYPE_STRING, a.error_status.c_str(), "attempts",
      G_TYPE_INT, a.attempts, "retryable", G_TYPE_BOOLEAN, a.retryable(), "json", G_TYPE_STRING,
      line.c_str(), "track-id", G_TYPE_INT64, static_cast<gint64>(r.track_id), nullptr);
  return gst_message_new_element(GST_OBJECT(element), s);
}

std::string random_session_id() {
  gchar *uuid = g_uuid_string_random();
  std::string id = uuid;
  g_free(uuid);
  return id;
}

}  // namespace

GstEmoSessionRun::GstEmoSessionRun(GstElement *element, GstEmoSessionSettings settings)
    : element_(element),
      settings_(std::move(settings)),
      session_(random_session_id()),
      aggregator_(settings_.window) {
  if (settings_.follow_all) tracks_ = std::make_unique<emo::TrackWindows>(settings_.window);
  if (!settings_.location.empty()) {
    std::vector<emo::RejectedLine> rejected;
    const std::vector<emo::WindowRecord> recovered =
        emo::recover_pending_journal(settings_.location, true, &rejected);
    if (!recovered.empty())
      GST_WARNING_OBJECT(element_,
                         "%zu window(s) of a run that ended before their analysis were moved "
                         "from %s into %s as pending (emo-session-resend sends them again)",
                         recovered.size(),
                         emo::PendingJournal::path_for(settings_.location).c_str(),
                         settings_.location.c_str());
    for (const emo::RejectedLine &l : rejected)
      GST_ELEMENT_WARNING(element_, RESOURCE, READ,
                          ("Line %zu of the journal %s is not a session record; it is kept in %s.",
                           l.line, emo::PendingJournal::path_for(settings_.location).c_str(),
                           emo::rejected_path_for(settings_.location).c_str()),
                          ("%s", l.error.c_str()));
    writer_ = std::make_unique<emo::JsonLinesWriter>(settings_.location);
    /* The journal lives beside a regular file only: beside a device such as /dev/full or
     * /dev/stdout it would be a stray file in /dev that nothing removes. */
    struct stat st {};
    const bool regular = ::stat(settings_.location.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    if (!regular)
      GST_ELEMENT_WARNING(element_, RESOURCE, SETTINGS,
                          ("%s is not a regular file: no journal is kept beside it, so windows "
                           "still waiting for their analysis are lost if the process is killed.",
                           settings_.location.c_str()),
                          (nullptr));
    if (!settings_.gemini.api_key.empty() && regular)
      journal_ = std::make_unique<emo::PendingJournal>(settings_.location);
  }
  client_ = std::make_unique<emo::GeminiClient>(settings_.gemini);
  if (settings_.board) settings_.board->reset(settings_.gemini.api_key.empty());
}

GstEmoSessionRun::~GstEmoSessionRun() {
  write_pending("stopped before the reply arrived");
  client_.reset();  // joins the client's thread: no callback runs after this
  if (journal_ && !store_failed_) {
    try {
      journal_->discard();  // every window it holds is in the file now
    } catch (const std::exception &e) {
      GST_WARNING_OBJECT(element_, "%s", e.what());
    }
  }
}

void GstEmoSessionRun::add_frame(std::int64_t running_time, std::int64_t duration,
                                 std::int64_t stream_time, const std::vector<emo::FrameFace> &faces,
                                 const std::string &context) {
  if (tracks_)
    emit_all(tracks_->add_frame(running_time, duration, stream_time, faces), context);
  else
    for (emo::EmotionWindow &w : aggregator_.add_frame(running_time, duration, stream_time, faces))
      emit(std::move(w), context);
  show_window();
}

void GstEmoSessionRun::emit_all(std::vector<emo::TrackWindow> windows, const std::string &context) {
  for (emo::TrackWindow &w : windows) emit(std::move(w.window), context, w.track_id);
}

void GstEmoSessionRun::show_window() {
  if (!settings_.board) return;
  if (tracks_) {
    for (const auto &[id, w] : tracks_->current())
      settings_.board->set_window(id, true, w.index, w.start, settings_.window.window, w.duration(),
                                  w.dominant);
    for (std::int64_t id : tracks_->forgotten())
      settings_.board->set_window(id, false, 0, 0, settings_.window.window, 0, emo::kNoFace);
    return;
  }
  const std::optional<emo::EmotionWindow> w = aggregator_.current();
  if (w)
    settings_.board->set_window(settings_.window.track_id, true, w->index, w->start,
                                settings_.window.window, w->duration(), w->dominant);
  else
    settings_.board->set_window(settings_.window.track_id, false, 0, 0, settings_.window.window, 0,
                                emo::kNoFace);
}

void GstEmoSessionRun::add_gap(std::int64_t running_time, std::int64_t duration,
                               std::int64_t stream_time, const std::string &context) {
  if (tracks_)
    emit_all(tracks_->add_gap(running_time, duration, stream_time), context);
  else
    for (emo::EmotionWindow &w : aggregator_.add_gap(running_time, duration, stream_time))
      emit(std::move(w), context);
  show_window();
}

void GstEmoSessionRun::finish(emo::WindowEnd why, const std::string &context) {
  if (tracks_) {
    emit_all(tracks_->finish(why), context);
    show_window();
    return;
  }
  const std::uint64_t dropped = aggregator_.dropped();
  if (std::optional<emo::EmotionWindow> w = aggregator_.finish(why))
    emit(std::move(*w), context);
  else if (aggregator_.dropped() != dropped)
    GST_INFO_OBJECT(element_, "%s: dropped a window shorter than min-window", emo::to_string(why));
  show_window();
}

void GstEmoSessionRun::emit(emo::EmotionWindow window, const std::string &context,
                            std::int64_t track_id) {
  auto pending = std::make_shared<Pending>();
  emo::WindowRecord &r = pending->record;
  r.session = session_;
  r.track_id = track_id;
  r.window = std::move(window);
  r.context = context;
  r.language = settings_.language;
  r.model = settings_.gemini.model;
  r.prompt = emo::build_prompt(r.window, {settings_.language, context, settings_.template_text});
  GST_INFO_OBJECT(element_,
                  "window %" G_GUINT64_FORMAT ": %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT
                  " (%s), dominant %s, face on %.0f %% of the samples",
                  r.window.index, GST_TIME_ARGS(r.window.start), GST_TIME_ARGS(r.window.end),
                  emo::to_string(r.window.closed_by), r.window.dominant.c_str(),
                  r.window.face_share * 100.0);
  const std::string json = emo::record_to_json(r);
  gst_element_post_message(element_, window_message(element_, r, json));
  if (mqtt_) publish(json, "window");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(pending);
  }
  if (settings_.board) settings_.board->add_analysing(board_key(track_id));
  /* Never blocks on the network or the disk: the request and the journal line are for the
   * client's own thread. */
  emo::GeminiClient::Started journal_line;
  if (journal_)
    journal_line = [this, record = r](std::uint64_t) {
      try {
        journal_->add(record);
      } catch (const std::exception &e) {
        GST_ELEMENT_WARNING(
            element_, RESOURCE, WRITE,
            ("Could not journal session window %" G_GUINT64_FORMAT ".", record.window.index),
            ("%s", e.what()));
      }
    };
  client_->submit(
      {r.prompt.system_instruction, r.prompt.user_text},
      [this, pending](std::uint64_t, const emo::GeminiResult &result) {
        on_result(pending, result);
      },
      std::move(journal_line));
}

void GstEmoSessionRun::on_result(const std::shared_ptr<Pending> &pending,
                                 const emo::GeminiResult &result) {
  emo::WindowRecord record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending->written) return;  // already written as "pending" (EOS timeout, stop)
    pending->written = true;
    pending->record.analysis = emo::analysis_from(result);
    record = pending->record;
  }
  GST_INFO_OBJECT(element_, "window %" G_GUINT64_FORMAT ": analysis %s after %d attempt(s)%s%s",
                  record.window.index, record.analysis.state.c_str(), record.analysis.attempts,
                  record.analysis.detail.empty() ? "" : ": ", record.analysis.detail.c_str());
  store(record);
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.remove(pending);
  changed_.notify_all();
}

void GstEmoSessionRun::store(const emo::WindowRecord &record) {
  const std::string line = emo::record_to_json(record);
  if (writer_) {
    try {
      writer_->write_line(line);
    } catch (const std::exception &e) {
      store_failed_ = true;
      /* The line goes into the error's debug text so that the window is not lost. */
      GST_ELEMENT_ERROR(element_, RESOURCE, WRITE,
                        ("Could not write session window %" G_GUINT64_FORMAT " to %s.",
                         record.window.index, settings_.location.c_str()),
                        ("%s; the line was: %s", e.what(), line.c_str()));
    }
  }
  gst_element_post_message(element_, analysis_message(element_, record, line));
  if (mqtt_) publish(line, "analysis");
  if (settings_.board)
    settings_.board->set_reply(board_key(record.track_id), record.window.index, record.analysis);
}

void GstEmoSessionRun::publish(const std::string &json, const char *event) {
  const std::string text = emo::publish::with_event(json, event);
  if (!text.empty()) mqtt_->publish(mqtt_->topic() + "/windows", text);
}

bool GstEmoSessionRun::wait_pending(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t interrupts = interrupts_;
  changed_.wait_for(lock, timeout, [&] { return pending_.empty() || interrupts_ != interrupts; });
  return pending_.empty();
}

void GstEmoSessionRun::interrupt() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++interrupts_;
  changed_.notify_all();
}

void GstEmoSessionRun::write_pending(const std::string &detail) {
  std::vector<emo::WindowRecord> records;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::shared_ptr<Pending> &p : pending_) {
      if (p->written) continue;
      p->written = true;
      p->record.analysis = emo::Analysis{};
      p->record.analysis.detail = detail;
      records.push_back(p->record);
    }
    pending_.clear();
    changed_.notify_all();
  }
  for (const emo::WindowRecord &r : records) {
    GST_WARNING_OBJECT(element_, "window %" G_GUINT64_FORMAT " written as pending: %s",
                       r.window.index, detail.c_str());
    store(r);
  }
}
