// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze: one analysed source = one pipeline; see analyze_source.hpp.
#include "analyze_source.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace emo_analyze {

namespace {

std::string quoted(const std::string &s) {
  gchar *q = g_strescape(s.c_str(), nullptr);
  std::string out = std::string("\"") + q + "\"";
  g_free(q);
  return out;
}

std::string sanitized(const std::string &s) {
  std::string out;
  for (char c : s) out += (g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-') ? c : '-';
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "source" : out;
}

Kind kind_of(const std::string &spec) {
  if (g_str_has_prefix(spec.c_str(), "rtsp://") || g_str_has_prefix(spec.c_str(), "rtsps://") ||
      g_str_has_prefix(spec.c_str(), "rtspt://"))
    return Kind::Rtsp;
  if (g_str_has_prefix(spec.c_str(), "v4l2://")) return Kind::V4l2;
  return Kind::File;
}

// A launch description with the value of every api-key property hidden, for messages.
std::string without_api_key(const std::string &launch) {
  GRegex *re = g_regex_new("api-key=(\"[^\"]*\"|'[^']*'|[^ ]*)", GRegexCompileFlags(0),
                           GRegexMatchFlags(0), nullptr);
  gchar *out = re ? g_regex_replace(re, launch.c_str(), -1, 0, "api-key=<hidden>",
                                    GRegexMatchFlags(0), nullptr)
                  : nullptr;
  if (re) g_regex_unref(re);
  std::string result = out ? out : "<launch description hidden>";
  g_free(out);
  return result;
}

// The URL without user and password, for messages.
std::string without_credentials(const std::string &url) {
  GstUri *uri = gst_uri_from_string(url.c_str());
  if (!uri) return url;
  std::string out = url;
  if (gst_uri_get_userinfo(uri)) {
    GstUri *copy = gst_uri_make_writable(uri);
    gst_uri_set_userinfo(copy, nullptr);
    gchar *s = gst_uri_to_string(copy);
    out = s;
    g_free(s);
    uri = copy;
  }
  gst_uri_unref(uri);
  return out;
}

std::string v4l2_device(const std::string &spec) {
  std::string dev = spec.substr(std::string("v4l2://").size());
  return dev.empty() ? "/dev/video0" : dev;
}

std::string file_path(const std::string &spec) {
  if (!g_str_has_prefix(spec.c_str(), "file://")) return spec;
  gchar *path = g_filename_from_uri(spec.c_str(), nullptr, nullptr);
  std::string out = path ? path : spec;
  g_free(path);
  return out;
}

// The label of the largest face of an "emo-faces" message, its number of faces.
}  // namespace

std::string source_name(const std::string &spec) {
  switch (kind_of(spec)) {
    case Kind::Rtsp: {
      GstUri *uri = gst_uri_from_string(spec.c_str());
      if (!uri) return sanitized(spec);
      std::string name = gst_uri_get_host(uri) ? gst_uri_get_host(uri) : "rtsp";
      if (gst_uri_get_port(uri) != GST_URI_NO_PORT)
        name += "-" + std::to_string(gst_uri_get_port(uri));
      gchar *path = gst_uri_get_path(uri);
      const gchar *p = path && *path == '/' ? path + 1 : path;
      if (p && *p) name += std::string("-") + p;
      g_free(path);
      gst_uri_unref(uri);
      return sanitized(name);
    }
    case Kind::V4l2: {
      gchar *base = g_path_get_basename(v4l2_device(spec).c_str());
      std::string name = sanitized(base);
      g_free(base);
      return name;
    }
    case Kind::File:
      break;
  }
  gchar *base = g_path_get_basename(file_path(spec).c_str());
  std::string name = base;
  g_free(base);
  const size_t dot = name.rfind('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  return sanitized(name);
}

Source::Source(std::string spec, std::string name, const Settings &settings,
               std::function<void()> on_done)
    : spec_(std::move(spec)),
      name_(std::move(name)),
      kind_(kind_of(spec_)),
      settings_(settings),
      on_done_(std::move(on_done)) {
  shown_ = kind_ == Kind::Rtsp ? without_credentials(spec_) : spec_;
  gchar *path = g_build_filename(settings_.outdir.c_str(), (name_ + ".jsonl").c_str(), nullptr);
  output_ = path;
  g_free(path);
}

Source::~Source() {
  if (retry_) g_source_remove(retry_);
  if (pipeline_) {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    if (bus_watch_) g_source_remove(bus_watch_);
    GstBus *bus = gst_element_get_bus(pipeline_);
    gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
    gst_object_unref(bus);
    gst_object_unref(pipeline_);
  }
  if (entry_) gst_object_unref(entry_);
}

void Source::say(const char *format, ...) const {
  va_list args;
  va_start(args, format);
  gchar *text = g_strdup_vprintf(format, args);
  va_end(args);
  std::printf("[%s] %s\n", name_.c_str(), text);
  std::fflush(stdout);
  g_free(text);
}

std::string Source::source_launch() const {
  switch (kind_) {
    case Kind::Rtsp:
      return "rtspsrc location=" + quoted(spec_) + " protocols=" + settings_.protocols +
             " latency=" + std::to_string(settings_.latency_ms) +
             " tcp-timeout=" + std::to_string(gint64(settings_.stall_timeout * 1e6)) +
             " ! application/x-rtp,media=video ! decodebin ! videoconvert name=out";
    case Kind::V4l2:
      return "v4l2src device=" + quoted(v4l2_device(spec_)) + " ! videoconvert name=out";
    case Kind::File:
      break;
  }
  return "filesrc location=" + quoted(file_path(spec_)) + " ! decodebin ! video/x-raw ! " +
         (settings_.realtime ? "clocksync ! " : "") + "videoconvert name=out";
}

bool Source::start() {
  if (kind_ == Kind::File && !g_file_test(file_path(spec_).c_str(), G_FILE_TEST_IS_REGULAR)) {
    say("error: no such file: %s", spec_.c_str());
    finish(true, "no such file");
    return false;
  }
  std::string sink = settings_.sink;
  for (size_t at; (at = sink.find("{location}")) != std::string::npos;)
    sink.replace(at, 10, quoted(output_));
  // Live sources: a leaky queue keeps only the newest frames when the analysis is slower than
  // the camera, so no latency builds up; files: every frame is analysed.
  const std::string queue = kind_ == Kind::File && !settings_.realtime
                                ? "queue name=entry max-size-buffers=4"
                                : "queue name=entry leaky=downstream max-size-buffers=2 "
                                  "max-size-bytes=0 max-size-time=0";
  std::string publish;
  if (!settings_.mqtt_address.empty()) {
    // The same broker settings for the frames (emometapublish) and the session's windows.
    std::string common = " address=" + quoted(settings_.mqtt_address) +
                         " mqtt-qos=" + std::to_string(settings_.mqtt_qos);
    if (!settings_.mqtt_user.empty()) common += " username=" + quoted(settings_.mqtt_user);
    if (!settings_.mqtt_ca.empty()) common += " tls-ca-file=" + quoted(settings_.mqtt_ca);
    const std::string prefix = settings_.mqtt_topic + "/" + name_;
    publish =
        " ! emometapublish method=mqtt include-landmarks=false topic=" + quoted(prefix + "/faces") +
        common;
    if (g_str_has_prefix(sink.c_str(), "emosession")) {
      const size_t end = sink.find('!');  // the emosession element's own properties
      sink.insert(end == std::string::npos ? sink.size() : end,
                  " topic=" + quoted(prefix) + common + " ");
    }
    say("publishing to %s topic %s/faces%s", settings_.mqtt_address.c_str(), prefix.c_str(),
        g_str_has_prefix(sink.c_str(), "emosession") ? (" and " + prefix + "/windows").c_str()
                                                     : "");
  }
  std::string launch = queue + " ! emofacedetect ! emolandmarks ! emoclassify post-messages=true";
  if (settings_.branch.empty())
    launch += publish + " ! " + sink;
  else  // the sink part first: its sinks are the ones whose EOS ends the source
    launch += " ! tee name=analysis-tee" + publish + " ! " + sink + " analysis-tee. ! " +
              settings_.branch;
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(launch.c_str(), &err);
  if (!pipeline || err) {
    say("error: cannot build the analysis pipeline \"%s\": %s", without_api_key(launch).c_str(),
        err ? err->message : "unknown error");
    if (err) g_error_free(err);
    if (pipeline) gst_object_unref(pipeline);
    finish(true, "bad pipeline");
    return false;
  }
  pipeline_ = pipeline;
  // Sinks that do not wait for preroll: the analysis part runs on its own whatever state the
  // source part is in (connecting, torn down, re-created), so a source that never delivers a
  // frame cannot hold the pipeline in PAUSED, and EOS alone finishes it.
  GstIterator *sinks = gst_bin_iterate_sinks(GST_BIN(pipeline_));
  gst_iterator_foreach(
      sinks,
      [](const GValue *v, gpointer) {
        GObject *sink = G_OBJECT(g_value_get_object(v));
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "async"))
          g_object_set(sink, "async", FALSE, nullptr);
      },
      nullptr);
  gst_iterator_free(sinks);
  GstElement *entry = gst_bin_get_by_name(GST_BIN(pipeline_), "entry");
  entry_ = gst_element_get_static_pad(entry, "sink");
  gst_object_unref(entry);
  GstBus *bus = gst_element_get_bus(pipeline_);
  gst_bus_set_sync_handler(bus, on_sync, this, nullptr);
  bus_watch_ = gst_bus_add_watch(bus, on_bus, this);
  gst_object_unref(bus);
  // The analysis part alone goes to PLAYING at once (its sinks do not wait for preroll), with
  // the pipeline's clock and base time; every source bin, the first one too, is then added to
  // the running pipeline. So no asynchronous state change of a source (rtspsrc connecting, a
  // bin torn down halfway) can ever leave the pipeline pending, which would hold back its EOS.
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The element's own error (a missing model names its path) says why; it waits on the bus. */
    GstBus *errors = gst_element_get_bus(pipeline_);
    GstMessage *msg = gst_bus_pop_filtered(errors, GST_MESSAGE_ERROR);
    gst_object_unref(errors);
    std::string why = "cannot start the analysis pipeline";
    if (msg) {
      GError *error = nullptr;
      gst_message_parse_error(msg, &error, nullptr);
      why += std::string(": ") + GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) + ": " + error->message;
      g_error_free(error);
      gst_message_unref(msg);
    }
    say("error: %s", why.c_str());
    finish(true, "cannot start");
    return false;
  }
  if (!connect()) {
    finish(true, "cannot build the source");
    return false;
  }
  return true;
}

