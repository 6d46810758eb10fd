// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emofacedetect
 * @title: emofacedetect
 *
 * Finds faces with an OpenCV cascade classifier and attaches one
 * #GstVideoRegionOfInterestMeta per face: `roi_type` "face", an `id` unique in the stream,
 * the box in frame pixels. Detection runs on 8-bit luma: the Y plane of GRAY8, I420 and NV12
 * is used in place, other formats are converted once per frame. The luma is downscaled to
 * #GstEmoFaceDetect:detection-width before detection and boxes are mapped back to frame
 * pixels.
 *
 * The element works in place and never changes the video: frames without faces pass through
 * untouched. Buffers are only made writable for their metadata (a shallow copy when shared).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert ! \
 *     emofacedetect detection-width=480 ! emooverlay ! videoconvert ! autovideosink
 * ]|
 */
#include "gstemofacedetect.h"

#include <memory>

#include "emo/detector.hpp"
#include "emo/gst/face_meta.hpp"
#include "gstemocommon.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_face_detect_debug);
#define GST_CAT_DEFAULT gst_emo_face_detect_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SCALE_FACTOR,
  PROP_MIN_NEIGHBORS,
  PROP_MIN_SIZE,
  PROP_DETECTION_WIDTH,
  PROP_MAX_FACES,
};

#define DEFAULT_MODEL emo::FaceDetector::kDefaultModel
#define DEFAULT_SCALE_FACTOR 1.1
#define DEFAULT_MIN_NEIGHBORS 5
#define DEFAULT_MIN_SIZE 40
#define DEFAULT_DETECTION_WIDTH 640
#define DEFAULT_MAX_FACES 0

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_EMO_ANALYSIS_FORMATS)));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_EMO_ANALYSIS_FORMATS)));

/* Streaming state: built in start(), dropped in stop(), used only by the streaming thread. */
struct GstEmoFaceDetectState {
  explicit GstEmoFaceDetectState(const std::string &model) : detector(model) {}
  emo::FaceDetector detector;
  cv::Mat luma;  // converted luma for packed formats, reused across frames
  int next_id = 0;
};

struct _GstEmoFaceDetect {
  GstVideoFilter parent;

  /* settings, under GST_OBJECT_LOCK */
  gchar *model;
  emo::DetectorParams params;

  /* state */
  std::unique_ptr<GstEmoFaceDetectState> state;
};

#define gst_emo_face_detect_parent_class parent_class
G_DEFINE_TYPE(GstEmoFaceDetect, gst_emo_face_detect, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(emofacedetect, "emofacedetect", GST_RANK_NONE,
                            GST_TYPE_EMO_FACE_DETECT);

static gboolean gst_emo_face_detect_start(GstBaseTransform *trans) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(trans);
  std::string model;
  if (!gst_emo_load_state(GST_ELEMENT(self), self->model, self->state, model)) return FALSE;
  GST_INFO_OBJECT(self, "loaded cascade %s", model.c_str());
  return TRUE;
}

static gboolean gst_emo_face_detect_stop(GstBaseTransform *trans) {
  GST_EMO_FACE_DETECT(trans)->state.reset();
  return TRUE;
}

