// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emometapublish
 * @title: emometapublish
 *
 * Writes the face metadata of every frame as one JSON object per line (JSON Lines), for
 * applications that want each frame rather than the windows of emosession; in the spirit of
 * DL Streamer's `gvametaconvert ! gvametapublish file-format=json-lines`. The element is a
 * passthrough: it never touches or delays the video, so it can sit anywhere after emofacedetect
 * (also after videoscale: faces are read with emo::gst::read_faces(), see face_meta.hpp).
 *
 * One line per frame, frames without faces included (`"faces": []`):
 * |[
 * {"frame":0,"pts":0,"duration":40000000,"running-time":0,"stream-time":0,"width":1280,
 *  "height":720,"faces":[{"id":3,"track-id":2,"detected":true,
 *  "box":{"x":412,"y":180,"width":96,"height":96},"landmarks":[[420.5,214.25],...],
 *  "emotion":{"label":"happiness","class-id":3,"confidence":0.87,
 *             "scores":{"anger":0.01,...,"happiness":0.87,...},
 *             "unsure":"","face-size":96,"yaw":-12.5,"sharpness":0.61,"margin":0.8}}]}
 * ]|
 * A face emoclassify left without an emotion has `"label":"unknown"` (its scores kept) and in
 * `unsure` why ("small", "turned", "blurred", "flat"; see docs/emotion-labels.md); `yaw`
 * (degrees) and `sharpness` are absent when not measured.
 * `frame` counts buffers from 0 since the element started; `pts`, `duration`, `running-time`
 * and `stream-time` are nanoseconds (null when the buffer has no timestamp); `width` and
 * `height` are the frame size from the caps; boxes and landmarks are frame pixels. Landmarks are
 * rounded to 1/64 px (a binary fraction, which json-glib prints exactly and briefly, e.g.
 * 420.515625), confidence and scores to 0.0001 (json-glib prints the nearest double with 17
 * significant digits, e.g. 0.96500000000000008). `track-id` is present when the face is tracked,
 * `"shot-start":true` on the faces of a frame that starts a shot (see emofacedetect; their
 * `emotion` comes on the next frames),
 * `emotion` when emoclassify has run, `landmarks` is empty when emolandmarks has not run (and left
 * out with #GstEmoMetaPublish:include-landmarks=false), `"pose":{"yaw":-4.2,"pitch":7.9,
 * "roll":1.3}` (head pose in degrees, rounded to 0.1, see emolandmarks) when emolandmarks
 * estimated one.
 *
 * Every object starts with `"version":1` (GST_EMO_PUBLISH_SCHEMA_VERSION, raised when a member
 * changes meaning or goes away; new members may appear without a new version). The objects are
 * built by emo/publish/messages.hpp, which emo-analyze --http also uses for its events.
 *
 * With `location=-` the lines go to standard output: run gst-launch-1.0 with `-q` so that its
 * own messages do not mix with them. A file that cannot be opened is an error naming the path.
 * The output (#GstEmoMetaPublish:location, append, method and the MQTT settings) is chosen when
 * the element starts: a new value set while it runs (PAUSED, PLAYING) is refused with a warning
 * and the value in use reads back; set it in NULL or READY. After a caps change each line
 * carries the new `width` and `height`.
 *
 * With #GstEmoMetaPublish:method=mqtt the same objects (frames with faces only) go to
 * #GstEmoMetaPublish:topic on the broker at #GstEmoMetaPublish:address through a bounded queue
 * on the publisher's own thread; a lost broker is a warning and the pipeline goes on;
 * "emo-publish-stats" messages count what was sent, acknowledged and dropped (docs/mqtt.md).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -q filesrc location=clip.mp4 ! decodebin ! videoconvert ! emofacedetect ! \
 *     emolandmarks ! emoclassify ! emometapublish location=faces.jsonl ! fakesink
 * ]|
 */
#include "gstemometapublish.h"

#include <gst/video/video.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include <glib/gstdio.h>

#include "emo/publish/messages.hpp"
#include "gstemocommon.h"
#include "gstemopublish.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_meta_publish_debug);
#define GST_CAT_DEFAULT gst_emo_meta_publish_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_APPEND,
  PROP_FLUSH_EVERY,
  PROP_INCLUDE_LANDMARKS,
  PROP_METHOD,
  PROP_MQTT_FIRST,  // the shared MQTT properties (gstemopublish.h) follow
};

#define DEFAULT_LOCATION "-"
#define DEFAULT_APPEND FALSE
#define DEFAULT_FLUSH_EVERY 1
#define DEFAULT_INCLUDE_LANDMARKS TRUE
#define DEFAULT_METHOD GST_EMO_PUBLISH_METHOD_FILE
#define DEFAULT_TOPIC "gst-emo/faces"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-raw(ANY)"));

/* Closes the output unless it is standard output, which is only flushed. */
struct GstEmoFileCloser {
  void operator()(FILE *f) const {
    if (f == stdout)
      std::fflush(f);
    else
      std::fclose(f);
  }
};

/* Streaming state: built in start(), dropped in stop(), used only by the streaming thread. */
struct GstEmoMetaPublishState {
  std::unique_ptr<FILE, GstEmoFileCloser> file;  // method=file
  std::unique_ptr<GstEmoMqttLink> mqtt;          // method=mqtt, unless its settings failed
  bool mqtt_mode = false;                        // method=mqtt
  std::string location;
  guint64 frames = 0;   // lines written
  guint unflushed = 0;  // lines written since the last flush
  gint width = 0, height = 0;
};

struct _GstEmoMetaPublish {
  GstBaseTransform parent;

  /* settings, under GST_OBJECT_LOCK */
  gchar *location;
  gboolean append;
  guint flush_every;
  gboolean include_landmarks;
  GstEmoPublishMethod method;
  GstEmoMqttSettings mqtt;
  bool started;  // between start() and stop(): start-time settings refused

  /* state */
  std::unique_ptr<GstEmoMetaPublishState> state;
};

#define gst_emo_meta_publish_parent_class parent_class
G_DEFINE_TYPE(GstEmoMetaPublish, gst_emo_meta_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(emometapublish, "emometapublish", GST_RANK_NONE,
                            GST_TYPE_EMO_META_PUBLISH);

static gboolean gst_emo_meta_publish_open(GstBaseTransform *trans) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(trans);
  auto state = std::make_unique<GstEmoMetaPublishState>();
  gboolean append;
  GstEmoPublishMethod method;
  {
    GstEmoObjectLock lock(self);
    state->location = self->location ? self->location : "";
    append = self->append;
    method = self->method;
  }
  if (method == GST_EMO_PUBLISH_METHOD_MQTT) {
    bool fatal = false;
    state->mqtt_mode = true;
    state->mqtt = GstEmoMqttLink::create(GST_ELEMENT(self), self->mqtt, fatal);
    if (!state->mqtt && fatal) return FALSE;
    GstEmoObjectLock lock(self);
    self->mqtt.link = state->mqtt.get();
    self->state = std::move(state);
    return TRUE;
  }
  if (state->location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No file name specified for writing."),
                      ("set location to a path, or to \"-\" for standard output"));
    return FALSE;
  }
  if (state->location == "-") {
    state->file.reset(stdout);
  } else {
    state->file.reset(g_fopen(state->location.c_str(), append ? "a" : "w"));
    if (!state->file) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                        ("Could not open file \"%s\" for writing.", state->location.c_str()),
                        GST_ERROR_SYSTEM);
      return FALSE;
    }
  }
  GST_INFO_OBJECT(self, "writing JSON Lines to %s", state->location.c_str());
  self->state = std::move(state);
  return TRUE;
}

static gboolean gst_emo_meta_publish_flush(GstEmoMetaPublish *self) {
  GstEmoMetaPublishState &s = *self->state;
  s.unflushed = 0;
  if (!s.file) return TRUE;
  if (std::fflush(s.file.get()) == 0) return TRUE;
  GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not write to file \"%s\".", s.location.c_str()),
                    GST_ERROR_SYSTEM);
  return FALSE;
}

/* Start-time settings are refused from here until stop() (gst_emo_refuse_while_started()). */
static gboolean gst_emo_meta_publish_start(GstBaseTransform *trans) {
  auto *self = GST_EMO_META_PUBLISH(trans);
  return gst_emo_start(self, self->started, [&] { return gst_emo_meta_publish_open(trans); });
}

static gboolean gst_emo_meta_publish_stop(GstBaseTransform *trans) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(trans);
  gst_emo_set_started(self, self->started, false);  // the settings in use are dropped below
  if (self->state && self->state->file) {
    GST_INFO_OBJECT(self, "wrote %" G_GUINT64_FORMAT " lines to %s", self->state->frames,
                    self->state->location.c_str());
    gst_emo_meta_publish_flush(self);
  }
  if (self->state && self->state->mqtt) {
    std::unique_ptr<GstEmoMqttLink> mqtt = std::move(self->state->mqtt);
    {
      GstEmoObjectLock lock(self);
      self->mqtt.link = nullptr;
    }
    mqtt->finish(std::chrono::milliseconds(2000));
    GstStructure *last = mqtt->stats_structure("final");
    GstEmoObjectLock lock(self);
    if (self->mqtt.last_stats) gst_structure_free(self->mqtt.last_stats);
    self->mqtt.last_stats = last;
  }
  self->state.reset();
  return TRUE;
}

static gboolean gst_emo_meta_publish_set_caps(GstBaseTransform *trans, GstCaps *incaps,
                                              GstCaps *outcaps) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(trans);
  const GstStructure *s = gst_caps_get_structure(incaps, 0);
  gint width = 0, height = 0;
  if (!gst_structure_get_int(s, "width", &width) || !gst_structure_get_int(s, "height", &height)) {
    GST_WARNING_OBJECT(self, "caps without width and height: %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
  self->state->width = width;
  self->state->height = height;
  return TRUE;
}

static gboolean gst_emo_meta_publish_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && self->state && self->state->file)
    gst_emo_meta_publish_flush(self);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && self->state && self->state->mqtt)
    self->state->mqtt->flush(GST_EMO_MQTT_EOS_DRAIN);
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_emo_meta_publish_transform_ip(GstBaseTransform *trans, GstBuffer *buf) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(trans);
  GstEmoMetaPublishState &s = *self->state;
  guint flush_every;
  gboolean include_landmarks;
  {
    GstEmoObjectLock lock(self);
    flush_every = self->flush_every;
    include_landmarks = self->include_landmarks;
  }
  try {
    emo::publish::FrameInfo info;
    info.frame = s.frames;
    info.segment = &trans->segment;
    info.width = s.width;
    info.height = s.height;
    info.include_landmarks = include_landmarks;
    std::size_t n_faces = 0;
    const std::string line = emo::publish::frame_json(buf, info, &n_faces);
    const gsize length = line.size();
    if (s.mqtt_mode) {
      ++s.frames;
      if (s.mqtt && n_faces > 0) s.mqtt->publish(s.mqtt->topic(), line);
      return GST_FLOW_OK;
    }
    if (std::fwrite(line.data(), 1, length, s.file.get()) != length ||
        std::fputc('\n', s.file.get()) == EOF) {
      GST_ELEMENT_ERROR(self, RESOURCE, WRITE,
                        ("Could not write to file \"%s\".", s.location.c_str()), GST_ERROR_SYSTEM);
      return GST_FLOW_ERROR;
    }
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not export the face metadata"),
                      ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  ++s.frames;
  if (flush_every > 0 && ++s.unflushed >= flush_every && !gst_emo_meta_publish_flush(self))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

static void gst_emo_meta_publish_set_property(GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(object);
  if (gst_emo_refuse_while_started(object, pspec, value, self->started)) return;
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free(self->location);
      self->location = g_value_dup_string(value);
      break;
    case PROP_APPEND:
      self->append = g_value_get_boolean(value);
      break;
    case PROP_FLUSH_EVERY:
      self->flush_every = g_value_get_uint(value);
      break;
    case PROP_INCLUDE_LANDMARKS:
      self->include_landmarks = g_value_get_boolean(value);
      break;
    case PROP_METHOD:
      self->method = static_cast<GstEmoPublishMethod>(g_value_get_enum(value));
      break;
    default:
      if (prop_id >= PROP_MQTT_FIRST &&
          gst_emo_mqtt_set_property(self->mqtt, prop_id - PROP_MQTT_FIRST, value))
        break;
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_meta_publish_get_property(GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(object);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string(value, self->location);
      break;
    case PROP_APPEND:
      g_value_set_boolean(value, self->append);
      break;
    case PROP_FLUSH_EVERY:
      g_value_set_uint(value, self->flush_every);
      break;
    case PROP_INCLUDE_LANDMARKS:
      g_value_set_boolean(value, self->include_landmarks);
      break;
    case PROP_METHOD:
      g_value_set_enum(value, self->method);
      break;
    default:
      if (prop_id >= PROP_MQTT_FIRST &&
          gst_emo_mqtt_get_property(self->mqtt, prop_id - PROP_MQTT_FIRST, value))
        break;
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_meta_publish_finalize(GObject *object) {
  GstEmoMetaPublish *self = GST_EMO_META_PUBLISH(object);
  g_free(self->location);
  self->mqtt.clear();
  self->state.~unique_ptr();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_meta_publish_init(GstEmoMetaPublish *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->state) std::unique_ptr<GstEmoMetaPublishState>();
  self->location = g_strdup(DEFAULT_LOCATION);
  self->append = DEFAULT_APPEND;
  self->flush_every = DEFAULT_FLUSH_EVERY;
  self->include_landmarks = DEFAULT_INCLUDE_LANDMARKS;
  self->method = DEFAULT_METHOD;
  new (&self->mqtt) GstEmoMqttSettings();
  self->mqtt.init(DEFAULT_TOPIC);
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_emo_meta_publish_class_init(GstEmoMetaPublishClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_meta_publish_debug, "emometapublish", 0,
                          "gst-emo per-frame face metadata export (JSON Lines)");

  gobject_class->set_property = gst_emo_meta_publish_set_property;
  gobject_class->get_property = gst_emo_meta_publish_get_property;
  gobject_class->finalize = gst_emo_meta_publish_finalize;

  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              static_cast<GParamFlags>(GST_PARAM_MUTABLE_READY));
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "File location",
                          "Path of the JSON Lines file, one JSON object per frame, opened when "
                          "the element starts; \"-\" writes to standard output",
                          DEFAULT_LOCATION, ready));
  g_object_class_install_property(
      gobject_class, PROP_APPEND,
      g_param_spec_boolean("append", "Append",
                           "Append to an existing file instead of truncating it when the element "
                           "starts (ignored for standard output)",
                           DEFAULT_APPEND, ready));
  g_object_class_install_property(
      gobject_class, PROP_FLUSH_EVERY,
      g_param_spec_uint("flush-every", "Flush every",
                        "Flush the output after this many lines (frames), so that readers see "
                        "them; 0 = flush only at EOS and when the element stops",
                        0, G_MAXUINT, DEFAULT_FLUSH_EVERY, playing));
  g_object_class_install_property(
      gobject_class, PROP_INCLUDE_LANDMARKS,
      g_param_spec_boolean("include-landmarks", "Include landmarks",
                           "Write each face's landmark points ([x, y] in frame pixels); false "
                           "for lines several times shorter",
                           DEFAULT_INCLUDE_LANDMARKS, playing));
  g_object_class_install_property(
      gobject_class, PROP_METHOD,
      g_param_spec_enum("method", "Method",
                        "Where the JSON objects go: file (JSON Lines at location, every frame) "
                        "or mqtt (one message per frame with faces to address/topic)",
                        GST_TYPE_EMO_PUBLISH_METHOD, DEFAULT_METHOD, ready));
  gst_emo_mqtt_install_properties(gobject_class, PROP_MQTT_FIRST, DEFAULT_TOPIC,
                                  "method=mqtt (one message per frame with faces)",
                                  static_cast<GParamFlags>(GST_PARAM_MUTABLE_READY));
  gst_type_mark_as_plugin_api(GST_TYPE_EMO_PUBLISH_METHOD, static_cast<GstPluginAPIFlags>(0));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Emotion metadata publisher", "Filter/Metadata/Video",
      "Writes every frame's faces (boxes, landmarks, emotion, track) as JSON Lines or MQTT "
      "messages; passthrough",
      "gst-emo developers");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_emo_meta_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_emo_meta_publish_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_emo_meta_publish_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_emo_meta_publish_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_emo_meta_publish_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}
