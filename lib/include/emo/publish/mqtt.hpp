// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: an MQTT publisher that never blocks its caller (libmosquitto, no GStreamer types).
//
// publish() only appends to a bounded queue (size in messages) under a mutex and wakes the
// publisher's own network thread; that thread connects, reconnects with exponential backoff,
// hands queued messages to libmosquitto and runs libmosquitto's loop. When the queue is full
// the OLDEST message is dropped and counted.
//
// Why not mosquitto_loop_start(): its thread (mosquitto_loop_forever) returns for good after a
// TLS failure or a failed DNS lookup (MOSQ_ERR_TLS, MOSQ_ERR_EAI), so a broker with a bad
// certificate or a host that does not resolve yet would never be retried. The publisher's thread
// drives libmosquitto's documented external-loop API instead (mosquitto_socket(),
// mosquitto_loop_read/write/misc(), mosquitto_want_write()) with poll(), plus an eventfd that
// publish() uses to wake it, so a message leaves at once. Every libmosquitto call happens on that
// one thread.
//
// Delivery and the "dropped" count (what MqttStats::dropped means, precisely):
//  - queued: accepted by publish(). Every queued message ends as exactly one of: acknowledged,
//    dropped, or still queued / in flight (queue_length + in_flight) while running.
//  - in flight: handed to libmosquitto (mosquitto_publish()), at most `max_inflight` at a time
//    (libmosquitto's own send maximum is set to the same number, so it holds nothing beyond).
//  - acknowledged: QoS 1: the broker sent PUBACK; QoS 0: libmosquitto wrote the whole packet
//    to the socket (QoS 0 cannot know more: a packet written just before a connection dies is
//    lost without a trace and is not counted).
//  - On a lost connection, QoS 1 messages in flight stay with libmosquitto, which sends them
//    again (DUP) after the next CONNACK; QoS 0 messages not yet written go back to the head of
//    the queue. So a broker outage loses nothing as long as the queue holds what arrives during
//    it; a subscriber may see a QoS 1 message twice (at least once), never none.
//  - dropped = dropped_full (oldest removed from a full queue, never sent)
//            + dropped_invalid (libmosquitto refused the message: payload too large, bad topic)
//            + dropped_at_stop (still queued or unacknowledged when stop() gave up waiting).
//  What a broker loses after it acknowledged a message (a broker killed with SIGKILL without
//  persistence, a subscriber not connected at that moment) is beyond any publisher's knowledge.
//
// The password is handed to libmosquitto only; it is never part of a message, a log line, an
// error text or the stats.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace emo::publish {

/// A broker address parsed from "mqtt://host[:port]" (plain TCP, port 1883 by default) or
/// "mqtts://host[:port]" (TLS, 8883). IPv6 literals in brackets: "mqtt://[::1]:1883".
struct MqttAddress {
  std::string host;
  int port = 1883;
  bool tls = false;
  std::string to_string() const;  ///< "mqtt://host:port" (never any credentials)
};

/// Parses `url`; throws std::invalid_argument with a message saying what is wrong (another
/// scheme, no host, a port outside 1-65535, a user or password in the URL, a path).
MqttAddress parse_mqtt_address(const std::string &url);

/// One message: topic and payload (bytes), QoS 0 or 1.
struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 1;
};

/// A FIFO of at most `capacity` messages that drops the oldest when full. Not thread-safe (the
/// publisher locks around it); kept apart so that its accounting can be tested alone.
class DropOldestQueue {
 public:
  explicit DropOldestQueue(std::size_t capacity);  ///< capacity >= 1 (0 is taken as 1)
  /// Appends `m`; when the queue is full, the oldest message is removed first and counted.
  /// Returns the number of messages dropped (0 or 1).
  std::size_t push(MqttMessage m);
  /// Puts a message that was taken out back at the head (it is the oldest). When the queue is
  /// full, that message itself is dropped and counted. Returns the number dropped (0 or 1).
  std::size_t push_front(MqttMessage m);
  /// Takes the oldest message; false when empty.
  bool pop(MqttMessage &out);
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t dropped() const { return dropped_; }  ///< dropped because the queue was full
  /// Empties the queue; returns how many messages were in it (not counted as dropped here).
  std::size_t clear();

