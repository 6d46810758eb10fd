// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-pipeline-bench: runs one gst-launch description to EOS and reports, for every sink, the
// frames it received, the frames with at least one face region, and how late buffers reached
// it; for the whole run the wall time, frames per second, CPU time, peak resident memory and
// the frames dropped by QoS (summed over elements). A benchmark, not a test: it never fails on
// timing.
//
//   emo-pipeline-bench [--seconds S] [--label NAME] 'filesrc location=clip.mp4 ! decodebin !
//       videoconvert ! emofacedetect ! fakesink name=out'
//
// Output, one `key=value` line per sink and one summary line (times in milliseconds unless
// the key says otherwise):
//   sink label=L name=out frames=1971 rendered=1971 dropped=0 face_frames=1500
//       late_median_ms=-3.1 late_p99_ms=... late_max_ms=...
//   run label=L frames=1971 wall_s=12.3 fps=160.2 cpu_s=20.1 maxrss_kb=123456
//       qos_dropped=0 setup_s=0.8 steady_cpu_s=19.5
// (steady_cpu_s: the process's CPU time from the first buffer at the first sink to the end, so
// without loading models and starting decoders)
//   count label=L name=count0 buffers=500          (every element named count*: buffers into it)
//   element label=L name=emofacedetect0 processed=480 skipped=0 model_loaded=1 model_users=1
//                                                  (every gst-emo analysis element's `stats`)
// `frames` counts buffers reaching the sink's pad; `rendered` and `dropped` are the sink's own
// "stats" (dropped: too late for max-lateness). `frames` and `fps` of the run line are those
// of the first sink. Lateness is the pipeline
// clock's running time when the buffer reached the sink's pad minus the buffer's running time
// (negative: early, the sink waits; only meaningful for sinks with sync=true).
#include <gst/gst.h>
#include <gst/video/video.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

double cpu_seconds(const rusage &u);

struct SinkStats {
  std::string name;
  std::mutex lock;
  GstSegment segment;
  guint64 frames = 0;
  guint64 face_frames = 0;
  std::vector<double> lateness_ms;
  GstClockTime warmup = 0;  // lateness of buffers before this running time is left out
  double first_cpu_s = -1;  // process CPU time when the first buffer arrived
  GstElement *element = nullptr;
};

