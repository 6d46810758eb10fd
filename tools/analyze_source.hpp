// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze: one analysed source (a file, an RTSP camera or a V4L2 device) = one pipeline.
//
// The pipeline has two parts:
//   source part  a bin "source-<n>" made from a launch line (filesrc ! decodebin, rtspsrc !
//                decodebin, v4l2src) ending in videoconvert, linked to
//   analysis     queue name=entry ! emofacedetect ! emolandmarks ! emoclassify
//                post-messages=true ! <sink>, the sink from a launch fragment (by default
//                `emosession location=<outdir>/<name>.jsonl sync=false`).
// The analysis part lives as long as the source. When a live source (RTSP, V4L2) drops (an
// error, the server closing the connection, or no frame for `stall-timeout`), only the source
// bin is torn down and, after an exponential backoff, re-created; the pipeline keeps PLAYING,
// so its running time keeps going and the sink sees a new segment after a gap. After
// `retries` failed attempts in a row the source gives up: the analysis part gets EOS (the
// session writes what it has) and the source counts as failed.
//
// All methods run on the thread of the default GMainContext (the tool's one GMainLoop),
// except the pad probe and the bus sync handler, which only touch atomics and post messages.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace emo_analyze {

struct Settings {
  std::string outdir = ".";
  /// Launch fragment of the sink; "{location}" is replaced by the quoted JSON Lines path.
  std::string sink = "emosession location={location} sync=false";
  int retries = 5;                ///< reconnect attempts in a row before giving up
  double backoff = 1.0;           ///< first reconnect delay, seconds; doubles per attempt
  double backoff_max = 30.0;      ///< longest reconnect delay, seconds
  double stall_timeout = 10.0;    ///< seconds without a frame before a live source counts as lost
  int latency_ms = 200;           ///< rtspsrc jitter buffer, milliseconds
  std::string protocols = "tcp";  ///< rtspsrc lower transports ("tcp", "udp", "udp+tcp")
  bool verbose = false;           ///< also print warnings of the source part
  /// Files play at their own frame rate, as a live camera (clocksync after the decoder) and go
  /// through the same leaky queue: frames the analysis is too slow for are skipped.
  bool realtime = false;
  /// MQTT (--mqtt): when `mqtt_address` is set, an `emometapublish method=mqtt` before the sink
  /// publishes each frame with faces to <mqtt_topic>/<name>/faces and an emosession sink also
  /// publishes its windows to <mqtt_topic>/<name>/windows. Password: $EMO_MQTT_PASSWORD.
  std::string mqtt_address, mqtt_topic = "gst-emo", mqtt_user, mqtt_ca;
  int mqtt_qos = 1;
  /// A second branch after emoclassify (launch fragment; emo-analyze --http's annotated video):
  /// when set, `... ! emoclassify ! tee name=analysis-tee ! <publish> ! <sink>
  /// analysis-tee. ! <branch>`.
  std::string branch;
};

/// What a source is doing, as emo-analyze --http shows it.
enum class State { Connecting, Streaming, Reconnecting, Stopping, Finished, Failed };
const char *to_string(State state);

enum class Kind { File, Rtsp, V4l2 };

class Source;

/// Told, on the main loop, what a source does (emo-analyze --http).
class SourceObserver {
 public:
  virtual ~SourceObserver() = default;
  /// The source's state() or attempt may have changed.
  virtual void state_changed(Source &source) = 0;
  /// An element message of the analysis part ("emo-session-window", "emo-session-analysis").
  virtual void element_message(Source &source, const GstStructure *s) = 0;
};

// One attempt of the source part. Owned by the Source; lives until its bin is in NULL and out
// of the pipeline, so the probe and the sync handler may use it from streaming threads.
struct Link {
  Source *source = nullptr;
  int generation = 0;               // 1, 2, ... (bin "source-<generation>")
  GstElement *bin = nullptr;        // owned by the pipeline
  std::atomic<bool> failed{false};  // an error or warning came from inside the bin
  std::atomic<bool> got_data{false};
  std::atomic<gint64> last_data_us{0};
  gint64 started_us = 0;
};

