// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emosession
 * @title: emosession
 *
 * A sink that turns the emotion of the primary face (the largest, or #GstEmoSession:track-id)
 * into windows of #GstEmoSession:window seconds holding one label per
 * #GstEmoSession:sample-interval ("none" when no face was seen), asks Google Gemini for an
 * empathetic reading of each window together with the user's #GstEmoSession:context, and keeps
 * every window in a JSON Lines file (#GstEmoSession:location). Only faces with an emotion are
 * sampled: a face emoclassify left "unknown" (too small, blurred, turned away, or scores too
 * flat) is counted apart (`unsure-frames`; a sample is "unknown" when its interval had only
 * such faces) and never becomes the dominant emotion.
 *
 * Windows follow the buffers' running time, never the wall clock: a file analysed faster than
 * real time gives the same windows as a live run. Gaps (more than two sample intervals without
 * data), flushes (seeks), new segments and new streams start a new window; at EOS the partial
 * window is kept when it is at least #GstEmoSession:min-window long.
 *
 * For each window the element posts an element message "emo-session-window" (fields session,
 * index, start, end, duration, stream-start, sample-interval (#GstClockTime), closed-by,
 * timeline (array of strings), counts (structure label -> gint), dominant, face-share,
 * frames, face-frames, unsure-frames (frames whose face had no emotion: see emoclassify's
 * gate), context, track-id, json: the record as published to MQTT without its "version" and
 * "event"), then "emo-session-analysis" once the reply or the final error is there (fields
 * session, index, state, text, detail, http-status, error-status, attempts, retryable, json (the
 * line written) and track-id). Only faces with an emotion are sampled.
 *
 * #GstEmoSession:follow=all gives every person a session of their own: each track (the
 * "tracking" metadata of emofacedetect) gets its own windows, made of the frames its face is
 * on, closed when the track has been gone for two sample intervals; a track seen for less
 * than #GstEmoSession:min-window makes no window. Their records, lines, MQTT messages and bus
 * messages carry the person's `track_id` / `track-id` (-1 for the primary face of
 * follow=primary, where the JSON has no `track_id`); window indices stay unique in the run.
 * Requests run on the Gemini client's own thread: the streaming thread never waits on the network.
 * At most #GstEmoSession:max-in-flight of them are under way at once and at most
 * #GstEmoSession:max-requests-per-minute are sent a minute; windows over that budget wait in
 * the journal, in order, and none is lost (see docs/sessions.md).
 * Without an API key (#GstEmoSession:api-key or the environment variable GEMINI_API_KEY) nothing is
 * sent and every analysis is "skipped".
 *
 * The file gets one line per window, written once, when its analysis is final: append-only,
 * one write and one fsync per line, so a killed process leaves only whole lines. On EOS the
 * element waits up to #GstEmoSession:eos-timeout for the replies still due, writes the windows
 * still without one with the state "pending" and only then lets EOS go on (the same happens
 * when the element stops early). Until then a window waits in a journal beside the file
 * (location + ".pending", locked while the element runs, removed when it stops): when the
 * process is killed, the next emosession on the same file (in start()) or `emo-session-resend`
 * moves those windows into the file as "pending". `emo-session-resend` sends the windows
 * without analysis again.
 *
 * `emooverlay session=NAME` (NAME: this element's name) draws the session's state on the video:
 * the window being recorded, its dominant emotion so far, and the last reading (see
 * docs/session-overlay.md).
 *
 * With #GstEmoSession:address set (mqtt:// or mqtts://), every window is also published to
 * `<topic>/windows` when it closes (the record with `"event":"window"`, analysis "pending")
 * and again when its analysis is final (the line written to the file, with
 * `"event":"analysis"`); both carry `"version":1`. The file stays the durable record: MQTT
 * goes through a bounded queue on its own thread (as emometapublish, same properties: topic,
 * mqtt-qos, client-id, username, password-env, tls-ca-file, max-queue, fail-on-disconnect,
 * stats, and "emo-publish-stats" messages) and never holds up the session.
 *
 * The settings are read when the element starts, which for this sink is in NULL -> READY:
 * set them in the NULL state; from READY on a new value is refused with a warning and the
 * value in use reads back. #GstEmoSession:context and #GstEmoSession:eos-timeout may change
 * at any time (the context is taken when a window closes); a context longer than 16384 bytes
 * is cut at a character boundary with a warning. A caps change (another frame size) goes on in
 * the same window: windows follow running time and the primary face is chosen per frame.
 *
 * ## Example launch line
 * |[
 * GEMINI_API_KEY=... gst-launch-1.0 -m filesrc location=talk.mp4 ! decodebin ! videoconvert ! \
 *     emofacedetect ! emolandmarks ! emoclassify ! \
 *     emosession context="my new job" language=en location=session.jsonl sync=false
 * ]|
 */
#include "gstemosession.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "emo/gst/face_meta.hpp"
#include "emo/session/session.hpp"
#include "gstemocommon.h"
#include "gstemopublish.h"
#include "gstemosessionrun.h"

GST_DEBUG_CATEGORY(gst_emo_session_debug);
#define GST_CAT_DEFAULT gst_emo_session_debug

enum {
  PROP_0,
  PROP_WINDOW,
  PROP_SAMPLE_INTERVAL,
  PROP_MIN_WINDOW,
  PROP_TRACK_ID,
  PROP_CONTEXT,
  PROP_LANGUAGE,
  PROP_PROMPT_TEMPLATE,
  PROP_API_KEY,
  PROP_MODEL,
  PROP_ENDPOINT,
  PROP_TIMEOUT,
  PROP_MAX_RETRIES,
  PROP_LOCATION,
  PROP_EOS_TIMEOUT,
  PROP_MAX_REPLY_SIZE,
  PROP_FOLLOW,
  PROP_MAX_IN_FLIGHT,
  PROP_MAX_REQUESTS_PER_MINUTE,
  PROP_MQTT_FIRST,  // the shared MQTT properties (gstemopublish.h) follow
};

#define DEFAULT_WINDOW 30.0
#define DEFAULT_SAMPLE_INTERVAL 1.0
#define DEFAULT_MIN_WINDOW 5.0
#define DEFAULT_TRACK_ID -1
#define DEFAULT_LANGUAGE "es"
#define DEFAULT_MODEL "gemini-2.5-flash"
#define DEFAULT_ENDPOINT "https://generativelanguage.googleapis.com"
#define DEFAULT_TIMEOUT 60.0
#define DEFAULT_MAX_RETRIES 4
#define DEFAULT_EOS_TIMEOUT 30.0
#define DEFAULT_MAX_REPLY_SIZE (G_GUINT64_CONSTANT(4) << 20)
#define DEFAULT_TOPIC "gst-emo"
#define DEFAULT_FOLLOW GST_EMO_SESSION_FOLLOW_PRIMARY
#define DEFAULT_MAX_IN_FLIGHT 4
#define DEFAULT_MAX_REQUESTS_PER_MINUTE 0

GType gst_emo_session_follow_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {GST_EMO_SESSION_FOLLOW_PRIMARY, "The primary face: the largest, or track-id", "primary"},
        {GST_EMO_SESSION_FOLLOW_ALL, "Every tracked face: a session per person", "all"},
        {0, nullptr, nullptr}};
    g_once_init_leave(&type, g_enum_register_static("GstEmoSessionFollow", values));
  }
  return type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-raw(ANY)"));

struct _GstEmoSession {
  GstBaseSink parent;

  /* settings, under GST_OBJECT_LOCK */
  gdouble window, sample_interval, min_window, timeout, eos_timeout;
  gint64 track_id;
  gint max_retries, max_in_flight, max_requests_per_minute;
  guint64 max_reply_size;
  GstEmoSessionFollow follow;
  gchar *context, *language, *prompt_template, *api_key, *model, *endpoint, *location;
  GstEmoMqttSettings mqtt;  // publishing: when address is set
  bool started;             // between start() and stop(): start-time settings refused

  /* state: built in start(), dropped in stop() */
  std::unique_ptr<GstEmoSessionRun> run;
  bool warned_no_time;
  /* what emooverlay session=NAME draws: lives as long as the element (and its readers) */
  std::shared_ptr<emo::SessionBoard> board;
};

#define gst_emo_session_parent_class parent_class
G_DEFINE_TYPE(GstEmoSession, gst_emo_session, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE(emosession, "emosession", GST_RANK_NONE, GST_TYPE_EMO_SESSION);

static std::int64_t to_ns(gdouble seconds) {
  return static_cast<std::int64_t>(seconds * 1e9 + 0.5);
}
static std::string str(const gchar *s) { return s ? s : ""; }

std::shared_ptr<emo::SessionBoard> gst_emo_session_board(GstEmoSession *self) {
  return self->board;
}

static std::string gst_emo_session_context(GstEmoSession *self) {
  GstEmoObjectLock lock(self);
  return str(self->context);
}

/* Checks the settings and builds the run; posts a clear error and returns false when it can't. */
static gboolean gst_emo_session_open(GstBaseSink *sink) {
  GstEmoSession *self = GST_EMO_SESSION(sink);
  GstEmoSessionSettings s;
  std::string language, template_path;
  {
    GstEmoObjectLock lock(self);
    s.window.window = to_ns(self->window);
    s.window.sample_interval = to_ns(self->sample_interval);
    s.window.min_window = to_ns(self->min_window);
    s.window.track_id = self->track_id;
    s.follow_all = self->follow == GST_EMO_SESSION_FOLLOW_ALL;
    language = str(self->language);
    template_path = str(self->prompt_template);
    s.gemini.api_key = str(self->api_key);
    s.gemini.model = str(self->model);
    s.gemini.endpoint = str(self->endpoint);
    s.gemini.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(self->timeout * 1e3));
    s.gemini.max_retries = self->max_retries;
    s.gemini.max_reply_bytes = static_cast<std::size_t>(self->max_reply_size);
    s.gemini.max_in_flight = self->max_in_flight;
    s.gemini.max_per_minute = self->max_requests_per_minute;
    s.location = str(self->location);
  }
  s.board = self->board;
  if (s.gemini.api_key.empty()) s.gemini.api_key = str(g_getenv("GEMINI_API_KEY"));
  if (s.window.sample_interval > s.window.window || s.window.min_window > s.window.window) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS,
        ("sample-interval (%g s) and min-window (%g s) must not exceed window (%g s).",
         s.window.sample_interval / 1e9, s.window.min_window / 1e9, s.window.window / 1e9),
        (nullptr));
    return FALSE;
  }
  const std::string config_error = emo::check_config(s.gemini);
  if (!config_error.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Invalid setting: %s.", config_error.c_str()),
                      (nullptr));
    return FALSE;
  }
  bool known = true;
  s.language = emo::resolve_language(language, &known);
  if (!known)
    GST_ELEMENT_WARNING(
        self, RESOURCE, SETTINGS,
        ("Unknown language \"%s\": the prompt is in English (built-in: es, en).", language.c_str()),
        (nullptr));
  try {
    if (!template_path.empty()) s.template_text = emo::load_prompt_template(template_path);
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Invalid prompt-template: %s", e.what()), (nullptr));
    return FALSE;
  }
  const bool offline = s.gemini.api_key.empty();
  std::unique_ptr<GstEmoMqttLink> mqtt;
  bool publish;
  {
    GstEmoObjectLock lock(self);
    publish = self->mqtt.address && *self->mqtt.address;
  }
  bool fatal = false;
  if (publish && !(mqtt = GstEmoMqttLink::create(GST_ELEMENT(self), self->mqtt, fatal)) && fatal)
    return FALSE;
  try {
    self->run = std::make_unique<GstEmoSessionRun>(GST_ELEMENT(self), std::move(s));
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Could not start the session: %s", e.what()),
                      (nullptr));
    return FALSE;
  }
  if (mqtt) {
    GstEmoObjectLock lock(self);
    self->mqtt.link = mqtt.get();
    self->run->set_publisher(std::move(mqtt));
  }
  self->warned_no_time = false;
  if (offline)
    GST_WARNING_OBJECT(self,
                       "no API key (api-key, GEMINI_API_KEY): running offline, every "
                       "window's analysis is \"skipped\"");
  GST_INFO_OBJECT(self, "session %s started", self->run->session_id().c_str());
  return TRUE;
}