bool Source::connect() {
  GError *err = nullptr;
  const std::string launch = source_launch();
  // Ghost only the output: with ghost_unlinked_pads the sink pad of the element after decodebin
  // (linked later, when decodebin has its pad) would be ghosted too, and the late link fail.
  GstElement *bin = gst_parse_bin_from_description(launch.c_str(), FALSE, &err);
  if (!bin || err) {
    say("error: cannot build the source \"%s\": %s", launch.c_str(),
        err ? err->message : "unknown error");
    if (err) g_error_free(err);
    if (bin) gst_object_unref(bin);
    return false;
  }
  gst_object_set_name(GST_OBJECT(bin), ("source-" + std::to_string(++generation_)).c_str());
  // The bin handles its own asynchronous state changes: an attempt that never completes its
  // PAUSED->PLAYING (rtspsrc connecting to a dead server) must not drag the pipeline back to
  // PAUSED with it.
  g_object_set(bin, "async-handling", TRUE, nullptr);
  GstElement *out = gst_bin_get_by_name(GST_BIN(bin), "out");
  GstPad *out_pad = gst_element_get_static_pad(out, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("src", out_pad));
  gst_object_unref(out_pad);
  gst_object_unref(out);
  link_ = std::make_unique<Link>();
  link_->source = this;
  link_->bin = bin;
  link_->generation = generation_;
  link_->started_us = g_get_monotonic_time();
  g_object_set_data(G_OBJECT(bin), kLinkKey, link_.get());
  GstPad *src = gst_element_get_static_pad(bin, "src");
  gst_pad_add_probe(
      src, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      on_probe, link_.get(), nullptr);
  gst_bin_add(GST_BIN(pipeline_), bin);
  const GstPadLinkReturn linked = gst_pad_link(src, entry_);
  gst_object_unref(src);
  if (linked != GST_PAD_LINK_OK) {
    say("error: cannot link the source to the analysis (%s)", gst_pad_link_get_name(linked));
    teardown();
    return false;
  }
  // Straight to PLAYING, with the clock and base time the bin got from the pipeline when it was
  // added: after a reconnect the running time of the new frames continues that of the old
  // ones (the sink sees a gap).
  gst_element_set_state(bin, GST_STATE_PLAYING);
  return true;
}

