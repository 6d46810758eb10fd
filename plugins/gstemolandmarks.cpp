// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emolandmarks
 * @title: emolandmarks
 *
 * Fits facial landmarks inside every face region found upstream (a
 * #GstVideoRegionOfInterestMeta with `roi_type` "face", normally attached by emofacedetect)
 * and stores them on that region as a "landmarks" parameter structure: `n-points`, `points`
 * (interleaved x, y in frame pixels), `region` (the box they were fitted in) and `backend`.
 *
 * The default model is dlib's 68-point iBUG 300-W shape predictor (an ensemble of regression
 * trees, shipped by the Debian package libdlib-data); a `.yaml`/`.yml` model selects OpenCV's
 * FacemarkLBF instead, with however many points that model holds. emoclassify needs the 68
 * points of the default layout. Fitting runs on 8-bit luma, like emofacedetect.
 *
 * With 68 points the head pose is estimated too and stored as a "pose" structure (`yaw`,
 * `pitch`, `roll` in degrees; cv::solvePnP on a generic 3D face model, the camera taken from
 * the frame size: see emo/landmarks/head_pose.hpp and docs/session-overlay.md).
 *
 * A BlazeFace region is mapped to dlib's own detector framing before the fit; the region stays
 * the BlazeFace box. A tracked face that stayed still since its last fit (box and picture
 * nearly unchanged) takes that fit, moved with its box, for up to #GstEmoLandmarks:max-reuse
 * frames instead of being fitted again. The model (100 MB, about 65 MB loaded) is read at
 * start and shared by every emolandmarks of the process; a missing one is an element error
 * naming the path. Frames pass through unchanged; a frame already late downstream passes
 * without landmarks (#GstBaseTransform:qos). After each frame the element sends the upstream
 * event "emo-landmark-boxes" (emo/gst/landmark_event.hpp) for emofacedetect's
 * #GstEmoFaceDetect:follow-landmarks.
 *
 * Design notes (framing, threads, QoS): docs/elements.md of the gst-emo sources.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! emofacedetect ! emolandmarks ! emooverlay ! \
 *     videoconvert ! autovideosink
 * ]|
 */
#include "gstemolandmarks.h"

#include <algorithm>
#include <cstdint>
#include <memory>

#include "emo/core/fork_join.hpp"
#include "emo/detect/blazeface.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/landmarks/head_pose.hpp"
#include "emo/gst/landmark_event.hpp"
#include "emo/landmarks/landmark_reuse.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "emo/core/model_cache.hpp"
#include "gstemoanalysisfilter.h"
#include "gstemocommon.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_landmarks_debug);
#define GST_CAT_DEFAULT gst_emo_landmarks_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_PARALLEL,
  PROP_MAX_REUSE,
};

#define DEFAULT_MODEL emo::Landmarker::kDefaultModel
#define DEFAULT_PARALLEL TRUE
/* A still tracked face keeps its fit for up to 6 frames (240 ms at 25 fps): docs/elements.md,
 * bench/RESULTS.md. */
#define DEFAULT_MAX_REUSE 6

/* Streaming state: built in start(), dropped in stop(), used only by the streaming thread.
 * The landmarker is const and shared by every element of the process that uses the same model
 * file (emo::shared_landmarker; dlib's fit() is const and thread-safe). */
struct GstEmoLandmarksState {
  GstEmoLandmarksState(const std::string &model, const emo::LandmarkReuseParams &reuse_params)
      : landmarker(emo::shared_landmarker(model)), reuse(reuse_params) {}
  std::shared_ptr<const emo::Landmarker> landmarker;
  emo::LandmarkReuse reuse;                  // last fit per track, for still faces
  std::unique_ptr<emo::ForkJoin> fork_join;  // with `parallel` and the dlib back-end
  cv::Mat luma;  // converted luma for packed formats, reused across frames
  /* Per frame, reused: the faces with landmarks (index in read_faces() order, box), their
   * points, and which of them are fitted on this frame (the others reuse a fit). */
  std::vector<std::pair<std::size_t, emo::Box>> targets;
  std::vector<std::vector<emo::Point>> points;
  std::vector<std::size_t> to_fit;
  std::vector<emo::gst::LandmarkBox> boxes;  // landmark extents of tracked faces, reused
};

struct _GstEmoLandmarks {
  GstEmoAnalysisFilter parent;

  /* settings, under GST_OBJECT_LOCK (the model is the base class's) */
  gboolean parallel;
  guint max_reuse;

  /* state */
  std::unique_ptr<GstEmoLandmarksState> state;
};

#define gst_emo_landmarks_parent_class parent_class
G_DEFINE_TYPE(GstEmoLandmarks, gst_emo_landmarks, GST_TYPE_EMO_ANALYSIS_FILTER);
GST_ELEMENT_REGISTER_DEFINE(emolandmarks, "emolandmarks", GST_RANK_NONE, GST_TYPE_EMO_LANDMARKS);