/* Start-time settings are refused from here until stop() (gst_emo_refuse_while_started()). */
static gboolean gst_emo_session_start(GstBaseSink *sink) {
  auto *self = GST_EMO_SESSION(sink);
  return gst_emo_start(self, self->started, [&] { return gst_emo_session_open(sink); });
}

static gboolean gst_emo_session_stop(GstBaseSink *sink) {
  GstEmoSession *self = GST_EMO_SESSION(sink);
  gst_emo_set_started(self, self->started, false);  // the settings in use are dropped below
  std::unique_ptr<GstEmoMqttLink> mqtt;
  try {
    if (self->run) {
      {
        GstEmoObjectLock lock(self);
        self->mqtt.link = nullptr;
      }
      // Still in the run while it writes (and publishes) what is pending, taken out after.
      self->run->write_pending("stopped before the reply arrived");
      mqtt = self->run->take_publisher();
    }
    self->run.reset();  // stops the client
  } catch (const std::exception &e) {
    GST_ERROR_OBJECT(self, "stopping the session: %s", e.what());
  }
  if (mqtt) {
    mqtt->finish(std::chrono::milliseconds(2000));
    GstStructure *last = mqtt->stats_structure("final");
    GstEmoObjectLock lock(self);
    if (self->mqtt.last_stats) gst_structure_free(self->mqtt.last_stats);
    self->mqtt.last_stats = last;
  }
  return TRUE;
}

