// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:gstemoanalysisfilter
 * @title: GstEmoAnalysisFilter
 *
 * Abstract base class of gst-emo's analysis elements (see gstemoanalysisfilter.h for the
 * contract with subclasses). Properties it adds to every subclass:
 *
 * - `stats` (read-only #GstStructure "emo-analysis-stats"): `processed` (guint64, frames
 *   analysed since the element started) and `skipped` (guint64, late frames passed on without
 *   analysis because of QoS); while started, an element with a model also reports how the
 *   process shares its file: `model` (string, canonical path), `model-loaded` (guint, copies
 *   of the file loaded in the process now) and `model-users` (guint, elements using them);
 * - `opencv-threads` (#GstEmoOpenCVThreads, default "own"): where the element's OpenCV
 *   parallel loops run; read when the element starts.
 *
 * With GstBaseTransform's `qos` (default TRUE) a frame whose running time is at or before the
 * earliest time downstream still wants (from the QOS events of the sink; when late, twice the
 * lateness ahead, as GstBaseTransform and GstVideoDecoder aim) passes on untouched and a QoS
 * message is posted: running time, stream time, timestamp and duration of the frame, jitter
 * (ns, how late it was), the proportion from the QOS event, quality 1000000, and the stats in
 * buffers (`processed` = frames analysed, `dropped` = analyses skipped; the frame itself is not
 * dropped). With `qos=false` every frame is analysed.
 *
 * Properties read when the element starts (`model`, `opencv-threads`) cannot change while it
 * is started (PAUSED, PLAYING): a new value is refused with a warning message on the bus, and
 * the property keeps reading back the value in use. Set them in the NULL or READY state.
 */
#include "gstemoanalysisfilter.h"

#include <atomic>
#include <exception>
#include <memory>

#include "emo/core/model_usage.hpp"
#include "emo/core/opencv_threads.hpp"
#include "emo/gst/stream_geometry.hpp"
#include "gstemocommon.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_analysis_filter_debug);
#define GST_CAT_DEFAULT gst_emo_analysis_filter_debug

enum {
  PROP_0,
  PROP_STATS,
  PROP_OPENCV_THREADS,
};

#define DEFAULT_OPENCV_THREADS GST_EMO_OPENCV_THREADS_OWN

GType gst_emo_opencv_threads_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_EMO_OPENCV_THREADS_OWN,
       "On the element's own threads (streaming thread, detection thread), never in OpenCV's "
       "pool; OpenCV's process-wide setting is untouched",
       "own"},
      {GST_EMO_OPENCV_THREADS_POOL,
       "In OpenCV's thread pool, as the process configured it (cv::setNumThreads, "
       "OPENCV_FOR_THREADS_NUM)",
       "pool"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstEmoOpenCVThreads", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

namespace {

/* The earliest running time downstream still wants, from QOS events (any thread). */
class Qos {
 public:
  void update(GstEvent *event) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos(event, &type, &proportion, &diff, &timestamp);
    if (!GST_CLOCK_TIME_IS_VALID(timestamp)) return;
    /* As GstBaseTransform and GstVideoDecoder do: when late, aim twice as far ahead so that
     * skipping catches up rather than chasing the deadline. */
    const GstClockTimeDiff ahead = diff > 0 ? 2 * diff : diff;
    const GstClockTimeDiff earliest = static_cast<GstClockTimeDiff>(timestamp) + ahead;
    proportion_.store(proportion);
    earliest_.store(earliest > 0 ? static_cast<GstClockTime>(earliest) : 0);
  }
  void reset() {
    earliest_.store(GST_CLOCK_TIME_NONE);
    proportion_.store(1.0);
  }
  GstClockTime earliest() const { return earliest_.load(); }
  gdouble proportion() const { return proportion_.load(); }

 private:
  std::atomic<GstClockTime> earliest_{GST_CLOCK_TIME_NONE};
  std::atomic<gdouble> proportion_{1.0};
};

}  // namespace

struct GstEmoAnalysisFilterPrivate {
  /* settings, under GST_OBJECT_LOCK */
  std::string model;          // path set (or in use while started)
  std::string default_model;  // for model=NULL
  GstEmoOpenCVThreads opencv_threads = DEFAULT_OPENCV_THREADS;
  bool started = false;  // between start() and stop(): start-time settings refused
  std::unique_ptr<emo::ModelUse> model_use;  // the loaded model, while started

