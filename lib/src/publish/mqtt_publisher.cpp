// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: MqttPublisher (see emo/publish/mqtt.hpp): libmosquitto driven by the publisher's own
// thread through its external-loop API, with a bounded drop-oldest queue in front of it.
#include <mosquitto.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "emo/publish/mqtt.hpp"

namespace emo::publish {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kNetworkNice = 5;

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });  // never cleaned up: other users may exist
}

std::string random_client_id() {
  std::random_device rd;
  static const char digits[] = "0123456789abcdef";
  std::string id = "gst-emo-";
  for (int i = 0; i < 12; ++i) id += digits[rd() % 16];
  return id;
}

}  // namespace

struct MqttPublisher::Impl {
  MqttConfig config;
  MqttEventCallback on_event;
  mosquitto *mosq = nullptr;
  int wake_fd = -1;
  std::thread thread;

  mutable std::mutex mutex;  // guards everything below
  std::condition_variable changed;
  DropOldestQueue queue;
  std::unordered_map<int, MqttMessage> inflight;  // mid -> message handed to libmosquitto
  std::set<int> done_early;  // on_publish() that came inside mosquitto_publish()
  MqttStats counters;
  bool stopping = false;          // stop(): finish draining, then quit
  Clock::time_point drain_until;  // while stopping
  bool stopped = false;

  // network thread only
  bool socket_open = false, ever_tried = false;
  Clock::time_point attempt_started, next_attempt;
  int failures = 0;
  std::string refusal;    // CONNACK refusal of the current attempt
  std::string log_error;  // last libmosquitto ERR log line of the current attempt

  explicit Impl(MqttConfig c) : config(std::move(c)), queue(config.max_queue) {}

  void wake() {
    const std::uint64_t one = 1;
    if (wake_fd >= 0 && write(wake_fd, &one, sizeof one) < 0) {
      // EAGAIN: the counter is already non-zero, the thread wakes anyway
    }
  }

  void event(MqttEvent e, const std::string &text) {
    MqttStats s;
    {
      std::lock_guard<std::mutex> lock(mutex);
      counters.last_error = e == MqttEvent::Connected ? counters.last_error : text;
      s = snapshot();
    }
    if (on_event) on_event(e, text, s);
  }

  MqttStats snapshot() const {  // under mutex
    MqttStats s = counters;
    s.dropped_full = queue.dropped();
    s.dropped = s.dropped_full + s.dropped_invalid + s.dropped_at_stop;
    s.queue_length = queue.size();
    s.in_flight = inflight.size();
    return s;
  }

  std::string where() const { return config.address.to_string(); }

  /* Why an attempt or a connection ended, from libmosquitto's code and what it logged. */
  std::string describe(int rc, int err) const {
    if (!refusal.empty()) return where() + " refused the connection: " + refusal;
    std::string text;
    switch (rc) {
      case MOSQ_ERR_TLS:
      case MOSQ_ERR_TLS_HANDSHAKE:
        text =
            "TLS handshake with " + where() + " failed" +
            (log_error.empty() ? "" : " (" + log_error + ")") +
            (config.ca_file.empty() ? std::string("; no CA file given, the system's CAs were used")
                                    : "; check that " + config.ca_file +
                                          " holds the CA that signed the broker's certificate");
        return text;
      case MOSQ_ERR_EAI:
      case MOSQ_ERR_LOOKUP:
        return "cannot resolve the broker host \"" + config.address.host + "\"";
      case MOSQ_ERR_ERRNO:
        return "cannot connect to " + where() + ": " + std::strerror(err);
      case MOSQ_ERR_CONN_LOST:
        return "the connection to " + where() + " was lost";
      case MOSQ_ERR_TIMEOUT:
        return "no answer from " + where() + " within " +
               std::to_string(config.connect_timeout.count() / 1000) + " s";
      case MOSQ_ERR_KEEPALIVE:
        return where() + " did not answer within the keepalive";
      default:
        return "connection to " + where() + " failed: " + mosquitto_strerror(rc) +
               (log_error.empty() ? "" : " (" + log_error + ")");
    }
  }

