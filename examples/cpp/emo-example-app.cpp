// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-example-app: how an application embeds gst-emo.
//
// Builds   uridecodebin ! videoconvert ! emofacedetect ! emolandmarks !
//          emoclassify post-messages=true ! fakesink | emosession
// reads every frame's faces in a pad probe through the typed reader emo::gst::read_faces()
// (emo/gst/face_meta.hpp), and handles the bus: "emo-faces" from emoclassify and, with
// --session, the "emo-session-window" / "emo-session-analysis" messages of the emosession sink
// (printed field by field, so the example follows that element whatever fields it adds).
//
// Output, one line per item (stable, meant to be parsed; times in nanoseconds, boxes and
// landmarks in frame pixels):
//   frame index=I pts=NS faces=N
//   face index=I pts=NS id=ID track=T box=X,Y,W,H landmarks=N p0=X,Y label=L confidence=C
//   message emo-faces pts=NS faces=N
//   session NAME field=value ...
//   summary frames=N face-frames=N faces=N emo-faces-messages=N session-messages=N labels=L:N,...
//
//   emo-example-app [--max-frames N] [--session] [--session-property KEY=VALUE ...] FILE|URI
//
// Build against an installed gst-emo:
//   g++ -std=c++17 emo-example-app.cpp $(pkg-config --cflags --libs gst-emo-1.0) -o app
#include <glib-unix.h>
#include <gst/gst.h>

#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "emo/gst/face_meta.hpp"