static bool gst_emo_landmarks_load(GstEmoAnalysisFilter *filter, const std::string &model) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(filter);
  gboolean parallel;
  emo::LandmarkReuseParams reuse;
  {
    GstEmoObjectLock lock(self);
    parallel = self->parallel;
    reuse.max_age = static_cast<int>(self->max_reuse);
  }
  self->state = std::make_unique<GstEmoLandmarksState>(model, reuse);
  /* LBF fits serialise on the model: a helper thread would only wait. */
  if (parallel && self->state->landmarker->backend() != std::string("opencv-lbf"))
    self->state->fork_join = std::make_unique<emo::ForkJoin>();
  gst_emo_analysis_filter_note_model(filter, self->state->landmarker.get());
  /* The instance address tells which elements share one model (tests read it). */
  GST_INFO_OBJECT(self, "loaded %s landmark model %s (%d points), instance %p, %ld users",
                  self->state->landmarker->backend(), model.c_str(),
                  self->state->landmarker->num_points(),
                  static_cast<const void *>(self->state->landmarker.get()),
                  self->state->landmarker.use_count());
  return true;
}

static void gst_emo_landmarks_unload(GstEmoAnalysisFilter *filter) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(filter);
  if (self->state)
    GST_INFO_OBJECT(self,
                    "landmarks: %" G_GUINT64_FORMAT " faces fitted, %" G_GUINT64_FORMAT
                    " still faces' fits reused",
                    self->state->reuse.fitted(), self->state->reuse.reused());
  self->state.reset();
}

/* Forgets the fits kept for still faces (flush, new stream). */
static void gst_emo_landmarks_reset(GstEmoAnalysisFilter *filter) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(filter);
  if (self->state) self->state->reuse.clear();
}

static GstFlowReturn gst_emo_landmarks_analyse(GstEmoAnalysisFilter *filter, GstBuffer *buf) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(filter);
  std::vector<emo::gst::Face> faces = emo::gst::read_faces(buf);
  self->state->reuse.next_frame();
  if (faces.empty()) return GST_FLOW_OK;

  GstEmoFrameMap map(&GST_VIDEO_FILTER(filter)->in_info, buf, GST_MAP_READ);
  if (!map.ok()) {
    GST_WARNING_OBJECT(self, "cannot map frame, passing it through unanalysed");
    return GST_FLOW_OK;
  }
  GstEmoLandmarksState &state = *self->state;
  cv::Mat luma = gst_emo_frame_luma(map.frame(), state.luma);
  const emo::Landmarker &landmarker = *state.landmarker;
  const emo::Box frame_box(0, 0, luma.cols, luma.rows);
  const bool lbf = landmarker.backend() == std::string("opencv-lbf");
  state.targets.clear();
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const emo::gst::Face &face = faces[i];
    if ((face.box & frame_box).empty()) {
      GST_DEBUG_OBJECT(self, "face %d lies outside the frame, skipped", face.id);
      continue;
    }
    /* dlib samples safely outside the image, LBF crops: give it a box inside the frame.
     * dlib's model wants its own detector's framing: BlazeFace boxes are mapped to it. */
    const bool blazeface = face.detector_model.rfind("blazeface", 0) == 0;
    state.targets.emplace_back(i, lbf         ? (face.box & frame_box)
                                  : blazeface ? emo::detect::dlib_framing(face.box)
                                              : face.box);
  }
  if (state.points.size() < state.targets.size()) state.points.resize(state.targets.size());
  /* A tracked face that stayed still since its last fit takes that fit, moved with its box. */
  state.to_fit.clear();
  for (std::size_t t = 0; t < state.targets.size(); ++t) {
    const emo::gst::Face &face = faces[state.targets[t].first];
    if (lbf || face.track_id < 0 ||
        !state.reuse.reuse(static_cast<std::uint64_t>(face.track_id), face.box, luma,
                           state.points[t]))
      state.to_fit.push_back(t);
  }
  auto fit = [&](std::size_t k) {
    const std::size_t t = state.to_fit[k];
    landmarker.fit(luma, state.targets[t].second, state.points[t]);
  };
  if (state.fork_join)
    state.fork_join->for_each(state.to_fit.size(), fit);
  else
    for (std::size_t k = 0; k < state.to_fit.size(); ++k) fit(k);
  for (std::size_t t : state.to_fit) {
    const emo::gst::Face &face = faces[state.targets[t].first];
    if (!lbf && face.track_id >= 0)
      state.reuse.store(static_cast<std::uint64_t>(face.track_id), face.box, luma, state.points[t]);
  }

  int fitted = 0;
  std::vector<emo::gst::LandmarkBox> &boxes = state.boxes;
  boxes.clear();
  for (std::size_t t = 0; t < state.targets.size(); ++t) {
    const emo::gst::Face &face = faces[state.targets[t].first];
    const std::vector<emo::Point> &points = state.points[t];
    /* The LBF back-end reports a failed fit as all points at (0, 0): store nothing. */
    if (std::all_of(points.begin(), points.end(),
                    [](const emo::Point &p) { return p.x == 0.f && p.y == 0.f; })) {
      GST_DEBUG_OBJECT(self, "no landmarks fitted on face %d", face.id);
      continue;
    }
    emo::gst::set_landmarks(face.meta, points, landmarker.backend());
    if (const std::optional<emo::HeadPose> pose = emo::estimate_head_pose(points, luma.size()))
      emo::gst::set_pose(face.meta, pose->yaw, pose->pitch, pose->roll);
    ++fitted;
    if (face.track_id >= 0)
      boxes.push_back(
          {static_cast<std::uint64_t>(face.track_id), emo::gst::landmark_extent(points)});
  }
  GST_LOG_OBJECT(self, "landmarks on %d of %zu faces (%zu fitted) at %" GST_TIME_FORMAT, fitted,
                 faces.size(), state.to_fit.size(), GST_TIME_ARGS(GST_BUFFER_PTS(buf)));
  /* Tell the tracker upstream (emofacedetect) where the landmarks are, so that its boxes
   * follow them; other elements pass the event on to the source, which drops it. */
  if (!boxes.empty() && GST_BUFFER_PTS_IS_VALID(buf))
    gst_pad_push_event(GST_BASE_TRANSFORM_SINK_PAD(filter),
                       emo::gst::make_landmark_boxes_event(GST_BUFFER_PTS(buf), boxes));
  return GST_FLOW_OK;
}