  static void on_connect_cb(mosquitto *, void *self, int rc) {
    auto *impl = static_cast<Impl *>(self);
    if (rc != 0) {
      impl->refusal = mosquitto_connack_string(rc);  // "Connection Refused: not authorised."
      while (!impl->refusal.empty() && impl->refusal.back() == '.') impl->refusal.pop_back();
      return;  // libmosquitto then ends the attempt with an error: handled in lost()
    }
    impl->failures = 0;
    {
      std::lock_guard<std::mutex> lock(impl->mutex);
      impl->counters.connected = true;
      ++impl->counters.connects;
    }
    impl->event(MqttEvent::Connected, "connected to " + impl->where());
  }

  static void on_publish_cb(mosquitto *, void *self, int mid) {
    auto *impl = static_cast<Impl *>(self);
    std::lock_guard<std::mutex> lock(impl->mutex);
    if (impl->inflight.erase(mid))
      ++impl->counters.acknowledged;
    else
      impl->done_early.insert(mid);
    impl->changed.notify_all();
  }

  static void on_log_cb(mosquitto *, void *self, int level, const char *text) {
    if (level == MOSQ_LOG_ERR && text) static_cast<Impl *>(self)->log_error = text;
  }

  void setup() {
    init_library_once();
    if (config.qos != 0 && config.qos != 1)
      throw std::invalid_argument("QoS " + std::to_string(config.qos) + " (0 or 1 only)");
    if (config.client_id.empty()) config.client_id = random_client_id();
    if (config.client_id.size() > 65535) throw std::invalid_argument("client id too long");
    mosq = mosquitto_new(config.client_id.c_str(), true, this);
    if (!mosq) throw std::runtime_error(std::string("mosquitto_new: ") + std::strerror(errno));
    mosquitto_connect_callback_set(mosq, on_connect_cb);
    mosquitto_publish_callback_set(mosq, on_publish_cb);
    mosquitto_log_callback_set(mosq, on_log_cb);
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, static_cast<int>(config.max_inflight));
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    if (!config.username.empty()) {
      if (mosquitto_username_pw_set(mosq, config.username.c_str(),
                                    config.password.empty() ? nullptr : config.password.c_str()))
        throw std::invalid_argument("user name rejected by libmosquitto");
    }
    if (config.address.tls) {
      if (!config.ca_file.empty() && access(config.ca_file.c_str(), R_OK) != 0)
        throw std::invalid_argument("cannot read the CA file \"" + config.ca_file +
                                    "\": " + std::strerror(errno));
      const int rc =
          config.ca_file.empty()
              ? mosquitto_tls_set(mosq, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr)
              : mosquitto_tls_set(mosq, config.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
      if (rc != MOSQ_ERR_SUCCESS)
        throw std::invalid_argument("TLS setup failed (" + std::string(mosquitto_strerror(rc)) +
                                    ") for the CA file \"" + config.ca_file + "\"");
    } else if (!config.ca_file.empty()) {
      throw std::invalid_argument("a CA file was given for a plain mqtt:// address; use mqtts://");
    }
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }

