// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http: the web page and API of a running emo-analyze (libsoup 3 SoupServer on
// the tool's main loop). See docs/web.md for the API, the page and the limits.
//
//   GET /                              the page (static files of the web root, a fixed list)
//   GET /api/sources                   JSON: every source's name, uri (no credentials), state,
//                                      attempt, retries, fps, faces, output
//   GET /api/events                    Server-Sent Events: "frame" (thinned), "window",
//                                      "analysis", "state", "removed", and on connect
//                                      "history" (past frames); each object names its "source"
//   GET /api/sources/NAME/video.mjpeg  the annotated video, multipart/x-mixed-replace JPEG
//   POST /api/sources {"uri": "..."}   adds a source (201)
//   DELETE /api/sources/NAME           ends a source cleanly (202), or forgets a finished one
//
// Threads: everything runs on the main loop except the pad probes and the appsink callback of
// each source's pipeline, which hand their data to the main loop (g_idle_add) and touch only
// their Feed's atomics and mutex-guarded members.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analyze_source.hpp"

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;

namespace emo_analyze::http {

struct Options {
  std::string address = "127.0.0.1";
  int port = 8080;
  std::string token;        ///< empty: no access check (the token itself, from the env)
  std::string web_root;     ///< directory of index.html, app.js, style.css, vendor/
  double event_rate = 4.0;  ///< frame events per second and source (frames with faces)
  int video_fps = 10;       ///< MJPEG frames per second, at most
  int video_width = 640;    ///< MJPEG frame size, at most (aspect ratio kept), pixels
  int video_height = 360;
  int jpeg_quality = 70;       ///< jpegenc quality, 0-100
  int max_viewers = 8;         ///< MJPEG clients at once, all sources together (429 above)
  int max_event_clients = 32;  ///< /api/events clients at once (429 above)
  int max_sources = 32;        ///< sources at once (POST answers 429 above)
};

/// What the server needs from the tool (implemented by emo-analyze's application).
class Host {
 public:
  virtual ~Host() = default;
  virtual std::vector<Source *> sources() = 0;
  virtual Source *find(const std::string &name) = 0;
  /// Adds and starts a source for `uri` (already checked by check_source_uri()); null and
  /// `error` when it cannot (a file that does not exist).
  virtual Source *add(const std::string &uri, std::string &error) = 0;
  /// Forgets a finished source (destroys it; the server's detach() is called by the host).
  virtual void forget(const std::string &name) = 0;
};

struct Feed;
struct Client;

class Server : public SourceObserver {
 public:
  Server(Options options, Host &host);
  ~Server() override;
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  /// Listens on address:port; false and `error` when it cannot.
  bool listen(std::string &error);
  /// The URL it listens on ("http://127.0.0.1:8080/").
  std::string url() const { return url_; }
  /// The launch fragment of the annotated video branch (Settings::branch).
  std::string branch() const;
  /// Before Source::start(): observes the source. After it: hooks the pipeline's probes and
  /// its video appsink.
  void watch(Source &source);
  void attach(Source &source);
  /// After the source is destroyed: drops its feed, ends its viewers, says "removed".
  void detach(const std::string &name);
  /// Ends every stream (viewers and events) and stops listening.
  void shutdown();

  void state_changed(Source &source) override;
  void element_message(Source &source, const GstStructure *s) override;

  /// Main loop: one event to every events client (and into the source's replay history when
  /// `keep`); `data` is one compact JSON object.
  void broadcast(const std::string &type, const std::string &data, Feed *feed, bool keep);
  /// Main loop: one JPEG to the feed's viewers.
  void deliver(Feed &feed, GBytes *jpeg);

 private:
  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                         gpointer self);
  static void on_early(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                       gpointer self);
  void handle(SoupServerMessage *msg, const std::string &path);
  void serve_file(SoupServerMessage *msg, const std::string &path);
  void serve_login(SoupServerMessage *msg, bool failed);
  void login(SoupServerMessage *msg);
  void list_sources(SoupServerMessage *msg);
  void add_source(SoupServerMessage *msg);
  void end_source(SoupServerMessage *msg, const std::string &name);
  void open_events(SoupServerMessage *msg);
  void open_video(SoupServerMessage *msg, const std::string &name);
  bool authorized(SoupServerMessage *msg) const;
  std::string source_json(Source &s) const;
  std::string state_json(Source &s) const;
  Client *open_stream(SoupServerMessage *msg, const char *content_type);
  void send(Client &c, GBytes *bytes);
  void close(Client &c);
  void reap();
  void say(const char *format, ...) const G_GNUC_PRINTF(2, 3);

  Options options_;
  Host &host_;
  SoupServer *server_ = nullptr;
  std::string url_, cookie_value_;
  std::map<std::string, std::shared_ptr<Feed>> feeds_;
  std::map<std::string, std::string> last_state_;  // name -> last state event sent
  std::vector<std::unique_ptr<Client>> clients_;
};

/// Where the page's files are: $GST_EMO_WEB_DIR, else the source tree's web/ for a binary of
/// the build tree, else <bin>/../share/gst-emo/web when it holds index.html (an installation
/// moved with --prefix), else the configured <datadir>/gst-emo/web.
std::string default_web_root();

}  // namespace emo_analyze::http