static void gst_emo_landmarks_set_property(GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(object);
  if (gst_emo_analysis_filter_refuse_while_started(GST_EMO_ANALYSIS_FILTER(object), pspec, value))
    return;
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_set_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_PARALLEL:
      self->parallel = g_value_get_boolean(value);
      break;
    case PROP_MAX_REUSE:
      self->max_reuse = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_landmarks_get_property(GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(object);
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_get_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_PARALLEL:
      g_value_set_boolean(value, self->parallel);
      break;
    case PROP_MAX_REUSE:
      g_value_set_uint(value, self->max_reuse);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_landmarks_finalize(GObject *object) {
  GstEmoLandmarks *self = GST_EMO_LANDMARKS(object);
  self->state.~unique_ptr();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_landmarks_init(GstEmoLandmarks *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->state) std::unique_ptr<GstEmoLandmarksState>();
  gst_emo_analysis_filter_init_model(GST_EMO_ANALYSIS_FILTER(self), DEFAULT_MODEL);
  self->parallel = DEFAULT_PARALLEL;
  self->max_reuse = DEFAULT_MAX_REUSE;
}

static void gst_emo_landmarks_class_init(GstEmoLandmarksClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstEmoAnalysisFilterClass *filter_class = GST_EMO_ANALYSIS_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_landmarks_debug, "emolandmarks", 0,
                          "gst-emo facial landmark fitting");

  gobject_class->set_property = gst_emo_landmarks_set_property;
  gobject_class->get_property = gst_emo_landmarks_get_property;
  gobject_class->finalize = gst_emo_landmarks_finalize;

  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Landmark model",
                          "Path of the landmark model, loaded when the element starts: a dlib "
                          "shape_predictor .dat file (the default, 68 points, ships with the "
                          "Debian package libdlib-data) or an OpenCV FacemarkLBF .yaml/.yml file; "
                          "refused (with a warning) while the element is started",
                          DEFAULT_MODEL,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_PARALLEL,
      g_param_spec_boolean("parallel", "Parallel faces",
                           "Fit the faces of a frame on the streaming thread and one helper "
                           "thread (lower per-buffer latency when a core is free; dlib model "
                           "only); false: the streaming thread alone",
                           DEFAULT_PARALLEL,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_MAX_REUSE,
      g_param_spec_uint("max-reuse", "Maximum reuse of a fit",
                        "Frames (0-1000) a tracked face's landmarks may be carried over, moved "
                        "with its box, instead of fitted again, while the face stays still: "
                        "its box moved and scaled by at most 6 % of its side and its picture "
                        "changed by at most 12 grey levels in every cell of a 12 x 12 grid "
                        "since the fit (dlib model only). 0 = fit every face on every frame",
                        0, 1000, DEFAULT_MAX_REUSE,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));

  gst_element_class_set_static_metadata(
      element_class, "Emotion facial landmarks", "Filter/Analyzer/Video",
      "Fits facial landmarks (dlib or OpenCV LBF) inside the face regions of each frame",
      "gst-emo developers");

  filter_class->analysis = "Landmark fitting";
  filter_class->load = gst_emo_landmarks_load;
  filter_class->unload = gst_emo_landmarks_unload;
  filter_class->reset = gst_emo_landmarks_reset;
  filter_class->analyse = gst_emo_landmarks_analyse;
}
