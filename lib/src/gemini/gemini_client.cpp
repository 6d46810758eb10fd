// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: asynchronous Gemini generateContent client (libsoup 3 on its own thread and
// GMainContext). Every Job lives on the client thread once handed over; the only state shared
// with other threads is under Impl::mutex (incoming queue, counters, cancel mark).
// The request budget: a job taken in waits in `waiting` until fewer than max_in_flight are
// admitted (pump()); an attempt past max_per_minute waits on the job's timer (send()).
#define G_LOG_DOMAIN "emo-gemini"
#include "emo/gemini/gemini.hpp"

#include <glib.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "gemini_json.hpp"
#include "gemini_policy.hpp"

namespace emo {

struct GeminiClient::Impl {
  struct Job {
    Impl *impl = nullptr;
    std::uint64_t id = 0;
    GeminiRequest request;
    Callback done;
    Started started;
    GBytes *body = nullptr;
    SoupMessage *message = nullptr;
    GInputStream *stream = nullptr;  // the reply body being read
    std::string reply;               // what was read of it so far, at most max_reply_bytes
    GCancellable *cancellable = nullptr;
    GSource *timer = nullptr;  // attempt timeout while in flight, else back-off / rate wait
    bool in_flight = false;    // an HTTP attempt is under way
    bool admitted = false;     // counted in Impl::active (no longer in Impl::waiting)
    bool timed_out = false;
    bool cancelled = false;
    GeminiResult result;  // attempts, last http_status / error so far

    ~Job() {
      drop_timer();
      drop_stream();
      if (cancellable) g_object_unref(cancellable);
      if (message) g_object_unref(message);
      if (body) g_bytes_unref(body);
    }
    // Closes the reply stream. With `abort` (the body is not read to its end) the cancellable
    // is cancelled first, so that libsoup drops the connection instead of draining it.
    void drop_stream(bool abort = true) {
      if (!stream) return;
      if (abort && cancellable) g_cancellable_cancel(cancellable);
      g_input_stream_close(stream, cancellable, nullptr);
      g_object_unref(stream);
      stream = nullptr;
    }
    void drop_timer() {
      if (!timer) return;
      g_source_destroy(timer);
      g_source_unref(timer);
      timer = nullptr;
    }
  };

  explicit Impl(GeminiConfig c) : config(std::move(c)), rng(std::random_device{}()) {
    context = g_main_context_new();
    loop = g_main_loop_new(context, FALSE);
    while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
    url = config.endpoint + "/v1beta/models/" + config.model + ":generateContent";
    thread = std::thread([this] { run(); });
  }

  // Cancels everything and joins; callbacks may still call submit()/pending() meanwhile.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake();
    if (thread.joinable()) thread.join();
  }

  ~Impl() {
    shutdown();
    g_main_loop_unref(loop);
    g_main_context_unref(context);
  }

  // ---- any thread ----

  void wake() {
    GSource *idle = g_idle_source_new();
    g_source_set_callback(
        idle,
        [](gpointer data) -> gboolean {
          static_cast<Impl *>(data)->service();
          return G_SOURCE_REMOVE;
        },
        this, nullptr);
    g_source_attach(idle, context);
    g_source_unref(idle);
  }

  bool on_client_thread() const { return std::this_thread::get_id() == thread.get_id(); }

  // ---- client thread ----

  void run() {
    g_main_context_push_thread_default(context);
    // timeout 0: no libsoup I/O timeout; GeminiConfig::timeout is enforced per attempt here.
    session = soup_session_new_with_options("user-agent", "gst-emo", "timeout", 0u, nullptr);
    g_main_loop_run(loop);
    soup_session_abort(session);
    g_object_unref(session);
    session = nullptr;
    while (g_main_context_pending(context)) g_main_context_iteration(context, FALSE);
    g_main_context_pop_thread_default(context);
  }