  /* streaming */
  GstEmoOpenCVThreads threads_in_use = DEFAULT_OPENCV_THREADS;  // written in start()
  Qos qos;
  emo::gst::StreamGeometry geometry;  // caps and orientation of the frames that follow
  std::atomic<guint64> processed{0};
  std::atomic<guint64> skipped{0};
};

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(GstEmoAnalysisFilter, gst_emo_analysis_filter,
                                    GST_TYPE_VIDEO_FILTER);

static GstEmoAnalysisFilterPrivate *priv_of(GstEmoAnalysisFilter *filter) {
  return static_cast<GstEmoAnalysisFilterPrivate *>(
      gst_emo_analysis_filter_get_instance_private(filter));
}

static GstEmoAnalysisFilterClass *class_of(GstEmoAnalysisFilter *filter) {
  return GST_EMO_ANALYSIS_FILTER_GET_CLASS(filter);
}

/* Runs `work` with the element's opencv-threads choice. */
template <typename Work>
static void with_opencv_threads(GstEmoOpenCVThreads threads, Work &&work) {
  if (threads == GST_EMO_OPENCV_THREADS_OWN)
    emo::run_opencv_on_calling_thread(work);
  else
    work();
}

bool gst_emo_analysis_filter_refuse_while_started(GstEmoAnalysisFilter *filter, GParamSpec *pspec,
                                                  const GValue *value) {
  return gst_emo_refuse_while_started(G_OBJECT(filter), pspec, value, priv_of(filter)->started);
}

void gst_emo_analysis_filter_init_model(GstEmoAnalysisFilter *filter, const std::string &model) {
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  GstEmoObjectLock lock(filter);
  priv->model = model;
  priv->default_model = model;
}

void gst_emo_analysis_filter_set_model(GstEmoAnalysisFilter *filter, const GValue *value) {
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  const gchar *path = g_value_get_string(value);
  GstEmoObjectLock lock(filter);
  if (!priv->started) priv->model = path ? path : priv->default_model;
}

void gst_emo_analysis_filter_get_model(GstEmoAnalysisFilter *filter, GValue *value) {
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  GstEmoObjectLock lock(filter);
  g_value_set_string(value, priv->model.c_str());
}

GstEmoOpenCVThreads gst_emo_analysis_filter_opencv_threads(GstEmoAnalysisFilter *filter) {
  return priv_of(filter)->threads_in_use;
}

void gst_emo_analysis_filter_note_model(GstEmoAnalysisFilter *filter, const void *loaded) {
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  GstEmoObjectLock lock(filter);
  priv->model_use = std::make_unique<emo::ModelUse>(priv->model, loaded);
}

/* Drops the element's model registration (stop(), failed start()). */
static void gst_emo_analysis_filter_forget_model(GstEmoAnalysisFilter *filter) {
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  std::unique_ptr<emo::ModelUse> use;
  GstEmoObjectLock lock(filter);
  std::swap(use, priv->model_use);
}

static gboolean gst_emo_analysis_filter_start(GstBaseTransform *trans) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(trans);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  GstEmoAnalysisFilterClass *klass = class_of(filter);
  std::string model;
  {
    GstEmoObjectLock lock(filter);
    priv->started = true;
    model = priv->model;
    priv->threads_in_use = priv->opencv_threads;
  }
  priv->qos.reset();
  priv->processed.store(0);
  priv->skipped.store(0);
  if (!klass->load) return TRUE;
  bool ok = false;
  try {
    with_opencv_threads(priv->threads_in_use, [&] { ok = klass->load(filter, model); });
  } catch (const std::exception &e) {
    gst_emo_post_model_error(GST_ELEMENT(filter), e);
  }
  if (!ok) {
    if (klass->unload) klass->unload(filter);
    gst_emo_analysis_filter_forget_model(filter);
    GstEmoObjectLock lock(filter);
    priv->started = false;
  }
  return ok;
}

static gboolean gst_emo_analysis_filter_stop(GstBaseTransform *trans) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(trans);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  GstEmoAnalysisFilterClass *klass = class_of(filter);
  GST_INFO_OBJECT(filter,
                  "%" G_GUINT64_FORMAT " frames analysed, %" G_GUINT64_FORMAT
                  " late frames passed without analysis",
                  priv->processed.load(), priv->skipped.load());
  if (klass->unload) klass->unload(filter);
  gst_emo_analysis_filter_forget_model(filter);
  GstEmoObjectLock lock(filter);
  priv->started = false;
  return TRUE;
}

/* Forgets the stream's per-face state (serialized events: on the streaming thread, like
 * analyse()). */
