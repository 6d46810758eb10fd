// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http: the server (see http_server.hpp); the source side (probes, appsink) is
// in http_feed.cpp.
#include "http_server.hpp"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "emo/publish/messages.hpp"
#include "http_feed.hpp"
#include "http_rules.hpp"

namespace emo_analyze::http {

namespace {

constexpr const char *kCookie = "emo_session";
constexpr const char *kBoundary = "emoframe";
// A client whose events pile up beyond this many unsent chunks is cut off; EventSource
// reconnects and gets the current state again.
constexpr int kMaxPendingEvents = 512;
constexpr int kMaxPendingFrames = 2;                  // a viewer that is behind skips frames
constexpr size_t kHistory = 64;                       // windows and analyses replayed per source
constexpr gint64 kTimelineUs = 300 * G_USEC_PER_SEC;  // frames replayed: the last 5 minutes,
constexpr gint64 kTimelineStepUs = G_USEC_PER_SEC;    // one a second at most

std::string json_of(JsonBuilder *b) {
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  gsize length = 0;
  g_autofree gchar *text = json_generator_to_data(gen, &length);
  return std::string(text, length);
}

void member(JsonBuilder *b, const char *name, const std::string &value) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value.c_str());
}

void member(JsonBuilder *b, const char *name, gint64 value) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}

void common_headers(SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace(h, "Cache-Control", "no-store");
}

void reply(SoupServerMessage *msg, int status, const char *type, const std::string &body) {
  common_headers(msg);
  soup_server_message_set_status(msg, static_cast<guint>(status), nullptr);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

void reply_json(SoupServerMessage *msg, int status, const std::string &json) {
  reply(msg, status, "application/json", json + "\n");
}

void reply_error(SoupServerMessage *msg, int status, const std::string &reason) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  member(b, "status", status);
  member(b, "error", reason);
  json_builder_end_object(b);
  reply_json(msg, status, json_of(b));
}

std::string method_of(SoupServerMessage *msg) { return soup_server_message_get_method(msg); }

}  // namespace

struct Client {
  Server *server = nullptr;
  SoupServerMessage *msg = nullptr;  // a ref
  std::shared_ptr<Feed> feed;        // the MJPEG viewer's source; null for events
  int pending = 0;                   // chunks appended and not written yet
  bool closed = false;

  ~Client() {
    if (!msg) return;
    g_signal_handlers_disconnect_by_data(msg, this);
    g_object_unref(msg);
  }
};

Server::Server(Options options, Host &host) : options_(std::move(options)), host_(host) {
  g_autofree gchar *cookie = g_uuid_string_random();
  cookie_value_ = cookie;
}

Server::~Server() { shutdown(); }

void Server::say(const char *format, ...) const {
  va_list args;
  va_start(args, format);
  g_autofree gchar *text = g_strdup_vprintf(format, args);
  va_end(args);
  std::printf("[http] %s\n", text);
  std::fflush(stdout);
}

bool Server::listen(std::string &error) {
  server_ = soup_server_new("server-header", "emo-analyze ", nullptr);
  soup_server_add_early_handler(server_, nullptr, on_early, this, nullptr);
  soup_server_add_handler(server_, nullptr, on_request, this, nullptr);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(options_.address.c_str());
  if (!inet) {
    error = "--http: \"" + options_.address + "\" is not an IP address";
    return false;
  }
  g_autoptr(GSocketAddress) address =
      g_inet_socket_address_new(inet, static_cast<guint16>(options_.port));
  g_autoptr(GError) err = nullptr;
  if (!soup_server_listen(server_, address, SoupServerListenOptions(0), &err)) {
    error = "--http: cannot listen on " + options_.address + ":" + std::to_string(options_.port) +
            ": " + err->message;
    return false;
  }
  GSList *uris = soup_server_get_uris(server_);
  if (uris) {
    g_autofree gchar *u = g_uri_to_string(static_cast<GUri *>(uris->data));
    url_ = u;
  }
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  return true;
}