  // Takes new jobs in, applies cancel_all() / shutdown, quits when stopping and done.
  void service() {
    std::deque<std::unique_ptr<Job>> fresh;
    std::uint64_t cancel_mark;
    bool stop;
    {
      std::lock_guard<std::mutex> lock(mutex);
      fresh.swap(incoming);
      cancel_mark = stopping ? UINT64_MAX : cancel_before;
      stop = stopping;
    }
    std::vector<std::uint64_t> to_cancel;
    for (auto &[id, job] : jobs)
      if (id < cancel_mark && !job->cancelled) to_cancel.push_back(id);
    for (std::uint64_t id : to_cancel) {
      // A callback run by an earlier cancel() may have waited (wait_idle) and finished others.
      auto it = jobs.find(id);
      if (it != jobs.end() && !it->second->cancelled) cancel(it->second.get());
    }
    for (auto &job : fresh) {
      Job *j = job.get();
      jobs.emplace(j->id, std::move(job));
      if (j->started) {
        try {
          j->started(j->id);
        } catch (const std::exception &e) {
          g_warning("gemini request %" G_GUINT64_FORMAT ": start hook failed: %s", j->id, e.what());
        }
      }
      if (j->id < cancel_mark) {
        finish_cancelled(j);
      } else {
        waiting.push_back(j);
      }
    }
    pump();
    if (stop) maybe_quit();
  }

