// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: broker address parsing (GLib's GUri) and the drop-oldest message queue.
#include <glib.h>

#include <stdexcept>

#include "emo/publish/mqtt.hpp"

namespace emo::publish {

std::string MqttAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "mqtts://" : "mqtt://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

MqttAddress parse_mqtt_address(const std::string &url) {
  if (url.empty()) throw std::invalid_argument("no broker address (expected mqtt://host:port)");
  GError *error = nullptr;
  GUri *uri = g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, &error);
  if (!uri) {
    const std::string why = error ? error->message : "not a URI";
    g_clear_error(&error);
    throw std::invalid_argument("\"" + url + "\" is not a broker address (expected " +
                                "mqtt://host:port or mqtts://host:port): " + why);
  }
  struct Unref {
    GUri *u;
    ~Unref() { g_uri_unref(u); }
  } guard{uri};
  const std::string scheme = g_uri_get_scheme(uri) ? g_uri_get_scheme(uri) : "";
  MqttAddress a;
  if (scheme == "mqtt" || scheme == "tcp") {
    a.tls = false;
    a.port = 1883;
  } else if (scheme == "mqtts" || scheme == "ssl") {
    a.tls = true;
    a.port = 8883;
  } else {
    throw std::invalid_argument("\"" + url + "\": unknown scheme \"" + scheme +
                                "\" (expected mqtt:// or mqtts://)");
  }
  if (g_uri_get_userinfo(uri))
    throw std::invalid_argument(
        "the broker address must not hold a user or password: set username, and put the "
        "password in the environment variable named by password-env");
  const gchar *host = g_uri_get_host(uri);
  if (!host || !*host) throw std::invalid_argument("\"" + url + "\": no host");
  a.host = host;
  const gint port = g_uri_get_port(uri);
  if (port != -1) {
    if (port < 1 || port > 65535)
      throw std::invalid_argument("\"" + url + "\": port outside 1-65535");
    a.port = port;
  }
  const gchar *path = g_uri_get_path(uri);
  if ((path && *path && std::string(path) != "/") || g_uri_get_query(uri) ||
      g_uri_get_fragment(uri))
    throw std::invalid_argument("\"" + url + "\": a broker address has no path or query " +
                                "(the topic is a property of its own)");
  return a;
}

DropOldestQueue::DropOldestQueue(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

std::size_t DropOldestQueue::push(MqttMessage m) {
  std::size_t dropped = 0;
  if (items_.size() >= capacity_) {
    items_.pop_front();
    ++dropped_;
    dropped = 1;
  }
  items_.push_back(std::move(m));
  return dropped;
}

std::size_t DropOldestQueue::push_front(MqttMessage m) {
  if (items_.size() >= capacity_) {
    ++dropped_;  // it is older than everything queued: it goes
    return 1;
  }
  items_.push_front(std::move(m));
  return 0;
}

bool DropOldestQueue::pop(MqttMessage &out) {
  if (items_.empty()) return false;
  out = std::move(items_.front());
  items_.pop_front();
  return true;
}

std::size_t DropOldestQueue::clear() {
  const std::size_t n = items_.size();
  items_.clear();
  return n;
}

}  // namespace emo::publish