std::string Server::branch() const {
  const int fps = std::max(1, options_.video_fps);
  // The session's line on the video needs textoverlay (gstreamer1.0-x); without it the video
  // has boxes and labels only.
  std::string text;
  if (GstElementFactory *f = gst_element_factory_find("textoverlay")) {
    gst_object_unref(f);
    text =
        " ! textoverlay name=web-session silent=true valignment=bottom halignment=left "
        "shaded-background=true font-desc=\"Sans 10\"";
  }
  return "queue name=web-gate leaky=downstream max-size-buffers=1 max-size-bytes=0 "
         "max-size-time=0 ! videorate drop-only=true max-rate=" +
         std::to_string(fps) + " ! videoscale ! video/x-raw,width=[1," +
         std::to_string(options_.video_width) + "],height=[1," +
         std::to_string(options_.video_height) + "],pixel-aspect-ratio=1/1 ! emooverlay" + text +
         " ! videoconvert ! jpegenc quality=" + std::to_string(options_.jpeg_quality) +
         " ! appsink name=web-video sync=false async=false max-buffers=1 drop=true";
}

void Server::watch(Source &source) {
  auto feed = std::make_shared<Feed>(source.name(), options_.event_rate);
  feed->server = this;
  feeds_[source.name()] = feed;
  source.set_observer(this);
}

void Server::attach(Source &source) {
  auto it = feeds_.find(source.name());
  if (it != feeds_.end() && source.pipeline()) it->second->hook(source.pipeline());
  state_changed(source);
}

void Server::detach(const std::string &name) {
  auto it = feeds_.find(name);
  if (it == feeds_.end()) return;
  it->second->server = nullptr;  // its pending deliveries are dropped
  for (auto &c : clients_)
    if (c->feed == it->second) close(*c);
  feeds_.erase(it);
  last_state_.erase(name);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  member(b, "version", 1);
  member(b, "event", std::string("removed"));
  member(b, "source", name);
  json_builder_end_object(b);
  broadcast("removed", json_of(b), nullptr, false);
}

void Server::shutdown() {
  for (auto &c : clients_) close(*c);
  clients_.clear();
  for (auto &[name, feed] : feeds_) feed->server = nullptr;
  if (server_) {
    soup_server_disconnect(server_);
    g_object_unref(server_);
    server_ = nullptr;
  }
}

std::string Server::state_json(Source &s) const {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  member(b, "version", 1);
  member(b, "event", std::string("state"));
  member(b, "source", s.name());
  member(b, "state", std::string(to_string(s.state())));
  member(b, "attempt", s.attempt());
  member(b, "retries", s.retries());
  member(b, "uri", s.shown());
  json_builder_end_object(b);
  return json_of(b);
}

void Server::state_changed(Source &source) {
  const std::string json = state_json(source);
  std::string &last = last_state_[source.name()];
  if (json == last) return;
  last = json;
  auto it = feeds_.find(source.name());
  broadcast("state", json, it == feeds_.end() ? nullptr : it->second.get(), false);
}

void Server::element_message(Source &source, const GstStructure *s) {
  const bool window = gst_structure_has_name(s, "emo-session-window");
  const gchar *json = gst_structure_get_string(s, "json");
  if (!json) return;
  const char *event = window ? "window" : "analysis";
  if (auto f = feeds_.find(source.name()); f != feeds_.end()) f->second->show_session(s);
  const std::string data = with_source(emo::publish::with_event(json, event), source.name());
  auto it = feeds_.find(source.name());
  if (!data.empty()) broadcast(event, data, it == feeds_.end() ? nullptr : it->second.get(), true);
}

void Server::broadcast(const std::string &type, const std::string &data, Feed *feed, bool keep) {
  const std::string text = sse_event(type, data);
  if (feed && type == "frame") {
    feed->last_frame = text;
    const gint64 now = g_get_monotonic_time();
    auto &t = feed->timeline;
    if (t.empty() || now - t.back().first >= kTimelineStepUs)
      t.emplace_back(now, sse_event("history", data));
    while (!t.empty() && now - t.front().first > kTimelineUs) t.pop_front();
  }
  if (feed && keep) {
    feed->history.push_back(text);
    while (feed->history.size() > kHistory) feed->history.pop_front();
  }
  reap();
  g_autoptr(GBytes) bytes = g_bytes_new(text.data(), text.size());
  for (auto &c : clients_) {
    if (c->feed || c->closed) continue;
    if (c->pending >= kMaxPendingEvents) {
      say("an events client is %d messages behind: disconnected", c->pending);
      close(*c);
      continue;
    }
    send(*c, bytes);
  }
}