  void maybe_quit() {
    if (!jobs.empty()) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping && incoming.empty()) g_main_loop_quit(loop);
  }

  void cancel(Job *job) {
    job->cancelled = true;
    if (job->in_flight) {
      job->drop_timer();
      g_cancellable_cancel(job->cancellable);  // on_sent() completes it
    } else {
      finish_cancelled(job);
    }
  }

  void finish_cancelled(Job *job) {
    job->result.state = GeminiState::Cancelled;
    job->result.detail = "cancelled before the reply arrived";
    job->result.text.clear();
    finish(job);
  }

  // Starts waiting jobs, oldest first, while the budget has room. A job that finishes at once
  // (offline, bad URL) only makes room: finish() leaves the next start to this loop or to a
  // pump scheduled on the context, never to a recursive call, so that hundreds of jobs
  // finishing synchronously do not deepen the stack.
  void pump() {
    while (!waiting.empty() && (config.max_in_flight <= 0 || active < config.max_in_flight)) {
      Job *job = waiting.front();
      waiting.pop_front();
      job->admitted = true;
      active++;
      start(job);
    }
  }

  void schedule_pump() {
    if (pump_scheduled || waiting.empty()) return;
    pump_scheduled = true;
    GSource *idle = g_idle_source_new();
    g_source_set_callback(
        idle,
        [](gpointer data) -> gboolean {
          auto *impl = static_cast<Impl *>(data);
          impl->pump_scheduled = false;
          impl->pump();
          return G_SOURCE_REMOVE;
        },
        this, nullptr);
    g_source_attach(idle, context);
    g_source_unref(idle);
  }

  // Room for one more attempt under max_per_minute now? Else how long until there is.
  std::chrono::milliseconds rate_wait() {
    if (config.max_per_minute <= 0) return std::chrono::milliseconds(0);
    const auto now = std::chrono::steady_clock::now();
    while (!sent_times.empty() && sent_times.front() + config.rate_window <= now)
      sent_times.pop_front();
    if (sent_times.size() < static_cast<std::size_t>(config.max_per_minute)) {
      sent_times.push_back(now);
      return std::chrono::milliseconds(0);
    }
    const auto left = sent_times.front() + config.rate_window - now;
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::ceil<std::chrono::milliseconds>(left));
  }

  void start(Job *job) {
    if (config.api_key.empty()) {
      job->result.state = GeminiState::Skipped;
      job->result.detail = "skipped: no API key";
      finish(job);
      return;
    }
    const std::string body = gemini_json::build_request(config, job->request);
    job->body = g_bytes_new(body.data(), body.size());
    send(job);
  }

  void send(Job *job) {
    job->drop_timer();
    if (const std::chrono::milliseconds wait = rate_wait(); wait.count() > 0) {
      g_debug("gemini request %" G_GUINT64_FORMAT ": rate limit, waits %lld ms", job->id,
              static_cast<long long>(wait.count()));
      send_after(job, wait);
      return;
    }
    if (job->message) g_object_unref(job->message);
    if (job->cancellable) g_object_unref(job->cancellable);
    job->message = soup_message_new("POST", url.c_str());
    job->cancellable = nullptr;
    if (!job->message) {
      job->result.state = GeminiState::Failed;
      job->result.detail = "invalid endpoint URL '" + url + "'";
      finish(job);
      return;
    }
    // A redirect would take the key to wherever the server points: never follow one.
    soup_message_set_flags(job->message, SOUP_MESSAGE_NO_REDIRECT);
    SoupMessageHeaders *headers = soup_message_get_request_headers(job->message);
    soup_message_headers_replace(headers, "x-goog-api-key", config.api_key.c_str());
    soup_message_set_request_body_from_bytes(job->message, "application/json", job->body);
    job->cancellable = g_cancellable_new();
    job->timed_out = false;
    job->in_flight = true;
    job->result.attempts++;
    job->timer = g_timeout_source_new(
        static_cast<guint>(std::max<long long>(1, static_cast<long long>(config.timeout.count()))));
    g_source_set_callback(job->timer, on_timeout, job, nullptr);
    g_source_attach(job->timer, context);
    g_debug("gemini request %" G_GUINT64_FORMAT " attempt %d", job->id, job->result.attempts);
    job->reply.clear();
    soup_session_send_async(session, job->message, G_PRIORITY_DEFAULT, job->cancellable, on_sent,
                            job);
  }

  static gboolean on_timeout(gpointer data) {
    auto *job = static_cast<Job *>(data);
    job->timed_out = true;
    g_source_unref(job->timer);  // the source is being removed by returning REMOVE
    job->timer = nullptr;
    g_cancellable_cancel(job->cancellable);
    return G_SOURCE_REMOVE;
  }

  // The headers are in: refuse a declared length past the cap, else read the body in chunks.
  static void on_sent(GObject *source, GAsyncResult *res, gpointer data) {
    auto *job = static_cast<Job *>(data);
    GError *error = nullptr;
    job->stream = soup_session_send_finish(SOUP_SESSION(source), res, &error);
    if (!job->stream) {
      job->impl->handle_reply(job, nullptr, error);
      if (error) g_error_free(error);
      return;
    }
    SoupMessageHeaders *headers = soup_message_get_response_headers(job->message);
    if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH) {
      const goffset declared = soup_message_headers_get_content_length(headers);
      if (declared > static_cast<goffset>(job->impl->config.max_reply_bytes)) {
        job->impl->reply_too_large(job, "it declares " + std::to_string(declared) + " bytes");
        return;
      }
    }
    job->impl->read_more(job);
  }

  void read_more(Job *job) {
    // One byte past the cap is enough to know the reply is too large.
    const std::size_t left = config.max_reply_bytes + 1 - job->reply.size();
    g_input_stream_read_bytes_async(job->stream, std::min<std::size_t>(left, 64 * 1024),
                                    G_PRIORITY_DEFAULT, job->cancellable, on_read, job);
  }

  static void on_read(GObject *source, GAsyncResult *res, gpointer data) {
    auto *job = static_cast<Job *>(data);
    GError *error = nullptr;
    GBytes *chunk = g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), res, &error);
    Impl *impl = job->impl;
    if (!chunk) {
      job->drop_stream();
      impl->handle_reply(job, nullptr, error);
      if (error) g_error_free(error);
      return;
    }
    gsize size = 0;
    const char *bytes = static_cast<const char *>(g_bytes_get_data(chunk, &size));
    if (size > 0) job->reply.append(bytes, size);
    g_bytes_unref(chunk);
    if (size == 0) {  // end of the body
      job->drop_stream(false);
      const std::string body = std::move(job->reply);
      impl->handle_reply(job, &body, nullptr);
    } else if (job->reply.size() > impl->config.max_reply_bytes) {
      impl->reply_too_large(job, "more was sent");
    } else {
      impl->read_more(job);
    }
  }

  // The transfer of `job` is over (reply, error or abort): no timer any more. A job cancelled
  // meanwhile is finished as cancelled; returns true then.
  bool end_transfer(Job *job) {
    job->in_flight = false;
    job->drop_timer();
    if (!job->cancelled) return false;
    finish_cancelled(job);
    return true;
  }

  // Aborts the transfer; a final failure (a server that sends this much is not retried).
  void reply_too_large(Job *job, const std::string &why) {
    job->drop_stream();
    job->reply.clear();
    job->reply.shrink_to_fit();
    if (end_transfer(job)) return;
    GeminiResult &r = job->result;
    r.state = GeminiState::Failed;
    r.http_status = static_cast<int>(soup_message_get_status(job->message));
    r.error_status.clear();
    r.detail = "reply larger than the maximum reply size of " +
               std::to_string(config.max_reply_bytes) + " bytes (" + why + "): aborted";
    finish(job);
  }

  void handle_reply(Job *job, const std::string *reply, GError *error) {
    if (end_transfer(job)) return;
    GeminiResult &r = job->result;
    if (error) {
      r.http_status = 0;
      r.error_status.clear();
      if (job->timed_out)
        r.detail = "timeout: no reply within " + std::to_string(config.timeout.count()) + " ms";
      else
        r.detail = std::string("connection failed: ") + error->message;
      retry(job, std::nullopt);
      return;
    }
    const std::string &body = *reply;
    const guint status = soup_message_get_status(job->message);
    r.http_status = static_cast<int>(status);
    if (SOUP_STATUS_IS_REDIRECTION(status)) {  // never followed (SOUP_MESSAGE_NO_REDIRECT)
      const char *phrase = soup_message_get_reason_phrase(job->message);
      r.state = GeminiState::Failed;
      r.error_status.clear();
      r.detail = "HTTP " + std::to_string(status) + (phrase && *phrase ? " " : "") +
                 (phrase ? phrase : "") +
                 ": the endpoint redirects; redirects are not followed (the API key is sent "
                 "to the endpoint only)";
      finish(job);
      return;
    }
    if (status == SOUP_STATUS_OK) {
      GeminiResult parsed = gemini_json::parse_reply(body);
      parsed.http_status = r.http_status;
      parsed.attempts = r.attempts;
      r = std::move(parsed);
      finish(job);
      return;
    }
    const gemini_json::ErrorInfo info = gemini_json::parse_error(body);
    r.error_status = info.status;
    const char *phrase = soup_message_get_reason_phrase(job->message);
    r.detail = !info.message.empty()
                   ? info.message
                   : "HTTP " + std::to_string(status) + " " + (phrase ? phrase : "");
    if (gemini_policy::retryable_status(static_cast<int>(status))) {
      retry(job, info.retry_delay);
    } else {
      r.state = GeminiState::Failed;
      finish(job);
    }
  }

  void retry(Job *job, std::optional<std::chrono::milliseconds> retry_delay) {
    GeminiResult &r = job->result;
    r.state = GeminiState::Failed;
    if (r.attempts > config.max_retries) {
      r.detail = "retries exhausted after " + std::to_string(r.attempts) + " attempts: " + r.detail;
      finish(job);
      return;
    }
    std::chrono::milliseconds delay;
    if (retry_delay) {
      if (*retry_delay > config.max_retry_delay) {
        r.detail += " (server asks to retry in " + std::to_string(retry_delay->count()) +
                    " ms, more than max_retry_delay)";
        finish(job);
        return;
      }
      delay = *retry_delay;
    } else {
      delay = gemini_policy::backoff(config, r.attempts, rng);  // r.attempts: 1st retry = 1
    }
    g_debug("gemini request %" G_GUINT64_FORMAT " retry in %lld ms", job->id,
            static_cast<long long>(delay.count()));
    send_after(job, delay);
  }

  // The job's next attempt after `delay`; its timer, so cancel() and ~Job stop it.
  void send_after(Job *job, std::chrono::milliseconds delay) {
    job->timer = g_timeout_source_new(static_cast<guint>(delay.count()));
    g_source_set_callback(
        job->timer,
        [](gpointer data) -> gboolean {
          auto *j = static_cast<Job *>(data);
          g_source_unref(j->timer);
          j->timer = nullptr;
          j->impl->send(j);
          return G_SOURCE_REMOVE;
        },
        job, nullptr);
    g_source_attach(job->timer, context);
  }

  void finish(Job *job) {
    auto node = jobs.extract(job->id);
    std::unique_ptr<Job> owned = std::move(node.mapped());
    if (owned->admitted) {
      active--;
      schedule_pump();
    } else if (auto it = std::find(waiting.begin(), waiting.end(), owned.get());
               it != waiting.end()) {
      waiting.erase(it);  // cancelled while waiting for room
    }
    GeminiResult result = std::move(owned->result);
    result.detail = gemini_policy::redact(std::move(result.detail), config.api_key);
    result.error_status = gemini_policy::redact(std::move(result.error_status), config.api_key);
    if (result.state != GeminiState::Ok) result.text.clear();
    Callback done = std::move(owned->done);
    const std::uint64_t id = owned->id;
    owned.reset();
    {
      std::lock_guard<std::mutex> lock(mutex);
      callbacks_running++;
    }
    if (done) {
      try {
        done(id, result);
      } catch (const std::exception &e) {
        g_warning("gemini: callback of request %" G_GUINT64_FORMAT " threw: %s", id, e.what());
      } catch (...) {
        g_warning("gemini: callback of request %" G_GUINT64_FORMAT " threw", id);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      callbacks_running--;
      pending--;
    }
    idle_cv.notify_all();
    maybe_quit_if_stopping();
  }

  void maybe_quit_if_stopping() {
    bool stop;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = stopping;
    }
    if (stop) maybe_quit();
  }

  GeminiConfig config;
  std::string url;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  SoupSession *session = nullptr;                      // client thread only
  std::map<std::uint64_t, std::unique_ptr<Job>> jobs;  // client thread only
  std::mt19937_64 rng;                                 // client thread only
  std::deque<Job *> waiting;    // client thread only: taken in, not admitted (owned by jobs)
  int active = 0;               // client thread only: admitted, not finished
  bool pump_scheduled = false;  // client thread only
  std::deque<std::chrono::steady_clock::time_point> sent_times;  // client thread only

  mutable std::mutex mutex;
  std::condition_variable idle_cv;
  std::deque<std::unique_ptr<Job>> incoming;  // under mutex
  std::uint64_t next_id = 1;                  // under mutex
  std::uint64_t cancel_before = 0;            // under mutex: ids below it are cancelled
  std::size_t pending = 0;                    // under mutex: submitted, callback not returned
  std::size_t callbacks_running = 0;          // under mutex
  bool stopping = false;                      // under mutex
  std::thread thread;
};