  /* Starts a connection attempt; false (and a ConnectFailed event) when it fails at once. */
  bool attempt() {
    refusal.clear();
    log_error.clear();
    attempt_started = Clock::now();
    errno = 0;
    const int rc = ever_tried ? mosquitto_reconnect_async(mosq)
                              : mosquitto_connect_async(mosq, config.address.host.c_str(),
                                                        config.address.port, config.keepalive_s);
    const int err = errno;
    ever_tried = true;
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq) >= 0) {
      socket_open = true;
      return true;
    }
    failed(rc == MOSQ_ERR_SUCCESS ? MOSQ_ERR_NO_CONN : rc, err);
    return false;
  }

  /* An attempt or a connection ended: requeue what was not written, schedule the next one. */
  void failed(int rc, int err) {
    socket_open = false;
    bool was_connected;
    {
      std::lock_guard<std::mutex> lock(mutex);
      was_connected = counters.connected;
      counters.connected = false;
      if (was_connected)
        ++counters.disconnects;
      else
        ++counters.failed_attempts;
      changed.notify_all();
      if (config.qos == 0) {
        // QoS 0 packets libmosquitto had not finished writing are gone with the socket: they
        // were never sent, so they go back to the head of the queue, oldest first.
        std::vector<int> mids;
        for (auto &[mid, m] : inflight) mids.push_back(mid);
        std::sort(mids.rbegin(), mids.rend());  // mids grow with the order of publishing
        for (int mid : mids) queue.push_front(std::move(inflight[mid]));
        inflight.clear();
      }
      // QoS 1 messages in flight stay: libmosquitto resends them after the next CONNACK.
    }
    const auto delay =
        std::min(config.backoff_max, config.backoff_min * (1 << std::min(failures, 16)));
    ++failures;
    next_attempt = Clock::now() + delay;
    std::string text = describe(rc, err);
    char suffix[64];
    std::snprintf(suffix, sizeof suffix, "; retrying in %.1f s",
                  std::chrono::duration<double>(delay).count());
    text += suffix;
    event(was_connected ? MqttEvent::Disconnected : MqttEvent::ConnectFailed, text);
  }

  /* Hands queued messages to libmosquitto while connected and under the in-flight limit. */
  void dispatch() {
    for (;;) {
      MqttMessage m;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (!counters.connected || inflight.size() >= config.max_inflight) return;
        if (!queue.pop(m)) return;
      }
      int mid = 0;
      const int rc =
          mosquitto_publish(mosq, &mid, m.topic.c_str(), static_cast<int>(m.payload.size()),
                            m.payload.data(), m.qos, false);
      std::lock_guard<std::mutex> lock(mutex);
      const bool conn_error =
          rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO;
      // QoS 1: on a connection error libmosquitto keeps the message (it is in its in-flight
      // list already) and sends it after the next CONNACK, so it counts as in flight.
      if (rc == MOSQ_ERR_SUCCESS || (m.qos == 1 && conn_error && mid != 0)) {
        ++counters.sent;
        if (done_early.erase(mid))
          ++counters.acknowledged;
        else
          inflight.emplace(mid, std::move(m));
      } else if (conn_error) {
        queue.push_front(std::move(m));  // QoS 0, never written; the loop notices the loss
        return;
      } else {
        ++counters.dropped_invalid;
        counters.last_error = std::string("message on \"") + m.topic +
                              "\" refused by libmosquitto: " + mosquitto_strerror(rc);
      }
    }
  }

  bool drained() const { return queue.empty() && inflight.empty(); }  // under mutex
  /* An attempt failed and none succeeded: nothing to wait for when draining. Under mutex. */
  bool never_reached() const { return counters.connects == 0 && counters.failed_attempts > 0; }

  void run() {
    // The caller's (streaming) thread goes first: a woken network thread at the same priority
    // preempts it on a loaded machine (Linux: nice is per thread).
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kNetworkNice);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping && (drained() || Clock::now() >= drain_until || never_reached())) break;
      }
      const auto now = Clock::now();
      if (!socket_open && now >= next_attempt) attempt();
      bool connected;
      {
        std::lock_guard<std::mutex> lock(mutex);
        connected = counters.connected;
      }
      if (socket_open && !connected && now - attempt_started > config.connect_timeout) {
        failed(MOSQ_ERR_TIMEOUT, 0);  // the next attempt closes the stale socket
        continue;
      }
      if (socket_open) dispatch();

      pollfd fds[2] = {{wake_fd, POLLIN, 0}, {-1, 0, 0}};
      nfds_t n = 1;
      const int sock = socket_open ? mosquitto_socket(mosq) : -1;
      if (sock >= 0) {
        fds[1] = {sock, static_cast<short>(POLLIN | (mosquitto_want_write(mosq) ? POLLOUT : 0)), 0};
        n = 2;
      }
      int timeout_ms = 1000;  // keepalive checks at least once a second
      if (!socket_open) {
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt - Clock::now());
        timeout_ms = static_cast<int>(std::clamp<long long>(wait.count(), 0, 1000));
      } else if (!connected) {
        timeout_ms = 100;  // notice the connect timeout
      }
      if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) break;
      if (fds[0].revents & POLLIN) {
        std::uint64_t v;
        if (read(wake_fd, &v, sizeof v) < 0) {
        }
      }
      if (n < 2) continue;
      int rc = MOSQ_ERR_SUCCESS;
      errno = 0;
      if (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) rc = mosquitto_loop_read(mosq, 1);
      if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq) >= 0 &&
          ((fds[1].revents & POLLOUT) || mosquitto_want_write(mosq)))
        rc = mosquitto_loop_write(mosq, 1);
      if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq) >= 0) rc = mosquitto_loop_misc(mosq);
      const int err = errno;
      if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(mosq) < 0)
        failed(rc == MOSQ_ERR_SUCCESS ? MOSQ_ERR_CONN_LOST : rc, err);
    }
    // Leaving: say goodbye when connected (best effort, a few loop rounds).
    bool connected;
    {
      std::lock_guard<std::mutex> lock(mutex);
      connected = counters.connected;
    }
    if (connected && mosquitto_disconnect(mosq) == MOSQ_ERR_SUCCESS) {
      for (int i = 0; i < 10 && mosquitto_socket(mosq) >= 0 && mosquitto_want_write(mosq); ++i)
        mosquitto_loop_write(mosq, 1);
    }
    std::lock_guard<std::mutex> lock(mutex);
    counters.connected = false;
    counters.dropped_at_stop += queue.clear() + inflight.size();
    inflight.clear();
    stopped = true;
    changed.notify_all();
  }
};