static GstFlowReturn gst_emo_face_detect_transform_ip(GstBaseTransform *trans, GstBuffer *buf) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER(trans);
  emo::DetectorParams params;
  {
    GstEmoObjectLock lock(self);
    params = self->params;
  }
  try {
    std::vector<emo::Box> faces;
    {
      GstEmoFrameMap map(&filter->in_info, buf, GST_MAP_READ);
      if (!map.ok()) {
        GST_WARNING_OBJECT(self, "cannot map frame, passing it through unanalysed");
        return GST_FLOW_OK;
      }
      cv::Mat luma = gst_emo_frame_luma(map.frame(), self->state->luma);
      faces = self->state->detector.detect(luma, params);
    }
    for (const emo::Box &box : faces) emo::gst::add_face(buf, box, self->state->next_id++);
    GST_LOG_OBJECT(self, "%zu faces at %" GST_TIME_FORMAT, faces.size(),
                   GST_TIME_ARGS(GST_BUFFER_PTS(buf)));
  } catch (const std::exception &e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Face detection failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void gst_emo_face_detect_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free(self->model);
      self->model = g_value_dup_string(value);
      if (!self->model) self->model = g_strdup(DEFAULT_MODEL);
      break;
    case PROP_SCALE_FACTOR:
      self->params.scale_factor = g_value_get_double(value);
      break;
    case PROP_MIN_NEIGHBORS:
      self->params.min_neighbors = g_value_get_int(value);
      break;
    case PROP_MIN_SIZE:
      self->params.min_size = g_value_get_int(value);
      break;
    case PROP_DETECTION_WIDTH:
      self->params.detection_width = g_value_get_int(value);
      break;
    case PROP_MAX_FACES:
      self->params.max_faces = g_value_get_int(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_face_detect_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string(value, self->model);
      break;
    case PROP_SCALE_FACTOR:
      g_value_set_double(value, self->params.scale_factor);
      break;
    case PROP_MIN_NEIGHBORS:
      g_value_set_int(value, self->params.min_neighbors);
      break;
    case PROP_MIN_SIZE:
      g_value_set_int(value, self->params.min_size);
      break;
    case PROP_DETECTION_WIDTH:
      g_value_set_int(value, self->params.detection_width);
      break;
    case PROP_MAX_FACES:
      g_value_set_int(value, self->params.max_faces);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_face_detect_finalize(GObject *object) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  g_free(self->model);
  self->state.~unique_ptr();
  self->params.~DetectorParams();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_face_detect_init(GstEmoFaceDetect *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->params) emo::DetectorParams();
  new (&self->state) std::unique_ptr<GstEmoFaceDetectState>();
  self->model = g_strdup(DEFAULT_MODEL);
  self->params.scale_factor = DEFAULT_SCALE_FACTOR;
  self->params.min_neighbors = DEFAULT_MIN_NEIGHBORS;
  self->params.min_size = DEFAULT_MIN_SIZE;
  self->params.detection_width = DEFAULT_DETECTION_WIDTH;
  self->params.max_faces = DEFAULT_MAX_FACES;
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_emo_face_detect_class_init(GstEmoFaceDetectClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_face_detect_debug, "emofacedetect", 0,
                          "gst-emo cascade face detector");

  gobject_class->set_property = gst_emo_face_detect_set_property;
  gobject_class->get_property = gst_emo_face_detect_get_property;
  gobject_class->finalize = gst_emo_face_detect_finalize;

  const auto mutable_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                        GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Cascade model",
                          "Path of the OpenCV cascade XML file (Haar or LBP), loaded when the "
                          "element starts; the default ships with the Debian package "
                          "opencv-data",
                          DEFAULT_MODEL,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_SCALE_FACTOR,
      g_param_spec_double("scale-factor", "Scale factor",
                          "Scale step between the cascade's image pyramid levels (1.1 = 10 % "
                          "steps; smaller finds more faces, slower)",
                          1.01, 2.0, DEFAULT_SCALE_FACTOR, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MIN_NEIGHBORS,
      g_param_spec_int("min-neighbors", "Minimum neighbours",
                       "Overlapping raw detections needed to accept a face (higher = fewer "
                       "false faces)",
                       0, 100, DEFAULT_MIN_NEIGHBORS, mutable_playing));
  g_object_class_install_property(gobject_class, PROP_MIN_SIZE,
                                  g_param_spec_int("min-size", "Minimum face size",
                                                   "Smallest face side to detect, in frame pixels",
                                                   0, G_MAXINT, DEFAULT_MIN_SIZE, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DETECTION_WIDTH,
      g_param_spec_int("detection-width", "Detection width",
                       "Width in pixels the luma is downscaled to before detection (boxes are "
                       "mapped back to frame pixels); 0 = full frame width",
                       0, G_MAXINT, DEFAULT_DETECTION_WIDTH, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_FACES,
      g_param_spec_int("max-faces", "Maximum faces",
                       "Keep at most this many faces per frame, largest first (0 = no limit)", 0,
                       G_MAXINT, DEFAULT_MAX_FACES, mutable_playing));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Emotion face detector", "Filter/Analyzer/Video",
      "Finds faces with an OpenCV cascade and attaches a region of interest meta per face",
      "gst-emo developers");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_emo_face_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_emo_face_detect_stop);
  /* Analysis only: map frames read-only, skip GstVideoFilter's read-write frame mapping. */
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_emo_face_detect_transform_ip);
  trans_class->transform_ip_on_passthrough = FALSE;
}