void Server::deliver(Feed &feed, GBytes *jpeg) {
  reap();
  gsize size = 0;
  const void *data = g_bytes_get_data(jpeg, &size);
  g_autofree gchar *head = g_strdup_printf(
      "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n", kBoundary, size);
  GByteArray *part = g_byte_array_sized_new(static_cast<guint>(std::strlen(head) + size + 2));
  g_byte_array_append(part, reinterpret_cast<const guint8 *>(head), std::strlen(head));
  g_byte_array_append(part, static_cast<const guint8 *>(data), static_cast<guint>(size));
  g_byte_array_append(part, reinterpret_cast<const guint8 *>("\r\n"), 2);
  g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(part);
  for (auto &c : clients_)
    if (c->feed.get() == &feed && !c->closed && c->pending < kMaxPendingFrames) send(*c, bytes);
}

void Server::send(Client &c, GBytes *bytes) {
  ++c.pending;
  soup_message_body_append_bytes(soup_server_message_get_response_body(c.msg), bytes);
  soup_server_message_unpause(c.msg);
}

void Server::close(Client &c) {
  if (c.closed) return;
  c.closed = true;
  if (c.feed) --c.feed->viewers;
  soup_message_body_complete(soup_server_message_get_response_body(c.msg));
  soup_server_message_unpause(c.msg);
}

void Server::reap() {
  clients_.erase(std::remove_if(clients_.begin(), clients_.end(),
                                [](const std::unique_ptr<Client> &c) { return c->closed; }),
                 clients_.end());
}

Client *Server::open_stream(SoupServerMessage *msg, const char *content_type) {
  auto client = std::make_unique<Client>();
  client->server = this;
  client->msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  common_headers(msg);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_set_encoding(h, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type(h, content_type, nullptr);
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  g_signal_connect(msg, "wrote-chunk", G_CALLBACK(+[](SoupServerMessage *, gpointer data) {
                     auto *c = static_cast<Client *>(data);
                     if (c->pending > 0) --c->pending;
                   }),
                   client.get());
  g_signal_connect(msg, "finished", G_CALLBACK(+[](SoupServerMessage *, gpointer data) {
                     auto *c = static_cast<Client *>(data);
                     if (!c->closed) {
                       c->closed = true;
                       if (c->feed) --c->feed->viewers;
                     }
                   }),
                   client.get());
  soup_server_message_pause(msg);
  clients_.push_back(std::move(client));
  return clients_.back().get();
}

bool Server::authorized(SoupServerMessage *msg) const {
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  return http::authorized(options_.token, soup_message_headers_get_one(h, "Authorization"),
                          soup_message_headers_get_list(h, "Cookie"), kCookie, cookie_value_);
}

void Server::on_early(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                      gpointer data) {
  auto *self = static_cast<Server *>(data);
  if (method_of(msg) != "POST") return;
  // Refused before the body is read: a stranger or an oversized body costs nothing.
  if (std::strcmp(path, "/login") != 0 && !self->authorized(msg)) {
    reply_error(msg, 401, "a token is required (Authorization: Bearer, or log in at /login)");
    return;
  }
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  if (soup_message_headers_get_encoding(h) != SOUP_ENCODING_CONTENT_LENGTH) {
    reply_error(msg, 411, "a Content-Length is required");
    return;
  }
  if (soup_message_headers_get_content_length(h) > static_cast<goffset>(kMaxBody))
    reply_error(msg, 413, "the body is larger than " + std::to_string(kMaxBody) + " bytes");
}

void Server::on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                        gpointer data) {
  auto *self = static_cast<Server *>(data);
  try {
    self->handle(msg, path);
  } catch (const std::exception &e) {
    reply_error(msg, 500, e.what());
  }
}

void Server::handle(SoupServerMessage *msg, const std::string &path) {
  reap();
  const std::string method = method_of(msg);
  if (path == "/login") {
    if (method == "POST")
      login(msg);
    else if (method == "GET")
      serve_login(msg, false);
    else
      reply_error(msg, 405, "use GET or POST");
    return;
  }
  if (!authorized(msg)) {
    if (path == "/" && method == "GET")
      serve_login(msg, false);  // 401 with the login form
    else
      reply_error(msg, 401, "a token is required (Authorization: Bearer, or log in at /login)");
    return;
  }
  if (path == "/api/events") {
    if (method != "GET") return reply_error(msg, 405, "use GET");
    return open_events(msg);
  }
  const Route route = route_of(path);
  switch (route.kind) {
    case Route::Sources:
      if (method == "GET") return list_sources(msg);
      if (method == "POST") return add_source(msg);
      return reply_error(msg, 405, "use GET or POST");
    case Route::Source:
      if (method == "DELETE") return end_source(msg, route.name);
      if (method == "GET") {
        Source *s = host_.find(route.name);
        if (!s) return reply_error(msg, 404, "no source named \"" + route.name + "\"");
        return reply_json(msg, 200, source_json(*s));
      }
      return reply_error(msg, 405, "use GET or DELETE");
    case Route::Video:
      if (method != "GET") return reply_error(msg, 405, "use GET");
      return open_video(msg, route.name);
    case Route::None:
      break;
  }
  if (g_str_has_prefix(path.c_str(), "/api/"))
    return reply_error(msg, 404, "no such API path (see /api/sources, /api/events)");
  if (method != "GET" && method != "HEAD") return reply_error(msg, 405, "use GET");
  serve_file(msg, path);
}