MqttPublisher::MqttPublisher(MqttConfig config, MqttEventCallback on_event)
    : impl_(std::make_unique<Impl>(std::move(config))) {
  impl_->on_event = std::move(on_event);
  try {
    impl_->setup();
  } catch (...) {
    if (impl_->mosq) mosquitto_destroy(impl_->mosq);
    if (impl_->wake_fd >= 0) close(impl_->wake_fd);
    throw;
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

MqttPublisher::~MqttPublisher() {
  stop(std::chrono::milliseconds(0));
  if (impl_->mosq) mosquitto_destroy(impl_->mosq);
  if (impl_->wake_fd >= 0) close(impl_->wake_fd);
}

bool MqttPublisher::publish(std::string topic, std::string payload) {
  std::size_t dropped;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopping) {
      ++impl_->counters.queued;
      ++impl_->counters.dropped_at_stop;
      return false;
    }
    ++impl_->counters.queued;
    dropped = impl_->queue.push({std::move(topic), std::move(payload), impl_->config.qos});
  }
  impl_->wake();
  return dropped == 0;
}

bool MqttPublisher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  // A broker never reached (an attempt failed, none succeeded) is not waited for.
  impl_->changed.wait_for(
      lock, timeout, [&] { return impl_->drained() || impl_->stopped || impl_->never_reached(); });
  return impl_->drained();
}

MqttStats MqttPublisher::stop(std::chrono::milliseconds drain) {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->stopping) {
      impl_->stopping = true;
      impl_->drain_until = Clock::now() + drain;
    }
  }
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  return stats();
}

MqttStats MqttPublisher::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->snapshot();
}

}  // namespace emo::publish
