// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-publish: broker address parsing, the drop-oldest queue and the publisher's accounting
// (queued = acknowledged + dropped + still queued/in flight) against a port nobody listens on.
// The publisher against a real broker (delivery, outages, TLS, passwords) is tested by
// tests/pipelines/test-mqtt.sh.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "../support/closed_port.hpp"
#include "emo/publish/mqtt.hpp"

using namespace emo::publish;
using namespace std::chrono_literals;

namespace {

std::string invalid_message(const std::string &url) {
  try {
    parse_mqtt_address(url);
  } catch (const std::invalid_argument &e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(MqttAddress, ParsesSchemesHostsAndPorts) {
  MqttAddress a = parse_mqtt_address("mqtt://broker.local:1999");
  EXPECT_EQ(a.host, "broker.local");
  EXPECT_EQ(a.port, 1999);
  EXPECT_FALSE(a.tls);
  a = parse_mqtt_address("mqtt://10.0.0.7");
  EXPECT_EQ(a.port, 1883);
  a = parse_mqtt_address("mqtts://broker.example.org");
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.port, 8883);
  a = parse_mqtt_address("mqtts://127.0.0.1:18883/");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 18883);
  a = parse_mqtt_address("mqtt://[::1]:1884");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.to_string(), "mqtt://[::1]:1884");
  EXPECT_EQ(parse_mqtt_address("mqtts://h:1").to_string(), "mqtts://h:1");
}

TEST(MqttAddress, RejectsWhatIsNotABrokerWithAClearMessage) {
  EXPECT_NE(invalid_message("").find("no broker address"), std::string::npos);
  EXPECT_NE(invalid_message("garbage").find("not a broker address"), std::string::npos);
  EXPECT_NE(invalid_message("http://host:80").find("unknown scheme \"http\""), std::string::npos);
  EXPECT_NE(invalid_message("mqtt://").find("no host"), std::string::npos);
  EXPECT_NE(invalid_message("mqtt://host:0").find("port outside"), std::string::npos);
  EXPECT_NE(invalid_message("mqtt://host:70000").find("port"), std::string::npos);
  EXPECT_NE(invalid_message("mqtt://host/topic").find("no path"), std::string::npos);
  // Credentials never go in the address (it is logged and posted): rejected, and the message
  // does not repeat them.
  const std::string creds = invalid_message("mqtt://user:s3cret@host:1883");
  EXPECT_NE(creds.find("must not hold a user or password"), std::string::npos);
  EXPECT_EQ(creds.find("s3cret"), std::string::npos);
}

TEST(DropOldestQueue, DropsTheOldestAndCountsIt) {
  DropOldestQueue q(3);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.push({"t", std::to_string(i), 1}), i < 3 ? 0u : 1u);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.dropped(), 2u);
  MqttMessage m;
  ASSERT_TRUE(q.pop(m));
  EXPECT_EQ(m.payload, "2");  // 0 and 1 were the oldest
  // A message taken out goes back at the head; when full, it is the one that goes.
  EXPECT_EQ(q.push_front(m), 0u);
  EXPECT_EQ(q.push_front({"t", "old", 1}), 1u);
  EXPECT_EQ(q.dropped(), 3u);
  std::string order;
  while (q.pop(m)) order += m.payload;
  EXPECT_EQ(order, "234");
  EXPECT_FALSE(q.pop(m));
  EXPECT_EQ(DropOldestQueue(0).capacity(), 1u);
  DropOldestQueue c(2);
  c.push({"t", "a", 0});
  EXPECT_EQ(c.clear(), 1u);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.dropped(), 0u);
}

TEST(MqttPublisher, NeverBlocksAndAccountsForEveryMessageWithoutABroker) {
  MqttConfig config;
  config.address =
      parse_mqtt_address("mqtt://127.0.0.1:" + std::to_string(emo::test::closed_port()));
  config.max_queue = 10;
  config.backoff_min = 50ms;
  config.backoff_max = 100ms;
  std::mutex mutex;
  std::vector<std::string> failures;
  MqttPublisher p(config, [&](MqttEvent e, const std::string &text, const MqttStats &) {
    std::lock_guard<std::mutex> lock(mutex);
    if (e == MqttEvent::ConnectFailed) failures.push_back(text);
  });
  const auto start = std::chrono::steady_clock::now();
  int refused_room = 0;
  for (int i = 0; i < 25; ++i)
    refused_room += p.publish("emo/test", "m" + std::to_string(i)) ? 0 : 1;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms) << "publish() must not block";
  EXPECT_EQ(refused_room, 15);
  std::this_thread::sleep_for(300ms);  // a few attempts, with backoff
  MqttStats s = p.stats();
  EXPECT_EQ(s.queued, 25u);
  EXPECT_EQ(s.dropped_full, 15u);
  EXPECT_EQ(s.queue_length, 10u);
  EXPECT_EQ(s.sent, 0u);
  EXPECT_FALSE(s.connected);
  EXPECT_GE(s.failed_attempts, 2u);
  EXPECT_NE(s.last_error.find("Connection refused"), std::string::npos) << s.last_error;
  s = p.stop(50ms);
  EXPECT_EQ(s.dropped_at_stop, 10u);
  EXPECT_EQ(s.dropped, 25u);
  EXPECT_EQ(s.queued, s.acknowledged + s.dropped);
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_FALSE(failures.empty());
  EXPECT_NE(failures[0].find("cannot connect to mqtt://127.0.0.1:"), std::string::npos)
      << failures[0];
  EXPECT_NE(failures[0].find("retrying in"), std::string::npos) << failures[0];
}

TEST(MqttPublisher, ReportsAHostThatDoesNotResolve) {
  MqttConfig config;
  config.address = parse_mqtt_address("mqtt://no-such-host.invalid:1883");
  std::atomic<bool> failed{false};
  std::string text;
  std::mutex mutex;
  MqttPublisher p(config, [&](MqttEvent e, const std::string &t, const MqttStats &) {
    std::lock_guard<std::mutex> lock(mutex);
    if (e == MqttEvent::ConnectFailed && !failed) text = t, failed = true;
  });
  for (int i = 0; i < 100 && !failed; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(failed);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_NE(text.find("cannot resolve the broker host \"no-such-host.invalid\""), std::string::npos)
      << text;
}

TEST(MqttPublisher, RejectsSettingsLibmosquittoCannotUse) {
  MqttConfig config;
  config.address = parse_mqtt_address("mqtts://127.0.0.1:8883");
  config.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(MqttPublisher(config, nullptr), std::invalid_argument);
  config.ca_file.clear();
  config.qos = 2;
  EXPECT_THROW(MqttPublisher(config, nullptr), std::invalid_argument);
  config.qos = 0;
  config.address = parse_mqtt_address("mqtt://127.0.0.1:1883");
  config.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  EXPECT_THROW(MqttPublisher(config, nullptr), std::invalid_argument);
}