constexpr const char *kLinkKey = "emo-analyze-link";         // GObject data: bin -> Link
constexpr const char *kConnected = "emo-analyze-connected";  // application message: 1st frame
constexpr const char *kDropped = "emo-analyze-dropped";      // application message: EOS after
                                                             // an error (a drop)

class Source {
 public:
  /// `spec`: a file path, a file:// URI, an rtsp(s):// URL or v4l2://DEVICE. `on_done` is
  /// called once the source has finished (EOS through the analysis, or a fatal error).
  Source(std::string spec, std::string name, const Settings &settings,
         std::function<void()> on_done);
  ~Source();
  Source(const Source &) = delete;
  Source &operator=(const Source &) = delete;

  /// Builds the pipeline and sets it to PLAYING. False (and a message) when it cannot.
  bool start();
  /// Clean stop (first Ctrl-C): no more reconnects, EOS into the analysis part; the source is
  /// done when the sink has handled it (emosession waits for its pending analyses).
  void stop();
  /// Hard stop (second Ctrl-C): the pipeline goes to NULL at once.
  void abort();
  /// Called every second: detects stalled live sources.
  void check_stall();
  /// One progress line (frames, fps since the last call, faces, current emotion).
  std::string progress();

  bool done() const { return done_; }
  bool failed() const { return failed_; }
  const std::string &name() const { return name_; }
  const std::string &output() const { return output_; }
  /// The source as shown in messages (RTSP user and password removed).
  const std::string &shown() const { return shown_; }
  Kind kind() const { return kind_; }
  State state() const;
  /// Reconnect attempt in progress (1..retries) while reconnecting, else 0.
  int attempt() const { return attempts_; }
  int retries() const { return settings_.retries; }
  /// Frames that reached the analysis part from the source, analysed ones among them (the
  /// others were skipped by the leaky queue of a live source or by QoS).
  guint64 received() const { return received_.load(); }
  guint64 analysed() const { return frames_; }
  /// Frames per second analysed over the last second or so; faces in the last frame.
  double fps() const { return fps_; }
  int faces() const { return faces_; }
  /// The pipeline (null before start() and after a failed start); owned by the source.
  GstElement *pipeline() const { return pipeline_; }
  /// Set before start(); not owned; must outlive the source or be reset to null.
  void set_observer(SourceObserver *observer) { observer_ = observer; }

 private:
  friend struct Link;
  static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer self);
  static GstBusSyncReply on_sync(GstBus *bus, GstMessage *msg, gpointer self);
  static GstPadProbeReturn on_probe(GstPad *pad, GstPadProbeInfo *info, gpointer link);
  static gboolean on_retry(gpointer self);

  void handle(GstMessage *msg);
  std::string source_launch() const;
  bool connect();  // builds, adds and links a new source bin
  void teardown();
  void lost(const std::string &reason);
  void send_eos();
  void finish(bool failed, const std::string &why);
  void say(const char *format, ...) const G_GNUC_PRINTF(2, 3);
  void notify() {
    if (observer_) observer_->state_changed(*this);
  }

  std::string spec_, name_, shown_, output_, location_;
  Kind kind_ = Kind::File;
  Settings settings_;
  std::function<void()> on_done_;
  GstElement *pipeline_ = nullptr;
  GstPad *entry_ = nullptr;  // sink pad of the analysis part's queue
  std::unique_ptr<Link> link_;
  guint bus_watch_ = 0, retry_ = 0;
  int attempts_ = 0, generation_ = 0;
  bool ever_connected_ = false, eos_sent_ = false, done_ = false, failed_ = false;
  std::atomic<bool> stopping_{false};
  std::string last_warning_;
  // progress
  guint64 frames_ = 0, frames_at_last_ = 0, windows_ = 0;
  std::atomic<guint64> received_{0};  // counted by the source probe (streaming thread)
  gint64 last_progress_us_ = 0;
  int faces_ = 0;
  std::string emotion_;
  guint64 mqtt_dropped_ = 0;  // highest dropped count an MQTT publisher reported
  double fps_ = 0;
  guint64 fps_frames_ = 0;
  gint64 fps_us_ = 0;
  SourceObserver *observer_ = nullptr;
};

/// A file-system-safe name for a source spec ("dinner-720p", "127.0.0.1-8554-stream",
/// "video0"), without any credentials.
std::string source_name(const std::string &spec);

}  // namespace emo_analyze
