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
// --http ADDRESS:PORT also serves a live page and a JSON/Server-Sent Events API (sources added
// and removed at run time; see docs/web.md and tools/http/http_server.hpp); the tool then keeps
// running after its sources have finished, until Ctrl-C.
// --realtime plays files at their own frame rate, as live cameras (benchmarks, tests).
// "[stats]" lines: the model files the pipelines use, copies loaded and elements sharing them
// ("[stats] models: ... (emolandmarks) loaded 1, users 3"), printed when it changes; at the
// end the process's peak resident memory and CPU time, and the CPU time and frames since every
// source streamed (without loading the models). Each source ends with "frames: R received, A
// analysed, S skipped (P %)" (skipped: by the leaky queue of a live source, or by QoS).
// Exit status: 0 when every source finished, 1 when any source failed (a file that cannot be
// read, a camera that never answered or could not be reconnected after --retries attempts, an
// error in the analysis), 2 on bad usage, 130 when aborted by a second Ctrl-C.
#include <cerrno>
#include <cstdio>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include <glib-unix.h>
#include <gst/gst.h>

#include "analyze_source.hpp"
#include "analyze_stats.hpp"
#include "http/http_rules.hpp"
#include "http/http_server.hpp"

using emo_analyze::Settings;
using emo_analyze::Source;
namespace http = emo_analyze::http;

namespace {

struct Options {
  gchar *outdir = nullptr, *sink = nullptr, *protocols = nullptr;
  gchar *mqtt = nullptr, *mqtt_topic = nullptr, *mqtt_user = nullptr, *mqtt_ca = nullptr;
  gint retries = 5, latency = 200, mqtt_qos = 1;
  gdouble backoff = 1.0, backoff_max = 30.0, stall = 10.0, progress = 2.0;
  gboolean verbose = FALSE, realtime = FALSE;
  gchar **sources = nullptr;
  gchar *http = nullptr, *http_token_env = nullptr, *http_root = nullptr, *http_size = nullptr;
  gdouble http_event_rate = 4.0;
  gint http_fps = 10, http_quality = 70, http_viewers = 8, http_event_clients = 32,
       http_sources = 32;
  ~Options() {
    g_free(outdir), g_free(sink), g_free(protocols), g_strfreev(sources);
    g_free(mqtt), g_free(mqtt_topic), g_free(mqtt_user), g_free(mqtt_ca);
    g_free(http), g_free(http_token_env), g_free(http_root), g_free(http_size);
  }
};

struct App : http::Host {
  GMainLoop *loop = nullptr;
  std::vector<std::unique_ptr<Source>> sources_;
  std::set<std::string> used;  // every name given in this run
  Settings settings;
  std::unique_ptr<http::Server> server;  // --http
  int signals = 0;
  bool aborted = false, stopping = false;
  std::string models;  // the last "[stats] models:" line printed
  // The first tick at which every source streamed: CPU time and frame counts then.
  bool steady = false;
  double steady_cpu = 0;
  guint64 steady_received = 0, steady_analysed = 0;

  void note_steady() {
    if (steady || sources_.empty()) return;
    for (auto &s : sources_)
      if (s->received() == 0) return;
    steady = true;
    steady_cpu = emo_analyze::cpu_seconds();
    for (auto &s : sources_) steady_received += s->received(), steady_analysed += s->analysed();
  }

  // Prints the model sharing of the running pipelines when it changed.
  void print_model_sharing() {
    std::vector<GstElement *> pipelines;
    for (auto &s : sources_)
      if (!s->done() && s->pipeline()) pipelines.push_back(s->pipeline());
    const std::vector<emo_analyze::ModelSharing> rows = emo_analyze::model_sharing(pipelines);
    if (rows.empty()) return;
    const std::string line = emo_analyze::format_model_sharing(rows);
    if (line == models) return;
    models = line;
    std::printf("[stats] %s\n", line.c_str());
    std::fflush(stdout);
  }

  void check_all_done() {
    // With --http the tool stays up for the page and for new sources, until Ctrl-C.
    if (server && !stopping) return;
    for (auto &s : sources_)
      if (!s->done()) return;
    g_main_loop_quit(loop);
  }

  Source *create(const std::string &spec) {
    // Never reused in a run: a name is also its output file.
    const std::string base = emo_analyze::source_name(spec);
    std::string name = base;
    for (int n = 2; used.count(name); ++n) name = base + "-" + std::to_string(n);
    used.insert(name);
    sources_.push_back(
        std::make_unique<Source>(spec, name, settings, [this] { check_all_done(); }));
    Source *s = sources_.back().get();
    if (server) server->watch(*s);
    return s;
  }

  void start(Source &s) {
    std::printf("[%s] %s -> %s\n", s.name().c_str(), s.shown().c_str(), s.output().c_str());
    std::fflush(stdout);
    s.start();
    if (server) server->attach(s);
  }