static void gst_emo_analysis_filter_reset(GstEmoAnalysisFilter *filter) {
  GstEmoAnalysisFilterClass *klass = class_of(filter);
  if (klass->reset) klass->reset(filter);
}

static gboolean gst_emo_analysis_filter_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(trans);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_STREAM_START:
      priv->geometry.reset();
      /* fall through */
    case GST_EVENT_FLUSH_STOP:
      priv->qos.reset();
      gst_emo_analysis_filter_reset(filter);
      break;
    case GST_EVENT_TAG: {
      GstTagList *tags = nullptr;
      gst_event_parse_tag(event, &tags);
      if (priv->geometry.tags(tags)) {
        GST_INFO_OBJECT(filter, "new image orientation: per-face state ends, as at a shot cut");
        gst_emo_analysis_filter_reset(filter);
      }
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_emo_analysis_filter_parent_class)->sink_event(trans, event);
}

/* New caps (serialized, before the frames they describe): a change that moves pixels (size,
 * pixel aspect ratio, interlacing, views) ends every track and the shot, like a cut. */
static gboolean gst_emo_analysis_filter_set_info(GstVideoFilter *video, GstCaps *, GstVideoInfo *in,
                                                 GstCaps *, GstVideoInfo *) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(video);
  if (priv_of(filter)->geometry.caps(*in)) {
    GST_INFO_OBJECT(filter,
                    "caps change moves pixels (now %dx%d, PAR %d/%d): per-face state "
                    "ends, as at a shot cut",
                    GST_VIDEO_INFO_WIDTH(in), GST_VIDEO_INFO_HEIGHT(in), GST_VIDEO_INFO_PAR_N(in),
                    GST_VIDEO_INFO_PAR_D(in));
    gst_emo_analysis_filter_reset(filter);
  }
  return TRUE;
}

static gboolean gst_emo_analysis_filter_src_event(GstBaseTransform *trans, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_QOS) {
    /* Remembered here, and forwarded upstream without GstBaseTransform's own QoS bookkeeping,
     * which would drop late frames instead of passing them on. */
    priv_of(GST_EMO_ANALYSIS_FILTER(trans))->qos.update(event);
    return gst_pad_push_event(GST_BASE_TRANSFORM_SINK_PAD(trans), event);
  }
  return GST_BASE_TRANSFORM_CLASS(gst_emo_analysis_filter_parent_class)->src_event(trans, event);
}

/* True when QoS is on and `buf` is already too late downstream; then counts it and posts the
 * QoS message. */
static bool gst_emo_analysis_filter_skip_late(GstEmoAnalysisFilter *filter, GstBuffer *buf) {
  GstBaseTransform *trans = GST_BASE_TRANSFORM(filter);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  if (!gst_base_transform_is_qos_enabled(trans)) return false;
  const GstClockTime earliest = priv->qos.earliest();
  if (!GST_CLOCK_TIME_IS_VALID(earliest) || !GST_BUFFER_PTS_IS_VALID(buf)) return false;
  if (trans->segment.format != GST_FORMAT_TIME) return false;
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  const GstClockTime running = gst_segment_to_running_time(&trans->segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID(running) || running > earliest) return false;

  const guint64 skipped = ++priv->skipped;
  const GstClockTime stream_time =
      gst_segment_to_stream_time(&trans->segment, GST_FORMAT_TIME, pts);
  GstMessage *message = gst_message_new_qos(GST_OBJECT(filter), FALSE, running, stream_time, pts,
                                            GST_BUFFER_DURATION(buf));
  gst_message_set_qos_values(message, GST_CLOCK_DIFF(running, earliest), priv->qos.proportion(),
                             1000000);
  gst_message_set_qos_stats(message, GST_FORMAT_BUFFERS, priv->processed.load(), skipped);
  gst_element_post_message(GST_ELEMENT(filter), message);
  GST_DEBUG_OBJECT(filter, "late frame at %" GST_TIME_FORMAT ", passed without analysis",
                   GST_TIME_ARGS(pts));
  return true;
}

