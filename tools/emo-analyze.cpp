// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze: headless emotion analysis of files, RTSP cameras and V4L2 devices, one pipeline
// per source in one process, one JSON Lines file per source (emosession).
//
//   emo-analyze [OPTION...] SOURCE...
//     SOURCE: a file path or file:// URI, an rtsp:// URL, or v4l2:///dev/video0
//
// Output: <outdir>/<name>.jsonl per source, <name> derived from the source ("dinner-720p",
// "127.0.0.1-8554-stream", "video0"; a numeric suffix keeps names unique). Progress lines
// "[name] frames fps faces emotion windows" and events (connected, lost, reconnected, giving
// up, done) go to stdout.
//
// Ctrl-C (SIGINT) or SIGTERM: EOS into every analysis, the sinks finish (emosession waits for
// its pending analyses and writes every window), then exit. A second Ctrl-C aborts at once.
// Exit status: 0 when every source finished, 1 when any source failed (a file that cannot be
// read, a camera that never answered or could not be reconnected after --retries attempts, an
// error in the analysis), 2 on bad usage, 130 when aborted by a second Ctrl-C.
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <glib-unix.h>
#include <gst/gst.h>

#include "analyze_source.hpp"

using emo_analyze::Settings;
using emo_analyze::Source;

namespace {

struct Options {
  gchar *outdir = nullptr, *sink = nullptr, *protocols = nullptr;
  gchar *mqtt = nullptr, *mqtt_topic = nullptr, *mqtt_user = nullptr, *mqtt_ca = nullptr;
  gint retries = 5, latency = 200, mqtt_qos = 1;
  gdouble backoff = 1.0, backoff_max = 30.0, stall = 10.0, progress = 2.0;
  gboolean verbose = FALSE;
  gchar **sources = nullptr;
  ~Options() {
    g_free(outdir), g_free(sink), g_free(protocols), g_strfreev(sources);
    g_free(mqtt), g_free(mqtt_topic), g_free(mqtt_user), g_free(mqtt_ca);
  }
};

struct App {
  GMainLoop *loop = nullptr;
  std::vector<std::unique_ptr<Source>> sources;
  int signals = 0;
  bool aborted = false;

