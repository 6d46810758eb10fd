// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: MQTT properties and publisher shared by emometapublish and emosession (see
// gstemopublish.h).
#include "gstemopublish.h"

#include <stdexcept>

#include "gstemocommon.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_publish_debug);
#define GST_CAT_DEFAULT gst_emo_publish_debug

GType gst_emo_publish_method_get_type(void) {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_EMO_PUBLISH_METHOD_FILE, "JSON Lines to the file named by location", "file"},
      {GST_EMO_PUBLISH_METHOD_MQTT, "One MQTT message per frame with faces to address/topic",
       "mqtt"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstEmoPublishMethod", values);
    g_once_init_leave(&type, t);
  }
  return static_cast<GType>(type);
}

void GstEmoMqttSettings::init(const char *default_topic) {
  topic = g_strdup(default_topic);
  password_env = g_strdup(GST_EMO_MQTT_DEFAULT_PASSWORD_ENV);
}

void GstEmoMqttSettings::clear() {
  for (gchar **p : {&address, &topic, &client_id, &username, &password_env, &tls_ca_file}) {
    g_free(*p);
    *p = nullptr;
  }
  if (last_stats) gst_structure_free(last_stats);
  last_stats = nullptr;
}

void gst_emo_mqtt_install_properties(GObjectClass *klass, guint first, const char *default_topic,
                                     const char *what, GParamFlags mutability) {
  static gsize debug_once = 0;
  if (g_once_init_enter(&debug_once)) {
    GST_DEBUG_CATEGORY_INIT(gst_emo_publish_debug, "emopublish", 0, "gst-emo MQTT publishing");
    g_once_init_leave(&debug_once, 1);
  }
  const auto ready =
      static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | mutability);
  gchar *address_blurb = g_strdup_printf(
      "MQTT broker, mqtt://host[:port] (TCP, 1883) or mqtts://host[:port] (TLS, 8883), for %s; "
      "no user or password in it (see username, password-env)",
      what);
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_ADDRESS,
      g_param_spec_string("address", "Broker address", g_intern_string(address_blurb), nullptr,
                          ready));
  g_free(address_blurb);
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_TOPIC,
      g_param_spec_string("topic", "MQTT topic",
                          "Topic of the published messages (emosession: <topic>/windows)",
                          default_topic, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_QOS,
      g_param_spec_int("mqtt-qos", "MQTT QoS",
                       "0: at most once (written to the socket); 1: at least once (the broker "
                       "acknowledges, unacknowledged messages are sent again after a reconnect)",
                       0, 1, GST_EMO_MQTT_DEFAULT_QOS, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_CLIENT_ID,
      g_param_spec_string("client-id", "MQTT client id",
                          "MQTT client identifier; unset: gst-emo-<random>", nullptr, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_USERNAME,
      g_param_spec_string("username", "MQTT user name",
                          "User name for the broker; the password comes from the environment "
                          "variable named by password-env",
                          nullptr, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_PASSWORD_ENV,
      g_param_spec_string("password-env", "Password variable",
                          "Name of the environment variable holding the broker password (used "
                          "with username; never logged, posted or written)",
                          GST_EMO_MQTT_DEFAULT_PASSWORD_ENV, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_TLS_CA_FILE,
      g_param_spec_string("tls-ca-file", "TLS CA file",
                          "PEM file with the CA certificate(s) that signed the broker's "
                          "certificate (mqtts:// only); unset: the system's CAs",
                          nullptr, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_MAX_QUEUE,
      g_param_spec_uint("max-queue", "Maximum queue",
                        "Messages kept while the broker is slow or away, in messages; when "
                        "full the oldest is dropped and counted (stats, emo-publish-stats)",
                        1, 10000000, GST_EMO_MQTT_DEFAULT_MAX_QUEUE, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_FAIL_ON_DISCONNECT,
      g_param_spec_boolean("fail-on-disconnect", "Fail on disconnect",
                           "Post an error (which stops the pipeline) when the broker cannot be "
                           "reached or the connection is lost; false: a warning, and retries "
                           "with backoff",
                           FALSE, ready));
  g_object_class_install_property(
      klass, first + GST_EMO_MQTT_PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Publishing counters (emo-publish-stats): queued, sent, acknowledged, "
                         "dropped (queue full + refused + left at stop), queue-length, in-flight, "
                         "connected, connects, disconnects, last-error",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

bool gst_emo_mqtt_set_property(GstEmoMqttSettings &s, guint id, const GValue *value) {
  auto set_string = [&](gchar *&field) {
    g_free(field);
    field = g_value_dup_string(value);
  };
  switch (id) {
    case GST_EMO_MQTT_PROP_ADDRESS:
      set_string(s.address);
      return true;
    case GST_EMO_MQTT_PROP_TOPIC:
      set_string(s.topic);
      return true;
    case GST_EMO_MQTT_PROP_QOS:
      s.qos = g_value_get_int(value);
      return true;
    case GST_EMO_MQTT_PROP_CLIENT_ID:
      set_string(s.client_id);
      return true;
    case GST_EMO_MQTT_PROP_USERNAME:
      set_string(s.username);
      return true;
    case GST_EMO_MQTT_PROP_PASSWORD_ENV:
      set_string(s.password_env);
      return true;
    case GST_EMO_MQTT_PROP_TLS_CA_FILE:
      set_string(s.tls_ca_file);
      return true;
    case GST_EMO_MQTT_PROP_MAX_QUEUE:
      s.max_queue = g_value_get_uint(value);
      return true;
    case GST_EMO_MQTT_PROP_FAIL_ON_DISCONNECT:
      s.fail_on_disconnect = g_value_get_boolean(value);
      return true;
    default:
      return false;
  }
}

bool gst_emo_mqtt_get_property(const GstEmoMqttSettings &s, guint id, GValue *value) {
  switch (id) {
    case GST_EMO_MQTT_PROP_ADDRESS:
      g_value_set_string(value, s.address);
      return true;
    case GST_EMO_MQTT_PROP_TOPIC:
      g_value_set_string(value, s.topic);
      return true;
    case GST_EMO_MQTT_PROP_QOS:
      g_value_set_int(value, s.qos);
      return true;
    case GST_EMO_MQTT_PROP_CLIENT_ID:
      g_value_set_string(value, s.client_id);
      return true;
    case GST_EMO_MQTT_PROP_USERNAME:
      g_value_set_string(value, s.username);
      return true;
    case GST_EMO_MQTT_PROP_PASSWORD_ENV:
      g_value_set_string(value, s.password_env);
      return true;
    case GST_EMO_MQTT_PROP_TLS_CA_FILE:
      g_value_set_string(value, s.tls_ca_file);
      return true;
    case GST_EMO_MQTT_PROP_MAX_QUEUE:
      g_value_set_uint(value, s.max_queue);
      return true;
    case GST_EMO_MQTT_PROP_FAIL_ON_DISCONNECT:
      g_value_set_boolean(value, s.fail_on_disconnect);
      return true;
    case GST_EMO_MQTT_PROP_STATS:
      if (s.link)
        g_value_take_boxed(value, s.link->stats_structure("current"));
      else if (s.last_stats)
        g_value_set_boxed(value, s.last_stats);
      else
        g_value_take_boxed(
            value, gst_structure_new("emo-publish-stats", "connected", G_TYPE_BOOLEAN, FALSE,
                                     "queued", G_TYPE_UINT64, guint64(0), "dropped", G_TYPE_UINT64,
                                     guint64(0), nullptr));
      return true;
    default:
      return false;
  }
}

static std::string str(const gchar *s) { return s ? s : ""; }

std::unique_ptr<GstEmoMqttLink> GstEmoMqttLink::create(GstElement *element, GstEmoMqttSettings &s,
                                                       bool &fatal) {
  emo::publish::MqttConfig config;
  std::string address, password_env, topic;
  bool fail;
  {
    GstEmoObjectLock lock(element);
    address = str(s.address);
    topic = str(s.topic);
    config.client_id = str(s.client_id);
    config.username = str(s.username);
    password_env = str(s.password_env);
    config.ca_file = str(s.tls_ca_file);
    config.qos = s.qos;
    config.max_queue = s.max_queue;
    fail = s.fail_on_disconnect;
  }
  fatal = fail;
  /* Settings that cannot work are reported like an unreachable broker: a warning (the pipeline
   * goes on without publishing) or, with fail-on-disconnect, an error. */
  auto refuse = [&](const std::string &text) {
    if (fail)
      GST_ELEMENT_ERROR(element, RESOURCE, SETTINGS, ("%s", text.c_str()),
                        ("fail-on-disconnect=true"));
    else
      GST_ELEMENT_WARNING(element, RESOURCE, SETTINGS, ("%s", text.c_str()),
                          ("the pipeline goes on without publishing"));
  };
  if (topic.empty() || topic.find_first_of("#+") != std::string::npos) {
    refuse("Invalid MQTT topic \"" + topic +
           "\": it must be set and hold no wildcard (# +); nothing is published.");
    return nullptr;
  }
  try {
    config.address = emo::publish::parse_mqtt_address(address);
  } catch (const std::exception &e) {
    refuse(std::string("Invalid MQTT address: ") + e.what() + "; nothing is published.");
    return nullptr;
  }
  if (!password_env.empty()) {
    const gchar *pw = g_getenv(password_env.c_str());
    if (pw && *pw) config.password = pw;
  }
  if (!config.username.empty() && config.password.empty())
    GST_INFO_OBJECT(element, "MQTT user \"%s\" without a password (%s is not set)",
                    config.username.c_str(), password_env.c_str());
  if (config.username.empty() && !config.password.empty()) {
    GST_WARNING_OBJECT(element, "%s is set but username is not: the password is not used",
                       password_env.c_str());
    config.password.clear();
  }
  std::unique_ptr<GstEmoMqttLink> link(new GstEmoMqttLink());
  link->element_ = element;
  link->topic_ = topic;
  link->address_ = config.address.to_string();
  link->fail_on_disconnect_ = fail;
  GstEmoMqttLink *raw = link.get();
  try {
    link->publisher_ = std::make_unique<emo::publish::MqttPublisher>(
        std::move(config),
        [raw](emo::publish::MqttEvent e, const std::string &text,
              const emo::publish::MqttStats &stats) { raw->on_event(e, text, stats); });
  } catch (const std::exception &e) {
    refuse("Cannot publish to " + link->address_ + ": " + e.what() + "; nothing is published.");
    return nullptr;
  }
  GST_INFO_OBJECT(element, "publishing to %s, topic %s (user %s)", link->address_.c_str(),
                  topic.c_str(), str(s.username).empty() ? "none" : "set");
  return link;
}

GstEmoMqttLink::~GstEmoMqttLink() {
  try {
    finish(std::chrono::milliseconds(1000));
  } catch (...) {
  }
}

/* On the publisher's thread, possibly before the constructor has returned: only `stats`. */
void GstEmoMqttLink::on_event(emo::publish::MqttEvent e, const std::string &text,
                              const emo::publish::MqttStats &stats) {
  using emo::publish::MqttEvent;
  if (e == MqttEvent::Connected) {
    GST_INFO_OBJECT(element_, "%s", text.c_str());
    warned_ = false;
    post_stats("connected", stats);
    return;
  }
  const char *event = e == MqttEvent::Disconnected ? "disconnected" : "connect-failed";
  if (fail_on_disconnect_) {
    GST_ELEMENT_ERROR(element_, RESOURCE, WRITE, ("MQTT: %s.", text.c_str()),
                      ("fail-on-disconnect=true"));
  } else if (!warned_) {
    // Once per outage: the retries that follow are logged only.
    GST_ELEMENT_WARNING(element_, RESOURCE, WRITE, ("MQTT: %s.", text.c_str()),
                        ("the pipeline goes on; messages are queued (max-queue) meanwhile"));
    warned_ = true;
  } else {
    GST_INFO_OBJECT(element_, "MQTT: %s", text.c_str());
  }
  post_stats(event, stats);
}

void GstEmoMqttLink::publish(const std::string &topic, std::string payload) {
  publisher_->publish(topic, std::move(payload));
  const gint64 now = g_get_monotonic_time();
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    if (now - last_post_us_ < G_USEC_PER_SEC) return;
    last_post_us_ = now;
  }
  post_stats("periodic", publisher_->stats());  // at most once a second, while messages come
}

bool GstEmoMqttLink::flush(std::chrono::milliseconds timeout) {
  const bool ok = publisher_->flush(timeout);
  if (!ok)
    GST_WARNING_OBJECT(element_, "MQTT: messages still unacknowledged after %lld ms",
                       static_cast<long long>(timeout.count()));
  post_stats("flushed", publisher_->stats());
  return ok;
}

void GstEmoMqttLink::finish(std::chrono::milliseconds drain) {
  if (finished_) return;
  finished_ = true;
  const emo::publish::MqttStats s = publisher_->stop(drain);
  GST_INFO_OBJECT(element_,
                  "MQTT %s: %" G_GUINT64_FORMAT " queued, %" G_GUINT64_FORMAT
                  " acknowledged, %" G_GUINT64_FORMAT " dropped",
                  address_.c_str(), s.queued, s.acknowledged, s.dropped);
  post_stats("final", s);
}

GstStructure *GstEmoMqttLink::stats_structure(const char *event) const {
  return stats_structure(event, publisher_->stats());
}

GstStructure *GstEmoMqttLink::stats_structure(const char *event,
                                              const emo::publish::MqttStats &s) const {
  return gst_structure_new(
      "emo-publish-stats", "event", G_TYPE_STRING, event, "method", G_TYPE_STRING, "mqtt",
      "address", G_TYPE_STRING, address_.c_str(), "topic", G_TYPE_STRING, topic_.c_str(),
      "connected", G_TYPE_BOOLEAN, s.connected, "queued", G_TYPE_UINT64, s.queued, "sent",
      G_TYPE_UINT64, s.sent, "acknowledged", G_TYPE_UINT64, s.acknowledged, "dropped",
      G_TYPE_UINT64, s.dropped, "dropped-queue-full", G_TYPE_UINT64, s.dropped_full,
      "dropped-invalid", G_TYPE_UINT64, s.dropped_invalid, "dropped-at-stop", G_TYPE_UINT64,
      s.dropped_at_stop, "queue-length", G_TYPE_UINT64, s.queue_length, "in-flight", G_TYPE_UINT64,
      s.in_flight, "connects", G_TYPE_UINT64, s.connects, "disconnects", G_TYPE_UINT64,
      s.disconnects, "failed-attempts", G_TYPE_UINT64, s.failed_attempts, "last-error",
      G_TYPE_STRING, s.last_error.c_str(), nullptr);
}

void GstEmoMqttLink::post_stats(const char *event, const emo::publish::MqttStats &stats) {
  gst_element_post_message(
      element_, gst_message_new_element(GST_OBJECT(element_), stats_structure(event, stats)));
}