static gboolean gst_emo_session_unlock(GstBaseSink *sink) {
  GstEmoSession *self = GST_EMO_SESSION(sink);
  if (self->run) self->run->interrupt();
  return TRUE;
}

/* Running and stream time of `ts` in the sink's segment: false when not in a TIME segment. */
static bool gst_emo_session_times(GstEmoSession *self, GstClockTime ts, std::int64_t &running,
                                  std::int64_t &stream) {
  const GstSegment *segment = &GST_BASE_SINK(self)->segment;
  if (!GST_CLOCK_TIME_IS_VALID(ts) || segment->format != GST_FORMAT_TIME) return false;
  const GstClockTime rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, ts);
  if (!GST_CLOCK_TIME_IS_VALID(rt)) return false;  // outside the segment
  const GstClockTime st = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, ts);
  running = static_cast<std::int64_t>(rt);
  stream = GST_CLOCK_TIME_IS_VALID(st) ? static_cast<std::int64_t>(st) : -1;
  return true;
}

static GstFlowReturn gst_emo_session_render(GstBaseSink *sink, GstBuffer *buf) {
  GstEmoSession *self = GST_EMO_SESSION(sink);
  std::int64_t running = 0, stream = -1;
  if (!gst_emo_session_times(self, GST_BUFFER_PTS(buf), running, stream)) {
    if (!self->warned_no_time)
      GST_WARNING_OBJECT(self, "buffers without a timestamp in a TIME segment are ignored");
    self->warned_no_time = true;
    return GST_FLOW_OK;
  }
  const std::int64_t duration =
      GST_BUFFER_DURATION_IS_VALID(buf) ? static_cast<std::int64_t>(GST_BUFFER_DURATION(buf)) : -1;
  try {
    std::vector<emo::FrameFace> faces;
    for (const emo::gst::Face &face : emo::gst::read_faces(buf)) {
      if (!face.emotion) continue;
      faces.push_back({face.emotion->label, face.emotion->confidence,
                       static_cast<double>(face.box.area()), face.track_id});
    }
    self->run->add_frame(running, duration, stream, faces, gst_emo_session_context(self));
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Emotion session failed."), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

/* EOS: closes the last window, waits up to eos-timeout for the replies still due, writes the
 * windows still without one as "pending". Returns before the base class posts EOS. */
static void gst_emo_session_eos(GstEmoSession *self) {
  gdouble timeout;
  {
    GstEmoObjectLock lock(self);
    timeout = self->eos_timeout;
  }
  self->run->finish(emo::WindowEnd::Eos, gst_emo_session_context(self));
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1e3));
  if (!self->run->wait_pending(wait)) self->run->write_pending("no reply within eos-timeout");
  if (GstEmoMqttLink *mqtt = self->run->publisher()) mqtt->flush(GST_EMO_MQTT_EOS_DRAIN);
}