 private:
  std::deque<MqttMessage> items_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
};

struct MqttConfig {
  MqttAddress address;
  std::string client_id;  ///< empty: "gst-emo-" + a random suffix
  std::string username;   ///< empty: no user name (and no password)
  std::string password;   ///< used only with a user name; never logged
  std::string ca_file;    ///< PEM CA certificate(s) for mqtts; empty: the system's (/etc/ssl/certs)
  int qos = 1;            ///< 0 or 1
  std::size_t max_queue = 1000;  ///< messages waiting to be handed to libmosquitto
  unsigned max_inflight = 20;    ///< messages handed to libmosquitto and not acknowledged
  int keepalive_s = 30;          ///< MQTT keepalive, seconds
  std::chrono::milliseconds backoff_min{500};        ///< first reconnect delay
  std::chrono::milliseconds backoff_max{30000};      ///< delays double up to this
  std::chrono::milliseconds connect_timeout{10000};  ///< TCP + TLS + CONNACK of one attempt
};

/// Counters since the publisher was created; see the file comment for their meaning.
struct MqttStats {
  std::uint64_t queued = 0, sent = 0, acknowledged = 0;
  std::uint64_t dropped = 0;  ///< dropped_full + dropped_invalid + dropped_at_stop
  std::uint64_t dropped_full = 0, dropped_invalid = 0, dropped_at_stop = 0;
  std::uint64_t queue_length = 0, in_flight = 0;
  std::uint64_t connects = 0;         ///< successful connections (CONNACK accepted)
  std::uint64_t disconnects = 0;      ///< connections lost after a CONNACK
  std::uint64_t failed_attempts = 0;  ///< attempts that never got an accepting CONNACK
  bool connected = false;
  std::string last_error;  ///< last connection problem, empty when none yet
};

enum class MqttEvent {
  Connected,      ///< CONNACK accepted (text: "connected to mqtt://host:port")
  Disconnected,   ///< an established connection was lost (text: why)
  ConnectFailed,  ///< an attempt failed (text: why: refused, TLS, DNS, not authorised...)
};

/// Called on the publisher's thread; must not call back into the publisher's stop().
using MqttEventCallback =
    std::function<void(MqttEvent event, const std::string &text, const MqttStats &stats)>;

class MqttPublisher {
 public:
  /// Sets up libmosquitto and starts the network thread, which connects in the background:
  /// an unreachable broker is reported through `on_event` (ConnectFailed) and retried, never
  /// thrown. Throws std::invalid_argument for settings libmosquitto rejects (QoS, an
  /// unreadable CA file, a client id that is too long) and std::runtime_error when it cannot
  /// be set up at all.
  MqttPublisher(MqttConfig config, MqttEventCallback on_event);
  ~MqttPublisher();  ///< stop() with no waiting, when not stopped yet
  MqttPublisher(const MqttPublisher &) = delete;
  MqttPublisher &operator=(const MqttPublisher &) = delete;

  /// Queues one message at the configured QoS; never blocks on the network (a mutex and an
  /// eventfd write). Returns false when it dropped the oldest queued message to make room.
  bool publish(std::string topic, std::string payload);
  /// Waits until every queued message is acknowledged or `timeout` has passed (at once when
  /// the broker was never reached); true when the queue and the in-flight set are empty. For
  /// EOS; any thread.
  bool flush(std::chrono::milliseconds timeout);
  /// Waits up to `drain` for the queue to empty (as flush(); not when the broker was never
  /// reached), disconnects and stops the
  /// thread; what is left counts as dropped_at_stop. Returns the final counters. Idempotent.
  MqttStats stop(std::chrono::milliseconds drain);
  MqttStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emo::publish