  void check_all_done() {
    for (auto &s : sources)
      if (!s->done()) return;
    g_main_loop_quit(loop);
  }
};

gboolean on_signal(gpointer data) {
  auto *app = static_cast<App *>(data);
  if (++app->signals == 1) {
    std::printf(
        "stopping: end of stream sent to every source, waiting for the sessions "
        "(Ctrl-C again to abort)\n");
    std::fflush(stdout);
    for (auto &s : app->sources) s->stop();
  } else {
    std::printf("aborting\n");
    std::fflush(stdout);
    app->aborted = true;
    for (auto &s : app->sources) s->abort();
  }
  app->check_all_done();
  return G_SOURCE_CONTINUE;
}

gboolean on_tick(gpointer data) {
  for (auto &s : static_cast<App *>(data)->sources) s->check_stall();
  return G_SOURCE_CONTINUE;
}

gboolean on_progress(gpointer data) {
  for (auto &s : static_cast<App *>(data)->sources)
    if (!s->done()) std::printf("%s\n", s->progress().c_str());
  std::fflush(stdout);
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  const GOptionEntry entries[] = {
      {"outdir", 'o', 0, G_OPTION_ARG_FILENAME, &o.outdir,
       "Directory for the <name>.jsonl files (default: the current directory)", "DIR"},
      {"sink", 0, 0, G_OPTION_ARG_STRING, &o.sink,
       "Launch fragment of the sink after the analysis; {location} becomes the JSON Lines "
       "path (default: \"emosession location={location} sync=false\")",
       "FRAGMENT"},
      {"retries", 'r', 0, G_OPTION_ARG_INT, &o.retries,
       "Reconnect attempts in a row before a live source is given up (default 5)", "N"},
      {"backoff", 0, 0, G_OPTION_ARG_DOUBLE, &o.backoff,
       "First reconnect delay in seconds, doubled per attempt (default 1)", "S"},
      {"backoff-max", 0, 0, G_OPTION_ARG_DOUBLE, &o.backoff_max,
       "Longest reconnect delay in seconds (default 30)", "S"},
      {"stall-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.stall,
       "Seconds without a frame before a live source counts as lost (default 10)", "S"},
      {"latency", 0, 0, G_OPTION_ARG_INT, &o.latency,
       "RTSP jitter buffer in milliseconds (default 200)", "MS"},
      {"protocols", 0, 0, G_OPTION_ARG_STRING, &o.protocols,
       "RTSP lower transports: tcp, udp or udp+tcp (default tcp)", "P"},
      {"progress", 'p', 0, G_OPTION_ARG_DOUBLE, &o.progress,
       "Seconds between progress lines, 0 for none (default 2)", "S"},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "Also print pipeline warnings", nullptr},
      {"mqtt", 0, 0, G_OPTION_ARG_STRING, &o.mqtt,
       "Also publish every source to this MQTT broker (mqtt://host:port, mqtts://...): frames "
       "with faces to TOPIC/<name>/faces, emosession windows to TOPIC/<name>/windows",
       "URL"},
      {"mqtt-topic", 0, 0, G_OPTION_ARG_STRING, &o.mqtt_topic,
       "Topic prefix (default gst-emo)", "TOPIC"},
      {"mqtt-user", 0, 0, G_OPTION_ARG_STRING, &o.mqtt_user,
       "Broker user name; the password is taken from $EMO_MQTT_PASSWORD", "NAME"},
      {"mqtt-ca", 0, 0, G_OPTION_ARG_FILENAME, &o.mqtt_ca,
       "CA certificate file (PEM) of an mqtts:// broker", "FILE"},
      {"mqtt-qos", 0, 0, G_OPTION_ARG_INT, &o.mqtt_qos, "MQTT QoS, 0 or 1 (default 1)", "Q"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.sources, nullptr, "SOURCE..."},
      {}};
  GError *err = nullptr;
  GOptionContext *ctx = g_option_context_new(
      "- analyse files, rtsp:// cameras and v4l2:///dev/videoN devices");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-analyze: %s\n", err->message);
    g_error_free(err);
    return 2;
  }
  if (!o.sources || !o.sources[0]) {
    g_printerr("emo-analyze: no source given (see --help)\n");
    return 2;
  }
  if (o.retries < 0 || o.backoff <= 0 || o.backoff_max < o.backoff || o.stall <= 0 ||
      o.latency < 0 || o.progress < 0) {
    g_printerr(
        "emo-analyze: --retries, --latency and --progress must be >= 0, --backoff and "
        "--stall-timeout > 0, --backoff-max >= --backoff\n");
    return 2;
  }
  Settings settings;
  settings.outdir = o.outdir ? o.outdir : ".";
  if (o.sink) {
    settings.sink = o.sink;
  } else if (GstElementFactory *f = gst_element_factory_find("emosession")) {
    gst_object_unref(f);
  } else {
    g_printerr(
        "emo-analyze: the emosession element is not available (GST_PLUGIN_PATH?); "
        "give a sink with --sink\n");
    return 2;
  }
  settings.retries = o.retries;
  settings.backoff = o.backoff;
  settings.backoff_max = o.backoff_max;
  settings.stall_timeout = o.stall;
  settings.latency_ms = o.latency;
  if (o.protocols) settings.protocols = o.protocols;
  settings.verbose = o.verbose;
  if (o.mqtt) {
    if (o.mqtt_qos < 0 || o.mqtt_qos > 1) {
      g_printerr("emo-analyze: --mqtt-qos must be 0 or 1\n");
      return 2;
    }
    settings.mqtt_address = o.mqtt;
    if (o.mqtt_topic) settings.mqtt_topic = o.mqtt_topic;
    if (o.mqtt_user) settings.mqtt_user = o.mqtt_user;
    if (o.mqtt_ca) settings.mqtt_ca = o.mqtt_ca;
    settings.mqtt_qos = o.mqtt_qos;
  }
  if (g_mkdir_with_parents(settings.outdir.c_str(), 0755) != 0) {
    g_printerr("emo-analyze: cannot create %s: %s\n", settings.outdir.c_str(), g_strerror(errno));
    return 1;
  }

  App app;
  app.loop = g_main_loop_new(nullptr, FALSE);
  std::map<std::string, int> names;
  for (gchar **s = o.sources; *s; ++s) {
    std::string name = emo_analyze::source_name(*s);
    if (const int n = ++names[name]; n > 1) name += "-" + std::to_string(n);
    app.sources.push_back(
        std::make_unique<Source>(*s, name, settings, [&app] { app.check_all_done(); }));
  }
  for (auto &s : app.sources) {
    std::printf("[%s] %s -> %s\n", s->name().c_str(), s->shown().c_str(), s->output().c_str());
    s->start();
  }
  std::fflush(stdout);
  g_unix_signal_add(SIGINT, on_signal, &app);
  g_unix_signal_add(SIGTERM, on_signal, &app);
  g_timeout_add_seconds(1, on_tick, &app);
  if (o.progress > 0) g_timeout_add(guint(o.progress * 1000), on_progress, &app);

  bool all_done = true;
  for (auto &s : app.sources) all_done = all_done && s->done();
  if (!all_done) g_main_loop_run(app.loop);

  int failed = 0;
  for (auto &s : app.sources) failed += s->failed() ? 1 : 0;
  std::printf("%zu source%s, %d failed\n", app.sources.size(), app.sources.size() == 1 ? "" : "s",
              failed);
  std::fflush(stdout);
  app.sources.clear();
  g_main_loop_unref(app.loop);
  if (app.aborted) return 130;
  return failed ? 1 : 0;
}