  // http::Host
  std::vector<Source *> sources() override {
    std::vector<Source *> out;
    for (auto &s : sources_) out.push_back(s.get());
    return out;
  }
  Source *find(const std::string &name) override {
    for (auto &s : sources_)
      if (s->name() == name) return s.get();
    return nullptr;
  }
  Source *add(const std::string &uri, std::string &error) override {
    if (stopping) {
      error = "the tool is stopping";
      return nullptr;
    }
    if (g_str_has_prefix(uri.c_str(), "file:")) {
      g_autofree gchar *path = g_filename_from_uri(uri.c_str(), nullptr, nullptr);
      if (!path || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        error = "no such file: " + uri;
        return nullptr;
      }
    }
    Source *s = create(uri);
    start(*s);
    return s;
  }
  void forget(const std::string &name) override {
    for (auto it = sources_.begin(); it != sources_.end(); ++it)
      if ((*it)->name() == name) {
        sources_.erase(it);
        if (server) server->detach(name);
        return;
      }
  }
};

gboolean on_signal(gpointer data) {
  auto *app = static_cast<App *>(data);
  app->stopping = true;
  if (++app->signals == 1) {
    std::printf(
        "stopping: end of stream sent to every source, waiting for the sessions "
        "(Ctrl-C again to abort)\n");
    std::fflush(stdout);
    for (auto &s : app->sources_) s->stop();
  } else {
    std::printf("aborting\n");
    std::fflush(stdout);
    app->aborted = true;
    for (auto &s : app->sources_) s->abort();
  }
  app->check_all_done();
  return G_SOURCE_CONTINUE;
}

gboolean on_tick(gpointer data) {
  auto *app = static_cast<App *>(data);
  for (auto &s : app->sources_) s->check_stall();
  app->print_model_sharing();
  app->note_steady();
  return G_SOURCE_CONTINUE;
}

gboolean on_progress(gpointer data) {
  for (auto &s : static_cast<App *>(data)->sources_)
    if (!s->done()) std::printf("%s\n", s->progress().c_str());
  std::fflush(stdout);
  return G_SOURCE_CONTINUE;
}

// --http and its companions into the server's options; false and `error` when they are wrong.
bool parse_http_options(const Options &o, http::Options &h, std::string &error) {
  // "PORT" alone binds the loopback address: the page shows faces, a LAN is a choice.
  std::string spec = o.http;
  if (spec.find(':') == std::string::npos) spec = "127.0.0.1:" + spec;
  const size_t colon = spec.rfind(':');
  gint64 port = -1;
  if (colon == 0 ||
      !g_ascii_string_to_signed(spec.c_str() + colon + 1, 10, 0, 65535, &port, nullptr)) {
    error = "--http wants [ADDRESS:]PORT (e.g. 8080 or 127.0.0.1:8080), not \"" + spec + "\"";
    return false;
  }
  h.address = spec.substr(0, colon);
  if (h.address.size() > 2 && h.address.front() == '[' && h.address.back() == ']')
    h.address = h.address.substr(1, h.address.size() - 2);
  h.port = int(port);
  if (o.http_token_env) {
    const char *token = g_getenv(o.http_token_env);
    if (!token || !*token) {
      error = std::string("--http-token-env: the environment variable ") + o.http_token_env +
              " is empty or not set";
      return false;
    }
    h.token = token;
  }
  h.web_root = o.http_root ? o.http_root : http::default_web_root();
  h.event_rate = o.http_event_rate;
  h.video_fps = o.http_fps;
  h.jpeg_quality = o.http_quality;
  h.max_viewers = o.http_viewers;
  h.max_event_clients = o.http_event_clients;
  h.max_sources = o.http_sources;
  if (o.http_size && std::sscanf(o.http_size, "%dx%d", &h.video_width, &h.video_height) != 2) {
    error = "--http-video-size wants WxH (e.g. 640x360)";
    return false;
  }
  if (h.event_rate < 0 || h.video_fps < 1 || h.video_width < 16 || h.video_height < 16 ||
      h.jpeg_quality < 1 || h.jpeg_quality > 100 || h.max_viewers < 0 || h.max_event_clients < 0 ||
      h.max_sources < 1) {
    error =
        "--http-event-rate must be >= 0, --http-video-fps >= 1, --http-video-size at least "
        "16x16, --http-jpeg-quality 1-100, --http-max-* >= 0 (sources >= 1)";
    return false;
  }
  return true;
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
      {"realtime", 0, 0, G_OPTION_ARG_NONE, &o.realtime,
       "Play files at their own frame rate, as live cameras: frames the analysis is too slow "
       "for are skipped, as for a camera (benchmarks, tests)",
       nullptr},
      {"mqtt", 0, 0, G_OPTION_ARG_STRING, &o.mqtt,
       "Also publish every source to this MQTT broker (mqtt://host:port, mqtts://...): frames "
       "with faces to TOPIC/<name>/faces, emosession windows to TOPIC/<name>/windows",
       "URL"},
      {"mqtt-topic", 0, 0, G_OPTION_ARG_STRING, &o.mqtt_topic, "Topic prefix (default gst-emo)",
       "TOPIC"},
      {"mqtt-user", 0, 0, G_OPTION_ARG_STRING, &o.mqtt_user,
       "Broker user name; the password is taken from $EMO_MQTT_PASSWORD", "NAME"},
      {"mqtt-ca", 0, 0, G_OPTION_ARG_FILENAME, &o.mqtt_ca,
       "CA certificate file (PEM) of an mqtts:// broker", "FILE"},
      {"mqtt-qos", 0, 0, G_OPTION_ARG_INT, &o.mqtt_qos, "MQTT QoS, 0 or 1 (default 1)", "Q"},
      {"http", 0, 0, G_OPTION_ARG_STRING, &o.http,
       "Serve the live page and the API on [ADDRESS:]PORT (address 127.0.0.1 unless given; "
       "see docs/web.md)",
       "[ADDRESS:]PORT"},
      {"http-token-env", 0, 0, G_OPTION_ARG_STRING, &o.http_token_env,
       "Every request needs the token in this environment variable (Authorization: Bearer, or "
       "the cookie of the login form)",
       "VAR"},
      {"http-root", 0, 0, G_OPTION_ARG_FILENAME, &o.http_root,
       "Directory of the page's files (default: the installed ones)", "DIR"},
      {"http-event-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.http_event_rate,
       "Frame events per second and source, at most (default 4)", "N"},
      {"http-video-fps", 0, 0, G_OPTION_ARG_INT, &o.http_fps,
       "Frames per second of the annotated video, at most (default 10)", "N"},
      {"http-video-size", 0, 0, G_OPTION_ARG_STRING, &o.http_size,
       "Largest size of the annotated video, aspect ratio kept (default 640x360)", "WxH"},
      {"http-jpeg-quality", 0, 0, G_OPTION_ARG_INT, &o.http_quality,
       "JPEG quality of the video, 1-100 (default 70)", "Q"},
      {"http-max-viewers", 0, 0, G_OPTION_ARG_INT, &o.http_viewers,
       "Video viewers at once, all sources together (default 8)", "N"},
      {"http-max-event-clients", 0, 0, G_OPTION_ARG_INT, &o.http_event_clients,
       "Event clients at once (default 32)", "N"},
      {"http-max-sources", 0, 0, G_OPTION_ARG_INT, &o.http_sources,
       "Sources at once; POST /api/sources refuses more (default 32)", "N"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.sources, nullptr, "SOURCE..."},
      {}};
  GError *err = nullptr;
  GOptionContext *ctx =
      g_option_context_new("- analyse files, rtsp:// cameras and v4l2:///dev/videoN devices");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-analyze: %s\n", err->message);
    g_error_free(err);
    return 2;
  }
  if ((!o.sources || !o.sources[0]) && !o.http) {
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
  settings.realtime = o.realtime;
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
  if (o.http) {
    http::Options h;
    std::string error;
    if (!parse_http_options(o, h, error)) {
      g_printerr("emo-analyze: %s\n", error.c_str());
      return 2;
    }
    app.server = std::make_unique<http::Server>(h, app);
    settings.branch = app.server->branch();
    if (!app.server->listen(error)) {
      g_printerr("emo-analyze: %s\n", error.c_str());
      return 1;
    }
    std::printf("[http] serving %s (page files from %s)%s\n", app.server->url().c_str(),
                h.web_root.c_str(), h.token.empty() ? "" : ", a token is required");
  }
  app.settings = settings;
  app.loop = g_main_loop_new(nullptr, FALSE);
  std::vector<Source *> initial;
  for (gchar **s = o.sources; s && *s; ++s) initial.push_back(app.create(*s));
  for (Source *s : initial) app.start(*s);
  g_unix_signal_add(SIGINT, on_signal, &app);
  g_unix_signal_add(SIGTERM, on_signal, &app);
  g_timeout_add_seconds(1, on_tick, &app);
  if (o.progress > 0) g_timeout_add(guint(o.progress * 1000), on_progress, &app);

  bool all_done = !app.server;
  for (auto &s : app.sources_) all_done = all_done && s->done();
  if (!all_done) g_main_loop_run(app.loop);

  int failed = 0;
  for (auto &s : app.sources_) failed += s->failed() ? 1 : 0;
  std::printf("%zu source%s, %d failed\n", app.sources_.size(), app.sources_.size() == 1 ? "" : "s",
              failed);
  std::printf("[stats] peak RSS %.1f MB (VmHWM), CPU %.2f s\n", emo_analyze::peak_rss_kb() / 1024.0,
              emo_analyze::cpu_seconds());
  if (app.steady) {
    guint64 received = 0, analysed = 0;
    for (auto &s : app.sources_) received += s->received(), analysed += s->analysed();
    std::printf("[stats] since every source streamed: CPU %.2f s, %" G_GUINT64_FORMAT
                " frames received, %" G_GUINT64_FORMAT " analysed\n",
                emo_analyze::cpu_seconds() - app.steady_cpu, received - app.steady_received,
                analysed - app.steady_analysed);
  }
  std::fflush(stdout);
  app.sources_.clear();
  app.server.reset();
  g_main_loop_unref(app.loop);
  if (app.aborted) return 130;
  return failed ? 1 : 0;
}