bool has_face(GstBuffer *buffer) {
  gpointer state = nullptr;
  GstMeta *meta;
  while ((meta = gst_buffer_iterate_meta_filtered(
              buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) != nullptr) {
    auto *roi = reinterpret_cast<GstVideoRegionOfInterestMeta *>(meta);
    if (roi->roi_type == g_quark_from_static_string("face")) return true;
  }
  return false;
}

GstPadProbeReturn on_sink_data(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *stats = static_cast<SinkStats *>(user_data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {  // a seek: count from its preroll on
      std::lock_guard<std::mutex> guard(stats->lock);
      stats->frames = stats->face_frames = 0;
      stats->lateness_ms.clear();
    } else if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
      const GstSegment *segment = nullptr;
      gst_event_parse_segment(event, &segment);
      std::lock_guard<std::mutex> guard(stats->lock);
      gst_segment_copy_into(segment, &stats->segment);
    }
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  double late = 0.0;
  bool have_late = false;
  if (GstClock *clock = gst_element_get_clock(stats->element)) {
    const GstClockTime now = gst_clock_get_time(clock);
    const GstClockTime base = gst_element_get_base_time(stats->element);
    gst_object_unref(clock);
    std::lock_guard<std::mutex> guard(stats->lock);
    const guint64 rt =
        gst_segment_to_running_time(&stats->segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
    if (GST_CLOCK_TIME_IS_VALID(rt) && now >= base && rt >= stats->warmup) {
      late = (static_cast<double>(now - base) - static_cast<double>(rt)) / 1e6;
      have_late = true;
    }
  }
  const bool face = has_face(buffer);
  std::lock_guard<std::mutex> guard(stats->lock);
  if (stats->frames == 0) {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    stats->first_cpu_s = cpu_seconds(u);
  }
  ++stats->frames;
  if (face) ++stats->face_frames;
  if (have_late) stats->lateness_ms.push_back(late);
  return GST_PAD_PROBE_OK;
}

// Calls `f` on every element of `bin`, recursively.
template <typename F>
void for_each_element(GstElement *bin, F f) {
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    f(GST_ELEMENT(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

double cpu_seconds(const rusage &u) {
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct ObjectDeleter {
  void operator()(gpointer o) const { gst_object_unref(o); }
};
using ElementPtr = std::unique_ptr<GstElement, ObjectDeleter>;
using BusPtr = std::unique_ptr<GstBus, ObjectDeleter>;

enum class Wait { kGot, kError, kTimeout };

// Frames dropped by QoS: each element reports its own running total; sum the latest of each.
struct QosTotals {
  std::map<std::string, guint64> dropped;
  guint64 total() const {
    guint64 sum = 0;
    for (const auto &entry : dropped) sum += entry.second;
    return sum;
  }
};

// Waits up to `timeout` for one of `types`; prints ERROR messages.
Wait wait_for(GstBus *bus, GstMessageType types, QosTotals &qos,
              GstClockTime timeout = GST_CLOCK_TIME_NONE) {
  const gint64 deadline = GST_CLOCK_TIME_IS_VALID(timeout)
                              ? g_get_monotonic_time() + static_cast<gint64>(timeout / 1000)
                              : G_MAXINT64;
  for (;;) {
    GstClockTime left = GST_CLOCK_TIME_NONE;
    if (deadline != G_MAXINT64)
      left =
          static_cast<GstClockTime>(std::max<gint64>(0, deadline - g_get_monotonic_time())) * 1000;
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, left, static_cast<GstMessageType>(types | GST_MESSAGE_ERROR | GST_MESSAGE_QOS));
    if (msg == nullptr) return Wait::kTimeout;
    const GstMessageType type = GST_MESSAGE_TYPE(msg);
    if (type == GST_MESSAGE_QOS) {
      GstFormat format;
      guint64 processed = 0, dropped = 0;
      gst_message_parse_qos_stats(msg, &format, &processed, &dropped);
      gchar *path = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
      qos.dropped[path] = dropped;
      g_free(path);
      gst_message_unref(msg);
      continue;
    }
    if (type == GST_MESSAGE_ERROR) {
      GError *error = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(msg, &error, &debug);
      g_printerr("error from %s: %s (%s)\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), error->message,
                 debug ? debug : "");
      g_clear_error(&error);
      g_free(debug);
      gst_message_unref(msg);
      return Wait::kError;
    }
    gst_message_unref(msg);
    return Wait::kGot;
  }
}

}  // namespace

int main(int argc, char **argv) {
  gdouble seconds = 0.0, warmup = 0.0;
  gboolean live = FALSE;
  gchar *label = nullptr;
  gchar **rest = nullptr;
  const GOptionEntry entries[] = {
      {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
       "Play only the first S seconds of the stream (0 = all)", "S"},
      {"live", 0, 0, G_OPTION_ARG_NONE, &live,
       "The pipeline cannot preroll (a live source, identity sync=true): go to PLAYING at once "
       "and send EOS after --seconds of wall time",
       nullptr},
      {"label", 'l', 0, G_OPTION_ARG_STRING, &label, "Name printed on every output line", "NAME"},
      {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup,
       "Leave the lateness of the buffers of the first S seconds of running time out of the "
       "sink figures (a live stream's start-up)",
       "S"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, nullptr, "PIPELINE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new("PIPELINE - run a pipeline and measure it");
  g_option_context_add_main_entries(context, entries, nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  GError *error = nullptr;
  if (!g_option_context_parse(context, &argc, &argv, &error) || rest == nullptr) {
    g_printerr("%s\n", error ? error->message : "a pipeline description is required");
    g_clear_error(&error);
    g_option_context_free(context);
    return 2;
  }
  g_option_context_free(context);
  gchar *description = g_strjoinv(" ", rest);
  g_strfreev(rest);
  const std::string name = label ? label : "run";
  g_free(label);

  const auto t0 = std::chrono::steady_clock::now();
  ElementPtr pipeline(gst_parse_launch(description, &error));
  g_free(description);
  if (!pipeline || error) {
    g_printerr("cannot build the pipeline: %s\n", error ? error->message : "unknown error");
    g_clear_error(&error);
    return 2;
  }

  // One probe per sink (recursively), in the order the bin lists them.
  std::vector<std::unique_ptr<SinkStats>> sinks;
  GstIterator *it = gst_bin_iterate_sinks(GST_BIN(pipeline.get()));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *element = GST_ELEMENT(g_value_get_object(&item));
    if (GstPad *pad = gst_element_get_static_pad(element, "sink")) {
      auto stats = std::make_unique<SinkStats>();
      stats->name = GST_OBJECT_NAME(element);
      stats->element = element;
      stats->warmup = static_cast<GstClockTime>(warmup * GST_SECOND);
      gst_segment_init(&stats->segment, GST_FORMAT_TIME);
      gst_pad_add_probe(pad,
                        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                     GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                        on_sink_data, stats.get(), nullptr);
      gst_object_unref(pad);
      sinks.push_back(std::move(stats));
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  std::reverse(sinks.begin(), sinks.end());  // iterate_sinks lists the last added first
  if (sinks.empty()) {
    g_printerr("the pipeline has no sink\n");
    return 2;
  }

  // Buffers into every element named count* (e.g. an identity before a leaky queue).
  std::vector<std::pair<std::string, std::unique_ptr<std::atomic<guint64>>>> counters;
  for_each_element(pipeline.get(), [&counters](GstElement *element) {
    if (!g_str_has_prefix(GST_OBJECT_NAME(element), "count")) return;
    GstPad *pad = gst_element_get_static_pad(element, "sink");
    if (!pad) return;
    counters.emplace_back(GST_OBJECT_NAME(element), std::make_unique<std::atomic<guint64>>(0));
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *, gpointer n) {
          ++*static_cast<std::atomic<guint64> *>(n);
          return GST_PAD_PROBE_OK;
        },
        counters.back().second.get(), nullptr);
    gst_object_unref(pad);
  });

  BusPtr bus(gst_element_get_bus(pipeline.get()));
  QosTotals qos;
  auto fail = [&pipeline]() {
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return 1;
  };
  if (!live) {
    gst_element_set_state(pipeline.get(), GST_STATE_PAUSED);
    if (wait_for(bus.get(), GST_MESSAGE_ASYNC_DONE, qos) != Wait::kGot) return fail();
  }
  if (!live && seconds > 0.0) {
    const auto stop = static_cast<gint64>(seconds * GST_SECOND);
    if (!gst_element_seek(pipeline.get(), 1.0, GST_FORMAT_TIME,
                          static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                          GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, stop))
      g_printerr("warning: the seek to limit the run to %.1f s failed; playing it all\n", seconds);
    if (wait_for(bus.get(), GST_MESSAGE_ASYNC_DONE, qos) != Wait::kGot) return fail();
  }
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto t1 = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  Wait result = Wait::kTimeout;
  if (live && seconds > 0.0) {
    result =
        wait_for(bus.get(), GST_MESSAGE_EOS, qos, static_cast<GstClockTime>(seconds * GST_SECOND));
    if (result == Wait::kTimeout) gst_element_send_event(pipeline.get(), gst_event_new_eos());
  }
  if (result == Wait::kTimeout) result = wait_for(bus.get(), GST_MESSAGE_EOS, qos);
  const auto t2 = std::chrono::steady_clock::now();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  if (result != Wait::kGot) return fail();
  const double wall = std::chrono::duration<double>(t2 - t1).count();
  const double setup = std::chrono::duration<double>(t1 - t0).count();
  for (auto &s : sinks) {
    // GstBaseSink's own counts: buffers rendered, and dropped for being too late.
    guint64 rendered = 0, dropped = 0;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(s->element), "stats") != nullptr) {
      GstStructure *stats = nullptr;
      g_object_get(s->element, "stats", &stats, nullptr);
      if (stats != nullptr) {
        gst_structure_get_uint64(stats, "rendered", &rendered);
        gst_structure_get_uint64(stats, "dropped", &dropped);
        gst_structure_free(stats);
      }
    }
    std::lock_guard<std::mutex> guard(s->lock);
    std::printf(
        "sink label=%s name=%s frames=%llu rendered=%llu dropped=%llu face_frames=%llu "
        "late_median_ms=%.2f late_p99_ms=%.2f late_max_ms=%.2f\n",
        name.c_str(), s->name.c_str(), static_cast<unsigned long long>(s->frames),
        static_cast<unsigned long long>(rendered), static_cast<unsigned long long>(dropped),
        static_cast<unsigned long long>(s->face_frames), percentile(s->lateness_ms, 0.5),
        percentile(s->lateness_ms, 0.99), percentile(s->lateness_ms, 1.0));
  }
  const guint64 frames = sinks.front()->frames;
  // Steady state: from the first buffer at the first sink on (models loaded, decoders started).
  const double steady_cpu =
      sinks.front()->first_cpu_s >= 0 ? cpu_seconds(after) - sinks.front()->first_cpu_s : 0.0;
  std::printf(
      "run label=%s frames=%llu wall_s=%.3f fps=%.1f cpu_s=%.2f maxrss_kb=%ld qos_dropped=%llu "
      "setup_s=%.2f steady_cpu_s=%.2f\n",
      name.c_str(), static_cast<unsigned long long>(frames), wall,
      wall > 0 ? static_cast<double>(frames) / wall : 0.0, cpu_seconds(after) - cpu_seconds(before),
      after.ru_maxrss, static_cast<unsigned long long>(qos.total()), setup, steady_cpu);
  for (const auto &[counter, n] : counters)
    std::printf("count label=%s name=%s buffers=%llu\n", name.c_str(), counter.c_str(),
                static_cast<unsigned long long>(n->load()));
  for_each_element(pipeline.get(), [&name](GstElement *element) {
    if (!g_object_class_find_property(G_OBJECT_GET_CLASS(element), "stats")) return;
    GstStructure *stats = nullptr;
    g_object_get(element, "stats", &stats, nullptr);
    if (!stats) return;
    guint64 processed = 0, skipped = 0;
    guint loaded = 0, users = 0;
    if (gst_structure_has_name(stats, "emo-analysis-stats") &&
        gst_structure_get_uint64(stats, "processed", &processed) &&
        gst_structure_get_uint64(stats, "skipped", &skipped)) {
      gst_structure_get_uint(stats, "model-loaded", &loaded);
      gst_structure_get_uint(stats, "model-users", &users);
      std::printf(
          "element label=%s name=%s processed=%llu skipped=%llu model_loaded=%u model_users=%u\n",
          name.c_str(), GST_OBJECT_NAME(element), static_cast<unsigned long long>(processed),
          static_cast<unsigned long long>(skipped), loaded, users);
    }
    gst_structure_free(stats);
  });
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  return 0;
}