void Source::teardown() {
  if (!link_) return;
  GstElement *bin = link_->bin;
  GstPad *src = gst_element_get_static_pad(bin, "src");
  gst_pad_unlink(src, entry_);
  gst_object_unref(src);
  // Out of the pipeline first: a pipeline still finishing its own state change (the bin was
  // going to PLAYING asynchronously) would otherwise set the bin back to PLAYING.
  gst_object_ref(bin);
  gst_bin_remove(GST_BIN(pipeline_), bin);
  gst_element_set_state(bin, GST_STATE_NULL);
  gst_object_unref(bin);
  link_.reset();
}

void Source::send_eos() {
  if (eos_sent_ || !entry_) return;
  eos_sent_ = true;
  // A file that has ended already sent its own EOS: the sessions are finishing, leave them be.
  if (GST_PAD_IS_EOS(entry_)) return;
  // Refused when the analysis part has already stopped on a flow error: nothing will finish it.
  if (!gst_pad_send_event(entry_, gst_event_new_eos()))
    finish(true, "the analysis did not accept the end of stream");
}

void Source::lost(const std::string &reason) {
  if (!link_ || done_) return;
  teardown();
  if (stopping_) return;
  if (kind_ == Kind::File) {
    say("error: %s: %s", shown_.c_str(), reason.c_str());
    failed_ = true;
    send_eos();
    return;
  }
  ++attempts_;
  if (attempts_ > settings_.retries) {
    say("giving up on %s after %d attempts%s: %s", shown_.c_str(), attempts_,
        ever_connected_ ? " to reconnect" : " (it never answered)", reason.c_str());
    failed_ = true;
    send_eos();
    return;
  }
  const double delay =
      std::min(settings_.backoff * std::pow(2.0, attempts_ - 1), settings_.backoff_max);
  say("%s %s: %s; reconnecting in %.1f s (attempt %d of %d)",
      ever_connected_ ? "lost" : "cannot connect to", shown_.c_str(), reason.c_str(), delay,
      attempts_, settings_.retries);
  retry_ = g_timeout_add(guint(delay * 1000), on_retry, this);
  notify();
}

