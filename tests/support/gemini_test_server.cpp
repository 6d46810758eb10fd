// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: the Gemini test server (SoupServer on its own thread and GMainContext).
#include "gemini_test_server.hpp"

#include <libsoup/soup.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gemini_test_server_internal.hpp"

namespace emo::test {
namespace {

constexpr char kPrefix[] = "/v1beta/models/";
constexpr char kSuffix[] = ":generateContent";

// The model named by a generateContent path, "" when the path is not one.
std::string model_of(const std::string &path) {
  const std::string prefix = kPrefix, suffix = kSuffix;
  if (path.size() <= prefix.size() + suffix.size() || path.compare(0, prefix.size(), prefix) ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix))
    return "";
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

void respond(SoupServerMessage *msg, int status, const std::string &body) {
  soup_server_message_set_status(msg, static_cast<guint>(status), nullptr);
  soup_server_message_set_response(msg, "application/json; charset=UTF-8", SOUP_MEMORY_COPY,
                                   body.data(), body.size());
}

// Feeds an endless reply one chunk per "wrote-chunk" until the client goes or kEndlessCap.
struct Streamer {
  std::size_t sent = 0;
  std::string chunk = std::string(64 * 1024, 'a');

  static void on_wrote_chunk(SoupServerMessage *msg, gpointer data) {
    auto *st = static_cast<Streamer *>(data);
    SoupMessageBody *body = soup_server_message_get_response_body(msg);
    if (st->sent >= kEndlessCap) {
      if (st->sent != SIZE_MAX) {
        soup_message_body_append(body, SOUP_MEMORY_STATIC, "\"}]}}]}", 7);
        soup_message_body_complete(body);
        st->sent = SIZE_MAX;
      }
      return;
    }
    soup_message_body_append(body, SOUP_MEMORY_COPY, st->chunk.data(), st->chunk.size());
    st->sent += st->chunk.size();
  }
};

void respond_endless(SoupServerMessage *msg, bool declare_length) {
  soup_server_message_set_status(msg, 200, nullptr);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_set_content_type(headers, "application/json", nullptr);
  if (declare_length)
    soup_message_headers_set_content_length(headers, goffset(1) << 30);
  else
    soup_message_headers_set_encoding(headers, SOUP_ENCODING_CHUNKED);
  SoupMessageBody *body = soup_server_message_get_response_body(msg);
  soup_message_body_set_accumulate(body, FALSE);
  auto *st = new Streamer;
  g_object_set_data_full(G_OBJECT(msg), "emo-streamer", st,
                         [](gpointer p) { delete static_cast<Streamer *>(p); });
  g_signal_connect(msg, "wrote-chunk", G_CALLBACK(Streamer::on_wrote_chunk), st);
  static const char prefix[] = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"";
  soup_message_body_append(body, SOUP_MEMORY_STATIC, prefix, sizeof prefix - 1);
}

}  // namespace

struct GeminiTestServer::Impl {
  // A reply held back for GeminiReply::delay.
  struct Delayed {
    Impl *impl = nullptr;
    SoupServerMessage *msg = nullptr;  // a reference of ours
    int status = 0;
    std::string body;
    bool disconnected = false;
    GSource *timer = nullptr;
    gulong handler = 0;

    ~Delayed() {
      if (timer) {
        g_source_destroy(timer);
        g_source_unref(timer);
      }
      if (msg) {
        g_signal_handler_disconnect(msg, handler);
        g_object_unref(msg);
      }
    }
  };

  Impl() {
    context = g_main_context_new();
    loop = g_main_loop_new(context, FALSE);
    std::promise<std::string> ready;
    auto started = ready.get_future();
    thread = std::thread([this, &ready] { run(ready); });
    const std::string error = started.get();
    if (!error.empty()) {
      thread.join();
      g_main_loop_unref(loop);
      g_main_context_unref(context);
      throw std::runtime_error("gemini test server: " + error);
    }
  }