static GstFlowReturn gst_emo_analysis_filter_transform_ip(GstBaseTransform *trans, GstBuffer *buf) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(trans);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  GstEmoAnalysisFilterClass *klass = class_of(filter);
  if (!klass->analyse || gst_emo_analysis_filter_skip_late(filter, buf)) return GST_FLOW_OK;
  GstFlowReturn ret = GST_FLOW_ERROR;
  try {
    with_opencv_threads(priv->threads_in_use, [&] { ret = klass->analyse(filter, buf); });
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(filter, STREAM, FAILED,
                      ("%s failed", klass->analysis ? klass->analysis : "Analysis"),
                      ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  ++priv->processed;
  return ret;
}

static void gst_emo_analysis_filter_set_property(GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(object);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  switch (prop_id) {
    case PROP_OPENCV_THREADS: {
      if (gst_emo_analysis_filter_refuse_while_started(filter, pspec, value)) break;
      GstEmoObjectLock lock(filter);
      priv->opencv_threads = static_cast<GstEmoOpenCVThreads>(g_value_get_enum(value));
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_analysis_filter_get_property(GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec) {
  GstEmoAnalysisFilter *filter = GST_EMO_ANALYSIS_FILTER(object);
  GstEmoAnalysisFilterPrivate *priv = priv_of(filter);
  switch (prop_id) {
    case PROP_STATS: {
      GstStructure *stats = gst_structure_new("emo-analysis-stats", "processed", G_TYPE_UINT64,
                                              priv->processed.load(), "skipped", G_TYPE_UINT64,
                                              priv->skipped.load(), nullptr);
      bool registered;
      std::string model;
      {
        GstEmoObjectLock lock(filter);
        registered = priv->model_use != nullptr;
        model = priv->model;
      }
      if (registered) {
        const emo::ModelUsage usage = emo::model_usage(model);
        gst_structure_set(stats, "model", G_TYPE_STRING, usage.path.c_str(), "model-loaded",
                          G_TYPE_UINT, static_cast<guint>(usage.loaded), "model-users", G_TYPE_UINT,
                          static_cast<guint>(usage.users), nullptr);
      }
      g_value_take_boxed(value, stats);
      break;
    }
    case PROP_OPENCV_THREADS: {
      GstEmoObjectLock lock(filter);
      g_value_set_enum(value, priv->opencv_threads);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_analysis_filter_finalize(GObject *object) {
  priv_of(GST_EMO_ANALYSIS_FILTER(object))->~GstEmoAnalysisFilterPrivate();
  G_OBJECT_CLASS(gst_emo_analysis_filter_parent_class)->finalize(object);
}

static void gst_emo_analysis_filter_init(GstEmoAnalysisFilter *filter) {
  /* GObject zero-fills the private part; construct the C++ members in place. */
  new (priv_of(filter)) GstEmoAnalysisFilterPrivate();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(filter), TRUE);
  /* As other video filters: QoS on; late frames pass on without analysis (see above). */
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(filter), TRUE);
}

static void gst_emo_analysis_filter_class_init(GstEmoAnalysisFilterClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_analysis_filter_debug, "emoanalysisfilter", 0,
                          "gst-emo analysis element base class");

  gobject_class->set_property = gst_emo_analysis_filter_set_property;
  gobject_class->get_property = gst_emo_analysis_filter_get_property;
  gobject_class->finalize = gst_emo_analysis_filter_finalize;

  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Counts since the element started: processed (frames analysed) and "
                         "skipped (late frames passed on without analysis because of QoS; each "
                         "is also posted as a QoS message); while started, the sharing of the "
                         "element's model file in the process: model (path), model-loaded "
                         "(copies loaded), model-users (elements using them)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      gobject_class, PROP_OPENCV_THREADS,
      g_param_spec_enum("opencv-threads", "OpenCV threads",
                        "Where the element's OpenCV parallel loops run, read when it starts: "
                        "own = on the element's own threads (the streaming thread and "
                        "emofacedetect's low-priority detection thread), pool = in OpenCV's "
                        "process-wide thread pool; OpenCV's thread setting is never changed",
                        GST_TYPE_EMO_OPENCV_THREADS, DEFAULT_OPENCV_THREADS,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));

  static GstStaticPadTemplate sink_template =
      GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                              GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_EMO_ANALYSIS_FORMATS)));
  static GstStaticPadTemplate src_template =
      GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                              GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_EMO_ANALYSIS_FORMATS)));
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR(gst_emo_analysis_filter_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_emo_analysis_filter_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_emo_analysis_filter_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR(gst_emo_analysis_filter_src_event);
  GST_VIDEO_FILTER_CLASS(klass)->set_info = GST_DEBUG_FUNCPTR(gst_emo_analysis_filter_set_info);
  /* Analysis only: subclasses map frames themselves (read-only, or read-write only when they
   * draw), so GstVideoFilter's own read-write mapping of every frame is skipped. */
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_emo_analysis_filter_transform_ip);
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api(GST_TYPE_EMO_ANALYSIS_FILTER, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_EMO_OPENCV_THREADS, static_cast<GstPluginAPIFlags>(0));
}