void Server::serve_file(SoupServerMessage *msg, const std::string &path) {
  // A fixed list: nothing else of the disk is reachable, whatever the path says.
  static const struct {
    const char *path, *file, *type;
  } files[] = {
      {"/", "index.html", "text/html; charset=utf-8"},
      {"/index.html", "index.html", "text/html; charset=utf-8"},
      {"/app.js", "app.js", "text/javascript; charset=utf-8"},
      {"/style.css", "style.css", "text/css; charset=utf-8"},
      {"/vendor/uPlot.iife.min.js", "vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8"},
      {"/vendor/uPlot.min.css", "vendor/uPlot.min.css", "text/css; charset=utf-8"},
  };
  for (const auto &f : files) {
    if (path != f.path) continue;
    g_autofree gchar *file = g_build_filename(options_.web_root.c_str(), f.file, nullptr);
    gchar *contents = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(file, &contents, &length, nullptr))
      return reply_error(
          msg, 404,
          std::string(f.file) + " is not installed in the web root" +
              (g_str_has_prefix(f.file, "vendor/") ? " (tools/fetch-web.sh fetches it)" : ""));
    common_headers(msg);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                 "Content-Security-Policy",
                                 "default-src 'self'; img-src 'self'; frame-ancestors 'none'");
    soup_server_message_set_status(msg, 200, nullptr);
    soup_server_message_set_response(msg, f.type, SOUP_MEMORY_TAKE, contents, length);
    return;
  }
  reply_error(msg, 404, "not found");
}

void Server::serve_login(SoupServerMessage *msg, bool failed) {
  // No script, no data: the only thing a stranger sees.
  std::string page =
      "<!doctype html><html><head><meta charset=utf-8><title>gst-emo: log in</title></head>"
      "<body style=\"font-family:sans-serif;margin:3em\"><h1>gst-emo</h1>"
      "<form method=post action=/login><label>Access token <input type=password "
      "name=token autofocus></label> <button>Log in</button></form>";
  if (failed) page += "<p>Wrong token.</p>";
  page += "</body></html>";
  const bool open = options_.token.empty();
  reply(msg, open ? 200 : 401, "text/html; charset=utf-8", page);
  if (open) soup_server_message_set_redirect(msg, 303, "/");
}

void Server::login(SoupServerMessage *msg) {
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
  const std::string text(data ? data : "", size);
  GHashTable *form = soup_form_decode(text.c_str());
  const char *given =
      form ? static_cast<const char *>(g_hash_table_lookup(form, "token")) : nullptr;
  const bool ok = !options_.token.empty() && given && same_secret(options_.token, given);
  if (form) g_hash_table_destroy(form);
  if (!ok) {
    say("login refused");
    return serve_login(msg, true);
  }
  common_headers(msg);
  const std::string cookie =
      std::string(kCookie) + "=" + cookie_value_ + "; HttpOnly; SameSite=Strict; Path=/";
  soup_message_headers_append(soup_server_message_get_response_headers(msg), "Set-Cookie",
                              cookie.c_str());
  soup_server_message_set_redirect(msg, 303, "/");
  say("login accepted");
}

std::string Server::source_json(Source &s) const {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  member(b, "name", s.name());
  member(b, "uri", s.shown());
  member(b, "state", std::string(to_string(s.state())));
  member(b, "attempt", s.attempt());
  member(b, "retries", s.retries());
  json_builder_set_member_name(b, "fps");
  json_builder_add_double_value(b, std::round(s.fps() * 10) / 10);
  member(b, "faces", s.faces());
  member(b, "video", "/api/sources/" + s.name() + "/video.mjpeg");
  json_builder_end_object(b);
  return json_of(b);
}

void Server::list_sources(SoupServerMessage *msg) {
  std::string out = "[";
  for (Source *s : host_.sources()) out += (out.size() > 1 ? "," : "") + source_json(*s);
  reply_json(msg, 200, out + "]");
}