gboolean Source::on_retry(gpointer data) {
  auto *self = static_cast<Source *>(data);
  self->retry_ = 0;
  if (!self->stopping_ && !self->done_ && !self->connect()) self->lost("cannot build the source");
  return G_SOURCE_REMOVE;
}

void Source::stop() {
  if (done_ || stopping_) return;
  stopping_ = true;
  if (retry_) g_source_remove(retry_), retry_ = 0;
  // A live source that is reconnecting has no source bin: EOS goes into the analysis alone.
  send_eos();
  notify();
}

State Source::state() const {
  if (done_) return failed_ ? State::Failed : State::Finished;
  if (stopping_) return State::Stopping;
  if (retry_ || (attempts_ > 0 && ever_connected_)) return State::Reconnecting;
  if (link_ && link_->got_data) return State::Streaming;
  return attempts_ > 0 ? State::Reconnecting : State::Connecting;
}

const char *to_string(State state) {
  switch (state) {
    case State::Connecting:
      return "connecting";
    case State::Streaming:
      return "streaming";
    case State::Reconnecting:
      return "reconnecting";
    case State::Stopping:
      return "stopping";
    case State::Finished:
      return "finished";
    case State::Failed:
      return "failed";
  }
  return "?";
}

void Source::abort() {
  if (done_) return;
  stopping_ = true;
  if (retry_) g_source_remove(retry_), retry_ = 0;
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  finish(true, "aborted");
}

void Source::check_stall() {
  const gint64 now = g_get_monotonic_time();
  if (fps_us_ && now > fps_us_) fps_ = (frames_ - fps_frames_) / ((now - fps_us_) / 1e6);
  fps_us_ = now, fps_frames_ = frames_;
  if (!link_ || done_ || stopping_ || kind_ == Kind::File) return;
  const bool got = link_->got_data;
  const gint64 since = got ? link_->last_data_us.load() : link_->started_us;
  const double idle = (g_get_monotonic_time() - since) / 1e6;
  if (idle < settings_.stall_timeout) return;
  if (settings_.verbose) {
    GstState ps, pp, bs, bp;
    gst_element_get_state(pipeline_, &ps, &pp, 0);
    gst_element_get_state(link_->bin, &bs, &bp, 0);
    say("stalled: pipeline %s (pending %s), source %s (pending %s)", gst_element_state_get_name(ps),
        gst_element_state_get_name(pp), gst_element_state_get_name(bs),
        gst_element_state_get_name(bp));
  }
  gchar *why = g_strdup_printf(got ? "no frame for %.0f s" : "no frame within %.0f s", idle);
  lost(why);
  g_free(why);
}

void Source::finish(bool failed, const std::string &why) {
  if (done_) return;
  done_ = true;
  failed_ = failed_ || failed;
  if (retry_) g_source_remove(retry_), retry_ = 0;
  if (pipeline_) gst_element_set_state(pipeline_, GST_STATE_NULL);
  link_.reset();
  say("%s: %" G_GUINT64_FORMAT " frames analysed, %" G_GUINT64_FORMAT " windows -> %s%s%s",
      failed_ ? "failed" : "done", frames_, windows_, output_.c_str(), why.empty() ? "" : "; ",
      why.c_str());
  const guint64 received = received_.load();
  if (received > 0)
    say("frames: %" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT " analysed, %" G_GUINT64_FORMAT
        " skipped (%.1f %%)",
        received, frames_, received > frames_ ? received - frames_ : 0,
        received > frames_ ? 100.0 * (received - frames_) / received : 0.0);
  fps_ = 0;
  notify();
  if (on_done_) on_done_();
}

}  // namespace emo_analyze
