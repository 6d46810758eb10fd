// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the MQTT properties and the running MQTT publisher shared by emometapublish and
// emosession (one definition of every property, its blurb and its default; one way of
// reporting the connection and the dropped count on the bus).
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "emo/publish/messages.hpp"
#include "emo/publish/mqtt.hpp"

G_BEGIN_DECLS

/// emometapublish's `method`.
typedef enum {
  GST_EMO_PUBLISH_METHOD_FILE = 0,
  GST_EMO_PUBLISH_METHOD_MQTT = 1,
} GstEmoPublishMethod;

#define GST_TYPE_EMO_PUBLISH_METHOD (gst_emo_publish_method_get_type())
GType gst_emo_publish_method_get_type(void);

G_END_DECLS

/// Version of the JSON messages gst-emo publishes (the "version" member of each message).
#define GST_EMO_PUBLISH_SCHEMA_VERSION (emo::publish::kSchemaVersion)

/// The shared properties, relative to the first id an element reserves for them: the element
/// installs them with gst_emo_mqtt_install_properties(klass, FIRST, ...) and hands ids from
/// FIRST to FIRST + GST_EMO_MQTT_N_PROPS - 1 to gst_emo_mqtt_set/get_property().
enum GstEmoMqttProp {
  GST_EMO_MQTT_PROP_ADDRESS,
  GST_EMO_MQTT_PROP_TOPIC,
  GST_EMO_MQTT_PROP_QOS,
  GST_EMO_MQTT_PROP_CLIENT_ID,
  GST_EMO_MQTT_PROP_USERNAME,
  GST_EMO_MQTT_PROP_PASSWORD_ENV,
  GST_EMO_MQTT_PROP_TLS_CA_FILE,
  GST_EMO_MQTT_PROP_MAX_QUEUE,
  GST_EMO_MQTT_PROP_FAIL_ON_DISCONNECT,
  GST_EMO_MQTT_PROP_STATS,
  GST_EMO_MQTT_N_PROPS
};

#define GST_EMO_MQTT_DEFAULT_PASSWORD_ENV "EMO_MQTT_PASSWORD"
#define GST_EMO_MQTT_DEFAULT_QOS 1
#define GST_EMO_MQTT_DEFAULT_MAX_QUEUE 1000
/// At EOS an element waits this long for its queued messages to be acknowledged.
#define GST_EMO_MQTT_EOS_DRAIN std::chrono::milliseconds(5000)

class GstEmoMqttLink;

/// An element's MQTT settings (under GST_OBJECT_LOCK) and the last final stats.
struct GstEmoMqttSettings {
  gchar *address = nullptr, *topic = nullptr, *client_id = nullptr, *username = nullptr,
        *password_env = nullptr, *tls_ca_file = nullptr;
  gint qos = GST_EMO_MQTT_DEFAULT_QOS;
  guint max_queue = GST_EMO_MQTT_DEFAULT_MAX_QUEUE;
  gboolean fail_on_disconnect = FALSE;
  GstStructure *last_stats = nullptr;  // of the last run, once it has stopped
  GstEmoMqttLink *link = nullptr;      // the running publisher, owned by the element's state

  void init(const char *default_topic);
  void clear();
};

/// `what`: what is published, for the blurbs ("one message per frame with faces");
/// `mutability`: when the element reads them (GST_PARAM_MUTABLE_READY for an element that
/// starts in READY -> PAUSED, 0 for one that starts in NULL -> READY, as a GstBaseSink).
void gst_emo_mqtt_install_properties(GObjectClass *klass, guint first_id, const char *default_topic,
                                     const char *what, GParamFlags mutability);
/// Both return false for an id that is not one of the shared properties. Call under
/// GST_OBJECT_LOCK, with the id minus the element's first id.
bool gst_emo_mqtt_set_property(GstEmoMqttSettings &s, guint id, const GValue *value);
bool gst_emo_mqtt_get_property(const GstEmoMqttSettings &s, guint id, GValue *value);

/// A running publisher of one element: built in start(), finished in stop(). Connection
/// problems become warnings (errors with fail-on-disconnect) naming the broker and the reason;
/// "emo-publish-stats" element messages carry the counters (on every connection change, at
/// most once a second while they change, and a final one).
class GstEmoMqttLink {
 public:
  /// Reads the settings (takes the object lock) and the password from the environment
  /// variable they name; starts connecting in the background. Settings that cannot work (an
  /// address that does not parse, an unreadable CA file, a bad topic) give nullptr and a
  /// warning naming the problem (the element goes on without publishing) or, with
  /// fail-on-disconnect, an error; `fatal` then says the element must fail its start.
  static std::unique_ptr<GstEmoMqttLink> create(GstElement *element, GstEmoMqttSettings &s,
                                                bool &fatal);
  ~GstEmoMqttLink();  ///< finish() with a short drain when not finished yet

  const std::string &topic() const { return topic_; }
  /// Queues one message on `topic` (never blocks); posts the stats when they are due.
  void publish(const std::string &topic, std::string payload);
  /// Waits up to `timeout` for every queued message to be acknowledged (EOS).
  bool flush(std::chrono::milliseconds timeout);
  /// Stops the publisher after at most `drain` and posts the final stats.
  void finish(std::chrono::milliseconds drain);
  /// The counters as a GstStructure "emo-publish-stats" (caller owns it).
  GstStructure *stats_structure(const char *event) const;

 private:
  GstEmoMqttLink() = default;
  void on_event(emo::publish::MqttEvent e, const std::string &text,
                const emo::publish::MqttStats &stats);
  void post_stats(const char *event, const emo::publish::MqttStats &stats);
  GstStructure *stats_structure(const char *event, const emo::publish::MqttStats &s) const;

  GstElement *element_ = nullptr;
  std::string topic_, address_;
  bool fail_on_disconnect_ = false;
  bool warned_ = false;    // a warning was posted for the current outage (network thread)
  std::mutex post_mutex_;  // publish() may come from several threads (emosession)
  gint64 last_post_us_ = 0;
  bool finished_ = false;
  std::unique_ptr<emo::publish::MqttPublisher> publisher_;
};