void Server::add_source(SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  const char *type = soup_message_headers_get_content_type(h, nullptr);
  if (!type || g_ascii_strcasecmp(type, "application/json") != 0)
    return reply_error(msg, 415, "send the body as application/json");
  g_autoptr(GBytes) bytes = soup_message_body_flatten(soup_server_message_get_request_body(msg));
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
  std::string uri;
  const Verdict v = parse_add_request(data, size, uri);
  if (!v.ok()) return reply_error(msg, v.status, v.reason);
  if (static_cast<int>(host_.sources().size()) >= options_.max_sources)
    return reply_error(msg, 429,
                       "already " + std::to_string(options_.max_sources) +
                           " sources (--http-max-sources); DELETE one first");
  std::string error;
  Source *s = host_.add(uri, error);
  if (!s) return reply_error(msg, 422, error);
  say("POST /api/sources: added %s (%s)", s->name().c_str(), s->shown().c_str());
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location",
                               ("/api/sources/" + s->name()).c_str());
  reply_json(msg, 201, source_json(*s));
}

void Server::end_source(SoupServerMessage *msg, const std::string &name) {
  Source *s = host_.find(name);
  if (!s) return reply_error(msg, 404, "no source named \"" + name + "\"");
  if (s->done()) {
    say("DELETE /api/sources/%s: forgotten", name.c_str());
    host_.forget(name);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    member(b, "name", name);
    member(b, "state", std::string("removed"));
    json_builder_end_object(b);
    return reply_json(msg, 200, json_of(b));
  }
  say("DELETE /api/sources/%s: end of stream sent, waiting for its sessions", name.c_str());
  s->stop();
  reply_json(msg, 202, source_json(*s));
}

void Server::open_events(SoupServerMessage *msg) {
  const auto n = std::count_if(clients_.begin(), clients_.end(),
                               [](const std::unique_ptr<Client> &c) { return !c->feed; });
  if (n >= options_.max_event_clients)
    return reply_error(msg, 429,
                       "already " + std::to_string(options_.max_event_clients) +
                           " event clients (--http-max-event-clients)");
  Client *c = open_stream(msg, "text/event-stream");
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "X-Accel-Buffering",
                               "no");
  // What a page needs at once: every source's state, last frame and recent windows.
  std::string hello = "retry: 2000\n\n";
  for (Source *s : host_.sources()) {
    hello += sse_event("state", state_json(*s));
    auto it = feeds_.find(s->name());
    if (it == feeds_.end()) continue;
    for (const auto &e : it->second->timeline) hello += e.second;
    for (const std::string &e : it->second->history) hello += e;
    hello += it->second->last_frame;
  }
  g_autoptr(GBytes) bytes = g_bytes_new(hello.data(), hello.size());
  send(*c, bytes);
}

void Server::open_video(SoupServerMessage *msg, const std::string &name) {
  Source *s = host_.find(name);
  auto it = feeds_.find(name);
  if (!s || it == feeds_.end()) return reply_error(msg, 404, "no source named \"" + name + "\"");
  const auto n = std::count_if(clients_.begin(), clients_.end(),
                               [](const std::unique_ptr<Client> &c) { return c->feed != nullptr; });
  if (n >= options_.max_viewers)
    return reply_error(
        msg, 429,
        "already " + std::to_string(options_.max_viewers) + " video viewers (--http-max-viewers)");
  const std::string type = std::string("multipart/x-mixed-replace; boundary=") + kBoundary;
  Client *c = open_stream(msg, type.c_str());
  c->feed = it->second;
  ++c->feed->viewers;
}

std::string default_web_root() {
  if (const char *env = g_getenv("GST_EMO_WEB_DIR"); env && *env) return env;
  g_autofree gchar *exe = g_file_read_link("/proc/self/exe", nullptr);
  if (exe && g_str_has_prefix(exe, EMO_BUILD_DIR "/")) return EMO_WEB_SOURCE_DIR;
  // An installation moved elsewhere (cmake --install --prefix DIR): DIR/bin/../share/...
  if (exe) {
    g_autofree gchar *bin = g_path_get_dirname(exe);
    g_autofree gchar *moved =
        g_build_filename(bin, "..", "share", "gst-emo", "web", "index.html", nullptr);
    if (g_file_test(moved, G_FILE_TEST_IS_REGULAR)) {
      g_autofree gchar *dir = g_path_get_dirname(moved);
      return dir;
    }
  }
  return EMO_WEB_INSTALL_DIR;
}

}  // namespace emo_analyze::http