GeminiClient::GeminiClient(GeminiConfig config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

GeminiClient::~GeminiClient() { impl_->shutdown(); }

std::uint64_t GeminiClient::submit(GeminiRequest request, Callback done, Started started) {
  auto job = std::make_unique<Impl::Job>();
  job->impl = impl_.get();
  job->request = std::move(request);
  job->done = std::move(done);
  job->started = std::move(started);
  std::uint64_t id;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    id = impl_->next_id++;
    job->id = id;
    impl_->incoming.push_back(std::move(job));
    impl_->pending++;
  }
  impl_->wake();
  return id;
}

bool GeminiClient::wait_idle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!impl_->on_client_thread()) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    return impl_->idle_cv.wait_until(lock, deadline, [this] { return impl_->pending == 0; });
  }
  // Inside one of our callbacks: keep the client's context running while waiting.
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      if (impl_->pending <= impl_->callbacks_running) return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    GSource *wakeup = g_timeout_source_new(static_cast<guint>(left.count() + 1));
    g_source_set_callback(
        wakeup, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
    g_source_attach(wakeup, impl_->context);
    g_main_context_iteration(impl_->context, TRUE);
    g_source_destroy(wakeup);
    g_source_unref(wakeup);
  }
}

std::size_t GeminiClient::pending() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->pending;
}

void GeminiClient::cancel_all() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->cancel_before = impl_->next_id;
  }
  impl_->wake();
}

}  // namespace emo