static gboolean gst_emo_session_event(GstBaseSink *sink, GstEvent *event) {
  GstEmoSession *self = GST_EMO_SESSION(sink);
  try {
    switch (GST_EVENT_TYPE(event)) {
      case GST_EVENT_FLUSH_STOP:
        if (self->run) self->run->finish(emo::WindowEnd::Flush, gst_emo_session_context(self));
        break;
      case GST_EVENT_SEGMENT:
      case GST_EVENT_STREAM_START:
        if (self->run) self->run->finish(emo::WindowEnd::Segment, gst_emo_session_context(self));
        break;
      case GST_EVENT_GAP: {
        GstClockTime ts, duration;
        gst_event_parse_gap(event, &ts, &duration);
        std::int64_t running = 0, stream = -1;
        if (self->run && gst_emo_session_times(self, ts, running, stream))
          self->run->add_gap(
              running, GST_CLOCK_TIME_IS_VALID(duration) ? static_cast<std::int64_t>(duration) : -1,
              stream, gst_emo_session_context(self));
        break;
      }
      case GST_EVENT_EOS:
        if (self->run) gst_emo_session_eos(self);
        break;
      default:
        break;
    }
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Emotion session failed."), ("%s", e.what()));
  }
  return GST_BASE_SINK_CLASS(parent_class)->event(sink, event);
}

