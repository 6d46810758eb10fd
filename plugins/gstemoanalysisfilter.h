// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: GstEmoAnalysisFilter, the abstract base class of the analysis elements
// (emofacedetect, emolandmarks, emoclassify, emooverlay).
//
// It holds what those elements share, so that each element file holds only what is its own:
// - the `model` setting (for subclasses that install a "model" property) and its rule: the
//   model is read when the element starts (READY -> PAUSED); a new path set while the element
//   is started (PAUSED or PLAYING) is refused with a warning on the bus, and the property keeps
//   reading back the model in use; set it in NULL or READY;
// - start()/stop(): loads the element's streaming state through the class's load() vfunc and
//   drops it through unload(); a model that cannot be loaded becomes GST_ELEMENT_ERROR naming
//   the path and where it comes from (gst_emo_post_model_error());
// - quality of service: GstBaseTransform's `qos` property (default TRUE, as for other video
//   filters) is honoured; a frame already late downstream (from the sinks' QOS events) passes on
//   at once without analysis (it is not dropped), and each such skipped analysis is posted as a
//   standard QoS message (gst_message_new_qos(), stats in GST_FORMAT_BUFFERS: `processed` =
//   frames analysed, `dropped` = analyses skipped); the counts are readable at any time in the
//   read-only `stats` property;
// - `opencv-threads`: whether the element's OpenCV loops run on its own threads or in OpenCV's
//   process-wide pool (nothing process-wide is changed either way);
// - errors: an exception from analyse() becomes GST_ELEMENT_ERROR (STREAM, FAILED) and
//   GST_FLOW_ERROR; no C++ exception leaves a GStreamer callback;
// - pad templates: "sink" and "src" with GST_EMO_ANALYSIS_FORMATS (a subclass may replace them
//   with templates of the same names);
// - flush and new stream: the QoS state is forgotten and the class's reset() vfunc is called;
// - caps or tags that move pixels (a new frame size, pixel aspect ratio, interlacing or views,
//   a new image orientation; emo::gst::StreamGeometry): reset() is called too, so that every
//   track and per-face state ends as at a shot cut (a format change alone keeps them).
#pragma once

#include <gst/video/gstvideofilter.h>

#include <string>

G_BEGIN_DECLS

/// Where the OpenCV parallel loops (cv::parallel_for_) of an element run.
typedef enum {
  /// On the element's own threads (its streaming thread, emofacedetect's detection thread),
  /// never in OpenCV's pool: see emo::run_opencv_on_calling_thread().
  GST_EMO_OPENCV_THREADS_OWN,
  /// In OpenCV's thread pool, as the process configured it (cv::setNumThreads(),
  /// OPENCV_FOR_THREADS_NUM); the element never changes that setting.
  GST_EMO_OPENCV_THREADS_POOL,
} GstEmoOpenCVThreads;

#define GST_TYPE_EMO_OPENCV_THREADS (gst_emo_opencv_threads_get_type())
GType gst_emo_opencv_threads_get_type(void);

#define GST_TYPE_EMO_ANALYSIS_FILTER (gst_emo_analysis_filter_get_type())
G_DECLARE_DERIVABLE_TYPE(GstEmoAnalysisFilter, gst_emo_analysis_filter, GST, EMO_ANALYSIS_FILTER,
                         GstVideoFilter)

struct _GstEmoAnalysisFilterClass {
  GstVideoFilterClass parent_class;

  /// What the element does, capitalised, for error messages ("<analysis> failed").
  const char *analysis;

  /// Builds the streaming state in start(), from the model path (empty for an element without a
  /// model property), on the thread that starts the element (with `opencv-threads` applied).
  /// Returns false after posting its own error; throws (e.g. emo::ModelError) when the model
  /// cannot be loaded, which the base class posts as a model error. NULL: nothing to build.
  bool (*load)(GstEmoAnalysisFilter *filter, const std::string &model);
  /// Drops the streaming state (stop(), and after a failed load()). May be NULL.
  void (*unload)(GstEmoAnalysisFilter *filter);
  /// Forgets what the element remembers of the stream (FLUSH_STOP, STREAM_START, caps or an
  /// orientation that move pixels), on the streaming thread; also called when no state is
  /// loaded. May be NULL.
  void (*reset)(GstEmoAnalysisFilter *filter);
  /// Analyses (and annotates) one buffer in place, on the streaming thread; called only while
  /// started and never for a frame skipped by QoS. Throws on failure. May post bus messages.
  GstFlowReturn (*analyse)(GstEmoAnalysisFilter *filter, GstBuffer *buf);

  gpointer padding[8];
};

/// Sets the model path a subclass starts with and falls back on when "model" is set to NULL.
/// Call from the subclass's instance init.
void gst_emo_analysis_filter_init_model(GstEmoAnalysisFilter *filter, const std::string &model);

/// Settings read when the element starts (GParamSpecs flagged GST_PARAM_MUTABLE_READY: model,
/// opencv-threads and the subclass's own) are refused while it is started
/// (gst_emo_refuse_while_started()): call this first thing in the subclass's set_property,
/// WITHOUT holding the object lock, and store nothing when it returns true.
bool gst_emo_analysis_filter_refuse_while_started(GstEmoAnalysisFilter *filter, GParamSpec *pspec,
                                                  const GValue *value);

/// The subclass's set_property for its "model" property, after
/// gst_emo_analysis_filter_refuse_while_started() (call it WITHOUT holding the object lock):
/// stores the new path (NULL: the default) while the element is stopped.
void gst_emo_analysis_filter_set_model(GstEmoAnalysisFilter *filter, const GValue *value);

/// The subclass's get_property for its "model" property (call it WITHOUT the object lock).
void gst_emo_analysis_filter_get_model(GstEmoAnalysisFilter *filter, GValue *value);

/// The `opencv-threads` choice the element was started with (read in load() and analyse()).
GstEmoOpenCVThreads gst_emo_analysis_filter_opencv_threads(GstEmoAnalysisFilter *filter);

/// Call from load(): the element uses the loaded copy `loaded` (its address; the same for every
/// element sharing one copy) of its model file until it stops (emo::ModelUse). The `stats`
/// property then reports how the process shares that file.
void gst_emo_analysis_filter_note_model(GstEmoAnalysisFilter *filter, const void *loaded);

G_END_DECLS