  ~Impl() {
    // Quit from inside the loop: a g_main_loop_quit() before g_main_loop_run() would be lost.
    GSource *quit = g_idle_source_new();
    g_source_set_callback(
        quit,
        [](gpointer l) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop *>(l));
          return G_SOURCE_REMOVE;
        },
        loop, nullptr);
    g_source_attach(quit, context);
    g_source_unref(quit);
    thread.join();
    g_main_loop_unref(loop);
    g_main_context_unref(context);
  }

  void run(std::promise<std::string> &ready) {
    g_main_context_push_thread_default(context);
    server = soup_server_new("server-header", "emo-gemini-test-server", nullptr);
    soup_server_add_handler(server, nullptr, on_request, this, nullptr);
    GError *error = nullptr;
    if (!soup_server_listen_local(server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error)) {
      std::string why = error ? error->message : "cannot listen";
      g_clear_error(&error);
      g_object_unref(server);
      g_main_context_pop_thread_default(context);
      ready.set_value(why);
      return;
    }
    GSList *uris = soup_server_get_uris(server);
    port = uris ? g_uri_get_port(static_cast<GUri *>(uris->data)) : 0;
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    ready.set_value(port > 0 ? "" : "no listening port");
    if (port > 0) g_main_loop_run(loop);
    delayed.clear();
    soup_server_disconnect(server);
    g_object_unref(server);
    while (g_main_context_pending(context)) g_main_context_iteration(context, FALSE);
    g_main_context_pop_thread_default(context);
  }

  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                         gpointer data) {
    static_cast<Impl *>(data)->handle(msg, path);
  }

  void handle(SoupServerMessage *msg, const char *path) {
    RecordedRequest r;
    r.received = std::chrono::steady_clock::now();
    r.method = soup_server_message_get_method(msg);
    r.path = path ? path : "";
    r.model = model_of(r.path);
    SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
    const char *key = soup_message_headers_get_one(headers, "x-goog-api-key");
    r.api_key = key ? key : "";
    const char *type = soup_message_headers_get_one(headers, "Content-Type");
    r.content_type = type ? type : "";
    SoupMessageBody *body = soup_server_message_get_request_body(msg);
    if (body && body->data) r.body.assign(body->data, static_cast<std::size_t>(body->length));
    read_request_body(r);

    Observer observer;
    GeminiReply reply;
    {
      std::lock_guard<std::mutex> lock(mutex);
      recorded.push_back(r);
      observer = this->observer;
    }
    if (observer) observer(r);

    // Requests Gemini itself would refuse, whatever the script says.
    if (r.method != "POST" || r.model.empty()) {
      respond(msg, 404, error_body(404, "Not found: " + r.method + " " + r.path, ""));
      return;
    }
    if (r.api_key.empty()) {
      respond(msg, 403, error_body(403, "", ""));
      return;
    }
    if (!r.body_is_json) {
      respond(msg, 400, error_body(400, "Invalid JSON payload received.", ""));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!script.empty()) {
        reply = std::move(script.front());
        script.pop_front();
      } else {
        reply = fallback;
      }
    }
    if (!reply.redirect_to.empty()) {
      const int status = reply.status >= 300 && reply.status < 400 ? reply.status : 302;
      soup_server_message_set_redirect(msg, static_cast<guint>(status), reply.redirect_to.c_str());
      return;
    }
    if (reply.endless) {
      respond_endless(msg, reply.endless_declares_length);
      return;
    }
    const std::string out = reply_body(reply, r.model);
    if (reply.delay.count() <= 0) {
      respond(msg, reply.status, out);
      return;
    }
    auto owned = std::make_unique<Delayed>();
    Delayed *d = owned.get();
    d->impl = this;
    d->msg = static_cast<SoupServerMessage *>(g_object_ref(msg));
    d->status = reply.status;
    d->body = out;
    d->handler = g_signal_connect(msg, "disconnected", G_CALLBACK(on_disconnected), d);
    soup_server_message_pause(msg);
    d->timer = g_timeout_source_new(static_cast<guint>(reply.delay.count()));
    g_source_set_callback(d->timer, on_delay_done, d, nullptr);
    g_source_attach(d->timer, context);
    delayed.push_back(std::move(owned));
    std::lock_guard<std::mutex> lock(mutex);
    most_held = std::max(most_held, delayed.size());
  }

  static void on_disconnected(SoupServerMessage *, gpointer data) {
    static_cast<Delayed *>(data)->disconnected = true;
  }

  static gboolean on_delay_done(gpointer data) {
    auto *d = static_cast<Delayed *>(data);
    if (!d->disconnected) {
      respond(d->msg, d->status, d->body);
      soup_server_message_unpause(d->msg);
    }
    auto &list = d->impl->delayed;
    list.erase(std::find_if(list.begin(), list.end(), [d](auto &p) { return p.get() == d; }));
    return G_SOURCE_REMOVE;
  }

  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  SoupServer *server = nullptr;                   // server thread only
  std::vector<std::unique_ptr<Delayed>> delayed;  // server thread only
  int port = 0;
  std::thread thread;

  mutable std::mutex mutex;
  std::deque<GeminiReply> script;         // under mutex
  GeminiReply fallback;                   // under mutex
  Observer observer;                      // under mutex
  std::vector<RecordedRequest> recorded;  // under mutex
  std::size_t most_held = 0;              // under mutex
};

GeminiTestServer::GeminiTestServer() : impl_(std::make_unique<Impl>()) {}
GeminiTestServer::~GeminiTestServer() = default;

int GeminiTestServer::port() const { return impl_->port; }

std::string GeminiTestServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void GeminiTestServer::push(GeminiReply reply) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->script.push_back(std::move(reply));
}

void GeminiTestServer::set_default(GeminiReply reply) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->fallback = std::move(reply);
}

void GeminiTestServer::set_observer(Observer observer) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->observer = std::move(observer);
}

std::vector<RecordedRequest> GeminiTestServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->recorded;
}

std::size_t GeminiTestServer::max_held() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->most_held;
}

std::size_t GeminiTestServer::request_count() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->recorded.size();
}

}  // namespace emo::test