/* The context, cut to emo::kMaxContextBytes at a character boundary with a warning. */
static void gst_emo_session_set_context(GstEmoSession *self, const GValue *value) {
  const gchar *text = g_value_get_string(value);
  const std::string full = str(text);
  const std::string kept = emo::truncate_utf8(full, emo::kMaxContextBytes);
  {
    GstEmoObjectLock lock(self);
    g_free(self->context);
    self->context = text ? g_strdup(kept.c_str()) : nullptr;
  }
  if (kept.size() < full.size())
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("'context' is %zu bytes long: only its first %zu bytes (the limit is "
                         "%zu bytes of UTF-8, cut at a character boundary) go to Gemini and the "
                         "file",
                         full.size(), kept.size(), emo::kMaxContextBytes),
                        (nullptr));
}

static void gst_emo_session_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec) {
  GstEmoSession *self = GST_EMO_SESSION(object);
  if (gst_emo_refuse_while_started(object, pspec, value, self->started)) return;
  if (prop_id == PROP_CONTEXT) return gst_emo_session_set_context(self, value);
  GstEmoObjectLock lock(self);
  auto set_string = [&](gchar *&field) {
    g_free(field);
    field = g_value_dup_string(value);
  };
  switch (prop_id) {
    case PROP_WINDOW:
      self->window = g_value_get_double(value);
      break;
    case PROP_SAMPLE_INTERVAL:
      self->sample_interval = g_value_get_double(value);
      break;
    case PROP_MIN_WINDOW:
      self->min_window = g_value_get_double(value);
      break;
    case PROP_TRACK_ID:
      self->track_id = g_value_get_int64(value);
      break;
    case PROP_LANGUAGE:
      set_string(self->language);
      break;
    case PROP_PROMPT_TEMPLATE:
      set_string(self->prompt_template);
      break;
    case PROP_API_KEY:
      set_string(self->api_key);
      break;
    case PROP_MODEL:
      set_string(self->model);
      break;
    case PROP_ENDPOINT:
      set_string(self->endpoint);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_double(value);
      break;
    case PROP_MAX_RETRIES:
      self->max_retries = g_value_get_int(value);
      break;
    case PROP_LOCATION:
      set_string(self->location);
      break;
    case PROP_EOS_TIMEOUT:
      self->eos_timeout = g_value_get_double(value);
      break;
    case PROP_MAX_REPLY_SIZE:
      self->max_reply_size = g_value_get_uint64(value);
      break;
    case PROP_FOLLOW:
      self->follow = static_cast<GstEmoSessionFollow>(g_value_get_enum(value));
      break;
    case PROP_MAX_IN_FLIGHT:
      self->max_in_flight = g_value_get_int(value);
      break;
    case PROP_MAX_REQUESTS_PER_MINUTE:
      self->max_requests_per_minute = g_value_get_int(value);
      break;
    default:
      if (prop_id >= PROP_MQTT_FIRST &&
          gst_emo_mqtt_set_property(self->mqtt, prop_id - PROP_MQTT_FIRST, value))
        break;
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_session_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec) {
  GstEmoSession *self = GST_EMO_SESSION(object);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_WINDOW:
      g_value_set_double(value, self->window);
      break;
    case PROP_SAMPLE_INTERVAL:
      g_value_set_double(value, self->sample_interval);
      break;
    case PROP_MIN_WINDOW:
      g_value_set_double(value, self->min_window);
      break;
    case PROP_TRACK_ID:
      g_value_set_int64(value, self->track_id);
      break;
    case PROP_CONTEXT:
      g_value_set_string(value, self->context);
      break;
    case PROP_LANGUAGE:
      g_value_set_string(value, self->language);
      break;
    case PROP_PROMPT_TEMPLATE:
      g_value_set_string(value, self->prompt_template);
      break;
    case PROP_MODEL:
      g_value_set_string(value, self->model);
      break;
    case PROP_ENDPOINT:
      g_value_set_string(value, self->endpoint);
      break;
    case PROP_TIMEOUT:
      g_value_set_double(value, self->timeout);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_int(value, self->max_retries);
      break;
    case PROP_LOCATION:
      g_value_set_string(value, self->location);
      break;
    case PROP_EOS_TIMEOUT:
      g_value_set_double(value, self->eos_timeout);
      break;
    case PROP_MAX_REPLY_SIZE:
      g_value_set_uint64(value, self->max_reply_size);
      break;
    case PROP_FOLLOW:
      g_value_set_enum(value, self->follow);
      break;
    case PROP_MAX_IN_FLIGHT:
      g_value_set_int(value, self->max_in_flight);
      break;
    case PROP_MAX_REQUESTS_PER_MINUTE:
      g_value_set_int(value, self->max_requests_per_minute);
      break;
    default:  // api-key is write-only: it is never read back, logged or posted
      if (prop_id >= PROP_MQTT_FIRST &&
          gst_emo_mqtt_get_property(self->mqtt, prop_id - PROP_MQTT_FIRST, value))
        break;
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_session_finalize(GObject *object) {
  GstEmoSession *self = GST_EMO_SESSION(object);
  for (gchar *s : {self->context, self->language, self->prompt_template, self->model,
                   self->endpoint, self->location})
    g_free(s);
  if (self->api_key) {
    memset(self->api_key, 0, strlen(self->api_key));
    g_free(self->api_key);
  }
  self->mqtt.clear();
  self->run.~unique_ptr();
  self->board.~shared_ptr();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_session_init(GstEmoSession *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->run) std::unique_ptr<GstEmoSessionRun>();
  new (&self->board) std::shared_ptr<emo::SessionBoard>(std::make_shared<emo::SessionBoard>());
  self->window = DEFAULT_WINDOW;
  self->sample_interval = DEFAULT_SAMPLE_INTERVAL;
  self->min_window = DEFAULT_MIN_WINDOW;
  self->track_id = DEFAULT_TRACK_ID;
  self->language = g_strdup(DEFAULT_LANGUAGE);
  self->model = g_strdup(DEFAULT_MODEL);
  self->endpoint = g_strdup(DEFAULT_ENDPOINT);
  self->timeout = DEFAULT_TIMEOUT;
  self->max_retries = DEFAULT_MAX_RETRIES;
  self->eos_timeout = DEFAULT_EOS_TIMEOUT;
  self->max_reply_size = DEFAULT_MAX_REPLY_SIZE;
  self->follow = DEFAULT_FOLLOW;
  self->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
  self->max_requests_per_minute = DEFAULT_MAX_REQUESTS_PER_MINUTE;
  new (&self->mqtt) GstEmoMqttSettings();
  self->mqtt.init(DEFAULT_TOPIC);
}

static void gst_emo_session_class_init(GstEmoSessionClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_session_debug, "emosession", 0, "gst-emo emotion session");

  gobject_class->set_property = gst_emo_session_set_property;
  gobject_class->get_property = gst_emo_session_get_property;
  gobject_class->finalize = gst_emo_session_finalize;

  /* Read in start(), which a GstBaseSink runs in NULL -> READY: settable in NULL only (no
   * mutability flag), refused with a warning from READY on (gst_emo_refuse_while_started()). */
  const auto null_only = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_WINDOW,
      g_param_spec_double("window", "Window", "Length of a window, in seconds of running time", 0.1,
                          86400.0, DEFAULT_WINDOW, null_only));
  g_object_class_install_property(
      gobject_class, PROP_SAMPLE_INTERVAL,
      g_param_spec_double("sample-interval", "Sample interval",
                          "One timeline sample (the primary face's most frequent label) per "
                          "interval, in seconds; at most the window",
                          0.01, 3600.0, DEFAULT_SAMPLE_INTERVAL, null_only));
  g_object_class_install_property(
      gobject_class, PROP_MIN_WINDOW,
      g_param_spec_double("min-window", "Minimum window",
                          "A partial window (at EOS, before a gap, flush or new segment) is kept "
                          "when it is at least this long, in seconds; at most the window",
                          0.0, 86400.0, DEFAULT_MIN_WINDOW, null_only));
  g_object_class_install_property(
      gobject_class, PROP_TRACK_ID,
      g_param_spec_int64("track-id", "Track id",
                         "Follow the face with this track id (emoclassify's \"tracking\" "
                         "metadata); -1 follows the largest classified face of each frame",
                         -1, G_MAXINT64, DEFAULT_TRACK_ID, null_only));
  g_object_class_install_property(
      gobject_class, PROP_CONTEXT,
      g_param_spec_string("context", "Context",
                          "What the user is talking about, in their own words; sent to Gemini "
                          "with each window (taken when a window closes); at most 16384 bytes "
                          "of UTF-8, a longer one is cut at a character boundary with a warning",
                          nullptr, playing));
  g_object_class_install_property(
      gobject_class, PROP_LANGUAGE,
      g_param_spec_string("language", "Language",
                          "Language of the built-in prompt and so of the reply: \"es\" "
                          "(Spanish) or \"en\" (English); others fall back to English with a "
                          "warning",
                          DEFAULT_LANGUAGE, null_only));
  g_object_class_install_property(
      gobject_class, PROP_PROMPT_TEMPLATE,
      g_param_spec_string("prompt-template", "Prompt template",
                          "UTF-8 file with the prompt: optional system instruction, a line "
                          "\"---\", then the user text, with the placeholders {context}, "
                          "{timeline}, {counts}, {dominant}, {face_share}, {duration}, "
                          "{sample_interval}, {samples} (see the README); unset: built-in",
                          nullptr, null_only));
  g_object_class_install_property(
      gobject_class, PROP_API_KEY,
      g_param_spec_string("api-key", "API key",
                          "Gemini API key (write-only; never logged, posted or stored); unset: "
                          "$GEMINI_API_KEY; none: offline, analyses are \"skipped\"",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Gemini model that writes the analyses, as in its REST path "
                          "(letters, digits, '-', '.', '_'), e.g. gemini-2.5-pro",
                          DEFAULT_MODEL, null_only));
  g_object_class_install_property(
      gobject_class, PROP_ENDPOINT,
      g_param_spec_string("endpoint", "Endpoint",
                          "Gemini API base URL, http(s)://host[:port]; requests go to "
                          "{endpoint}/v1beta/models/{model}:generateContent",
                          DEFAULT_ENDPOINT, null_only));
  g_object_class_install_property(
      gobject_class, PROP_TIMEOUT,
      g_param_spec_double("timeout", "Timeout", "Time allowed per request attempt, in seconds", 0.1,
                          600.0, DEFAULT_TIMEOUT, null_only));
  g_object_class_install_property(
      gobject_class, PROP_MAX_RETRIES,
      g_param_spec_int("max-retries", "Maximum retries",
                       "Retries after the first attempt for 429, 500, 503, 504, timeouts and "
                       "connection failures (exponential backoff with jitter, or Gemini's "
                       "retryDelay)",
                       0, 20, DEFAULT_MAX_RETRIES, null_only));
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "JSON Lines file the windows are appended to (one line per window, "
                          "written when its analysis is final; fsynced; windows waiting for "
                          "theirs are journalled in location.pending); unset: no file",
                          nullptr, null_only));
  g_object_class_install_property(
      gobject_class, PROP_EOS_TIMEOUT,
      g_param_spec_double("eos-timeout", "EOS timeout",
                          "At EOS, wait at most this long, in seconds, for the analyses still "
                          "due before EOS goes on; windows still without one are written as "
                          "\"pending\"",
                          0.0, 3600.0, DEFAULT_EOS_TIMEOUT, playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_REPLY_SIZE,
      g_param_spec_uint64("max-reply-size", "Maximum reply size",
                          "Largest Gemini reply body read, in bytes; a larger reply is aborted "
                          "and its window's analysis recorded as \"failed\" (not retried)",
                          1024, G_GUINT64_CONSTANT(1) << 30, DEFAULT_MAX_REPLY_SIZE, null_only));
  g_object_class_install_property(
      gobject_class, PROP_FOLLOW,
      g_param_spec_enum("follow", "Follow",
                        "Whose emotion makes the windows: the primary face (the largest, or "
                        "track-id) or every tracked face, each with windows of their own",
                        GST_TYPE_EMO_SESSION_FOLLOW, DEFAULT_FOLLOW, null_only));
  g_object_class_install_property(
      gobject_class, PROP_MAX_IN_FLIGHT,
      g_param_spec_int("max-in-flight", "Maximum requests in flight",
                       "Most Gemini requests under way at once (waits between retries "
                       "included), 0-1000; 0: no limit. Windows over it wait in the journal, "
                       "in order, until a reply comes",
                       0, 1000, DEFAULT_MAX_IN_FLIGHT, null_only));
  g_object_class_install_property(
      gobject_class, PROP_MAX_REQUESTS_PER_MINUTE,
      g_param_spec_int("max-requests-per-minute", "Maximum requests per minute",
                       "Most Gemini HTTP requests sent in any 60 s, retries included, "
                       "0-100000; 0: no limit. Gemini's free tier allows 10 a minute for "
                       "gemini-2.5-flash: set 10 (or your quota) there. Windows over it wait "
                       "in the journal",
                       0, 100000, DEFAULT_MAX_REQUESTS_PER_MINUTE, null_only));
  gst_emo_mqtt_install_properties(gobject_class, PROP_MQTT_FIRST, DEFAULT_TOPIC,
                                  "the windows and analyses (<topic>/windows); unset: none",
                                  static_cast<GParamFlags>(0));

  gst_type_mark_as_plugin_api(GST_TYPE_EMO_SESSION_FOLLOW, static_cast<GstPluginAPIFlags>(0));
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Emotion session", "Sink/Analyzer/Video",
      "Emotion windows of the primary face, read by Google Gemini, kept in JSON Lines",
      "gst-emo developers");

  sink_class->start = GST_DEBUG_FUNCPTR(gst_emo_session_start);
  sink_class->stop = GST_DEBUG_FUNCPTR(gst_emo_session_stop);
  sink_class->unlock = GST_DEBUG_FUNCPTR(gst_emo_session_unlock);
  sink_class->render = GST_DEBUG_FUNCPTR(gst_emo_session_render);
  sink_class->event = GST_DEBUG_FUNCPTR(gst_emo_session_event);
}