namespace {

struct Options {
  gint max_frames = 0;
  gboolean session = FALSE;
  gchar **session_properties = nullptr;
  gchar **detect_properties = nullptr;
  gchar **inputs = nullptr;
  ~Options() {
    g_strfreev(session_properties);
    g_strfreev(detect_properties);
    g_strfreev(inputs);
  }
};

struct App {
  GstElement *pipeline = nullptr;
  GMainLoop *loop = nullptr;
  bool failed = false;
  guint64 max_frames = 0;  // 0: no limit
  guint64 decoded = 0;     // frames seen by the limiting probe (streaming thread only)
  std::mutex mutex;        // the probe runs on the streaming thread, the bus watch on the main loop
  guint64 frames = 0, face_frames = 0, faces = 0, face_messages = 0, session_messages = 0;
  std::map<std::string, guint64> labels;
};

void print_line(App *app, const std::string &line) {
  std::lock_guard<std::mutex> lock(app->mutex);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string format(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
std::string format(const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  gchar *s = g_strdup_vprintf(fmt, args);
  va_end(args);
  std::string out(s);
  g_free(s);
  return out;
}

// Ends the stream: EOS from the sources, so that every element (and emosession) finishes.
gboolean send_eos(gpointer data) {
  gst_element_send_event(static_cast<App *>(data)->pipeline, gst_event_new_eos());
  return G_SOURCE_REMOVE;
}

// --max-frames: lets N frames into the analysis, drops the rest and ends the stream.
GstPadProbeReturn limit_frames(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *app = static_cast<App *>(data);
  const guint64 index = app->decoded++;
  if (index < app->max_frames) return GST_PAD_PROBE_OK;
  if (index == app->max_frames) g_idle_add(send_eos, app);  // not from the streaming thread
  return GST_PAD_PROBE_DROP;
}

// Reads the faces of each frame that reaches the sink.
GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *app = static_cast<App *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const std::vector<emo::gst::Face> faces = emo::gst::read_faces(buffer);
  guint64 index;
  {
    std::lock_guard<std::mutex> lock(app->mutex);
    index = app->frames++;
    app->faces += faces.size();
    if (!faces.empty()) app->face_frames++;
    for (const emo::gst::Face &f : faces)
      if (f.emotion) app->labels[f.emotion->label]++;
  }
  const guint64 pts = GST_BUFFER_PTS(buffer);
  print_line(app, format("frame index=%" G_GUINT64_FORMAT " pts=%" G_GUINT64_FORMAT " faces=%zu",
                         index, pts, faces.size()));
  for (const emo::gst::Face &f : faces) {
    std::string p0 = f.landmarks.empty() ? std::string("-")
                                         : format("%.2f,%.2f", f.landmarks[0].x, f.landmarks[0].y);
    print_line(app, format("face index=%" G_GUINT64_FORMAT " pts=%" G_GUINT64_FORMAT
                           " id=%d track=%" G_GINT64_FORMAT
                           " box=%d,%d,%d,%d landmarks=%zu p0=%s label=%s confidence=%.4f",
                           index, pts, f.id, static_cast<gint64>(f.track_id), f.box.x, f.box.y,
                           f.box.width, f.box.height, f.landmarks.size(), p0.c_str(),
                           f.emotion ? f.emotion->label.c_str() : "-",
                           f.emotion ? static_cast<double>(f.emotion->confidence) : 0.0));
  }
  return GST_PAD_PROBE_OK;
}

// "session NAME key=value ...": every field of an emosession message, serialized.
std::string describe_fields(const GstStructure *s) {
  std::string line = std::string("session ") + gst_structure_get_name(s);
  for (gint i = 0; i < gst_structure_n_fields(s); ++i) {
    const gchar *field = gst_structure_nth_field_name(s, i);
    gchar *value = gst_value_serialize(gst_structure_get_value(s, field));
    line += format(" %s=%s", field, value != nullptr ? value : "?");
    g_free(value);
  }
  return line;
}

void on_element_message(App *app, GstMessage *msg) {
  const GstStructure *s = gst_message_get_structure(msg);
  if (gst_structure_has_name(s, "emo-faces")) {
    guint64 pts = GST_CLOCK_TIME_NONE;
    gst_structure_get_uint64(s, "timestamp", &pts);
    const GValue *list = gst_structure_get_value(s, "faces");
    const guint n =
        list != nullptr && GST_VALUE_HOLDS_LIST(list) ? gst_value_list_get_size(list) : 0;
    {
      std::lock_guard<std::mutex> lock(app->mutex);
      app->face_messages++;
    }
    print_line(app, format("message emo-faces pts=%" G_GUINT64_FORMAT " faces=%u", pts, n));
  } else if (g_str_has_prefix(gst_structure_get_name(s), "emo-session-")) {
    {
      std::lock_guard<std::mutex> lock(app->mutex);
      app->session_messages++;
    }
    print_line(app, describe_fields(s));
  }
}

gboolean on_bus(GstBus *, GstMessage *msg, gpointer data) {
  auto *app = static_cast<App *>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ELEMENT:
      on_element_message(app, msg);
      break;
    case GST_MESSAGE_ERROR: {
      GError *error = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(msg, &error, &debug);
      g_printerr("emo-example-app: error from %s: %s\n%s\n", GST_OBJECT_NAME(msg->src),
                 error->message, debug != nullptr ? debug : "");
      g_clear_error(&error);
      g_free(debug);
      app->failed = true;
      g_main_loop_quit(app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit(app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

// Ctrl-C: send EOS so that the sink (e.g. emosession) finishes its work before we quit.
gboolean on_sigint(gpointer data) {
  g_printerr("emo-example-app: interrupted, finishing the stream\n");
  send_eos(data);
  return G_SOURCE_CONTINUE;
}

void on_pad_added(GstElement *, GstPad *pad, gpointer data) {
  auto *convert = static_cast<GstElement *>(data);
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
  const bool video =
      !gst_caps_is_empty(caps) && !gst_caps_is_any(caps) &&
      g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps, 0)), "video/x-raw");
  gst_caps_unref(caps);
  if (!video) return;  // audio and other streams are left unlinked
  GstPad *sink = gst_element_get_static_pad(convert, "sink");
  if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
  gst_object_unref(sink);
}

GstElement *make(const char *factory, const char *name) {
  GstElement *e = gst_element_factory_make(factory, name);
  if (e == nullptr)
    g_printerr("emo-example-app: no element '%s' (is GST_PLUGIN_PATH set to gst-emo's plugin?)\n",
               factory);
  return e;
}

bool have_factory(const char *name) {
  GstElementFactory *factory = gst_element_factory_find(name);
  if (factory == nullptr) return false;
  gst_object_unref(factory);
  return true;
}

// Sets KEY=VALUE properties (strings as gst-launch-1.0 reads them) on `element`.
void set_properties(GstElement *element, gchar **properties) {
  for (gchar **kv = properties; kv != nullptr && *kv != nullptr; ++kv) {
    gchar **parts = g_strsplit(*kv, "=", 2);
    if (parts[0] != nullptr && parts[1] != nullptr &&
        g_object_class_find_property(G_OBJECT_GET_CLASS(element), parts[0]) != nullptr)
      gst_util_set_object_arg(G_OBJECT(element), parts[0], parts[1]);
    else
      g_printerr("emo-example-app: ignoring property '%s' (not KEY=VALUE of %s)\n", *kv,
                 G_OBJECT_TYPE_NAME(element));
    g_strfreev(parts);
  }
}

// Builds the pipeline and installs the probe; nullptr (with a message) when an element is
// missing.
GstElement *build_pipeline(App *app, const Options &opts, const gchar *uri) {
  std::vector<GstElement *> chain;
  GstElement *source = make("uridecodebin", "source");
  chain.push_back(make("videoconvert", "convert"));
  GstElement *detect = make("emofacedetect", "detect");
  chain.push_back(detect);
  chain.push_back(make("emolandmarks", "landmarks"));
  GstElement *classify = make("emoclassify", "classify");
  chain.push_back(classify);
  GstElement *sink = nullptr;
  if (opts.session) {
    if (have_factory("emosession"))
      sink = make("emosession", "session");
    else
      g_printerr("emo-example-app: no emosession element; running without a session\n");
  }
  if (sink == nullptr) sink = make("fakesink", "sink");
  chain.push_back(sink);

  bool ok = source != nullptr;
  for (GstElement *e : chain) ok = ok && e != nullptr;
  if (!ok) {
    for (GstElement *e : chain)
      if (e != nullptr) gst_object_unref(gst_object_ref_sink(e));
    if (source != nullptr) gst_object_unref(gst_object_ref_sink(source));
    return nullptr;
  }

  g_object_set(source, "uri", uri, nullptr);
  g_object_set(classify, "post-messages", TRUE, nullptr);
  set_properties(detect, opts.detect_properties);
  set_properties(sink, opts.session_properties);

  GstElement *pipeline = gst_pipeline_new("emo-example");
  gst_bin_add(GST_BIN(pipeline), source);
  for (GstElement *e : chain) gst_bin_add(GST_BIN(pipeline), e);
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    if (!gst_element_link(chain[i], chain[i + 1])) {
      g_printerr("emo-example-app: cannot link %s to %s\n", GST_ELEMENT_NAME(chain[i]),
                 GST_ELEMENT_NAME(chain[i + 1]));
      gst_object_unref(pipeline);
      return nullptr;
    }
  }
  g_signal_connect(source, "pad-added", G_CALLBACK(on_pad_added), chain[0]);

  app->max_frames = static_cast<guint64>(opts.max_frames);
  if (app->max_frames > 0) {
    GstPad *pad = gst_element_get_static_pad(chain[0], "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, limit_frames, app, nullptr);
    gst_object_unref(pad);
  }
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, app, nullptr);
  gst_object_unref(pad);
  return pipeline;
}

gchar *to_uri(const gchar *input) {
  if (gst_uri_is_valid(input)) return g_strdup(input);
  GError *error = nullptr;
  gchar *uri = gst_filename_to_uri(input, &error);
  if (uri == nullptr) {
    g_printerr("emo-example-app: %s: %s\n", input, error->message);
    g_clear_error(&error);
  }
  return uri;
}

bool parse_options(int &argc, char **&argv, Options &opts) {
  const GOptionEntry entries[] = {
      {"max-frames", 'n', 0, G_OPTION_ARG_INT, &opts.max_frames,
       "Stop after N frames (0: the whole input)", "N"},
      {"session", 's', 0, G_OPTION_ARG_NONE, &opts.session,
       "End in the emosession sink when it is installed (else fakesink)", nullptr},
      {"session-property", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &opts.session_properties,
       "Set a property of the sink, e.g. window=10 (repeatable)", "KEY=VALUE"},
      {"detect-property", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &opts.detect_properties,
       "Set a property of emofacedetect, e.g. async-detection=false (repeatable)", "KEY=VALUE"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts.inputs, nullptr, nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new("FILE|URI - faces and emotions of a video");
  g_option_context_add_main_entries(context, entries, nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  GError *error = nullptr;
  bool ok = g_option_context_parse(context, &argc, &argv, &error);
  if (!ok) {
    g_printerr("emo-example-app: %s\n", error->message);
    g_clear_error(&error);
  } else if (opts.inputs == nullptr || opts.inputs[0] == nullptr || opts.inputs[1] != nullptr) {
    gchar *help = g_option_context_get_help(context, TRUE, nullptr);
    g_printerr("emo-example-app: expected one FILE or URI\n%s", help);
    g_free(help);
    ok = false;
  } else if (opts.max_frames < 0) {
    g_printerr("emo-example-app: --max-frames must be >= 0\n");
    ok = false;
  }
  g_option_context_free(context);
  return ok;
}

}  // namespace

int main(int argc, char **argv) {
  Options opts;
  if (!parse_options(argc, argv, opts)) return 2;
  gst_init(nullptr, nullptr);
  gchar *uri = to_uri(opts.inputs[0]);
  if (uri == nullptr) return 1;

  App app;
  app.pipeline = build_pipeline(&app, opts, uri);
  g_free(uri);
  if (app.pipeline == nullptr) return 1;
  app.loop = g_main_loop_new(nullptr, FALSE);
  GstBus *bus = gst_element_get_bus(app.pipeline);
  const guint watch = gst_bus_add_watch(bus, on_bus, &app);
  gst_object_unref(bus);
  const guint sigint = g_unix_signal_add(SIGINT, on_sigint, &app);

  if (gst_element_set_state(app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The reason is an error message on the bus: show it.
    GstBus *b = gst_element_get_bus(app.pipeline);
    GstMessage *msg = gst_bus_pop_filtered(b, GST_MESSAGE_ERROR);
    if (msg != nullptr) {
      on_bus(b, msg, &app);
      gst_message_unref(msg);
    }
    gst_object_unref(b);
    g_printerr("emo-example-app: the pipeline does not start\n");
    app.failed = true;
  } else {
    g_main_loop_run(app.loop);
  }
  gst_element_set_state(app.pipeline, GST_STATE_NULL);

  std::string labels;
  for (const auto &[label, count] : app.labels)
    labels += format("%s%s:%" G_GUINT64_FORMAT, labels.empty() ? "" : ",", label.c_str(), count);
  print_line(&app, format("summary frames=%" G_GUINT64_FORMAT " face-frames=%" G_GUINT64_FORMAT
                          " faces=%" G_GUINT64_FORMAT " emo-faces-messages=%" G_GUINT64_FORMAT
                          " session-messages=%" G_GUINT64_FORMAT " labels=%s",
                          app.frames, app.face_frames, app.faces, app.face_messages,
                          app.session_messages, labels.empty() ? "-" : labels.c_str()));

  g_source_remove(sigint);
  g_source_remove(watch);
  g_main_loop_unref(app.loop);
  gst_object_unref(app.pipeline);
  return app.failed ? 1 : 0;
}
