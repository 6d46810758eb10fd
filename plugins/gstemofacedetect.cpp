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
 * The full detection runs every #GstEmoFaceDetect:detection-interval frames; in between, and
 * while a detection runs, faces are followed by optical flow on the downscaled luma (see
 * emo::FaceTracker). Every face carries a "tracking" parameter structure: `track-id` stays the
 * same while the face is followed and is never reused in the stream; `detected` is TRUE on the
 * frames where a detection result was associated with the face (with
 * #GstEmoFaceDetect:async-detection that detection ran on a frame a few frames earlier, and
 * its box was carried forward by the face's motion since then).
 *
 * With #GstEmoFaceDetect:follow-landmarks, an emolandmarks downstream reports after each frame
 * where the landmarks of each tracked face lie (a custom upstream event "emo-landmark-boxes",
 * see emo/gst/landmark_event.hpp; consumed here). On a detection's frame each track learns the
 * detection box relative to its landmarks; on later frames its box is set to that framing
 * around the new landmarks, and optical flow goes on from there (emo::FaceTracker::
 * follow_landmarks). Only the report for the frame analysed last applies: with a queue
 * between the two elements reports arrive late and are ignored, and reports far from the
 * tracked box (intersection over union below 0.3) are taken for bad fits. It is off by
 * default: on the dinner clip it lost more tracks than optical flow alone, because a fit that
 * depends on its start box drifts with it (README "Speed").
 *
 * With #GstEmoFaceDetect:async-detection (the default) the detection runs on a worker thread of
 * the element, so that no frame waits for a whole detection: each frame only pays for the
 * optical flow (about a millisecond) and the result is associated with the tracks when it
 * arrives. Only the first detection of a stream (and after a flush) is waited for. Without it,
 * every detection frame waits for its detection, and the output is the same from run to run.
 *
 * Quality of service (#GstBaseTransform:qos, default TRUE): a frame that is already late
 * downstream (from the QOS events of the sink) passes on at once without analysis and without
 * face regions; it is not dropped, a QoS message counts it (see GstEmoAnalysisFilter, which
 * also provides the `stats` property), and the tracker carries on from the last analysed frame.
 *
 * Threads: with #GstEmoAnalysisFilter:opencv-threads "own" (the default) the cascade runs on
 * the detection thread alone (at a lower priority than the streaming thread) and the tracker's
 * optical flow on the streaming thread, never in OpenCV's pool; "pool" lets them use OpenCV's
 * process-wide pool. The cascade model is read when the element starts; a new one set while it
 * runs is refused with a warning. Buffers the element analyses need no
 * allocation of its own in the steady state (the luma, the tracker's pyramids, point lists and
 * the detection buffer are reused); GStreamer's metadata of each face is allocated per frame.
 *
 * The element works in place and never changes the video: frames without faces pass through
 * untouched. Buffers are only made writable for their metadata (a shallow copy when shared).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert ! \
 *     emofacedetect detection-width=480 detection-interval=12 ! emooverlay ! videoconvert ! \
 *     autovideosink
 * ]|
 */
#include "gstemofacedetect.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>

#include "emo/detect/detection_worker.hpp"
#include "emo/detect/detector.hpp"
#include "emo/track/tracker.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/gst/landmark_event.hpp"
#include "gstemoanalysisfilter.h"
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
  PROP_DETECTION_INTERVAL,
  PROP_ASYNC_DETECTION,
  PROP_FOLLOW_LANDMARKS,
};

#define DEFAULT_MODEL emo::FaceDetector::kDefaultModel
#define DEFAULT_SCALE_FACTOR 1.1
#define DEFAULT_MIN_NEIGHBORS 5
#define DEFAULT_MIN_SIZE 40
/* 640: the smallest face found is about 48 px wide on a 1280-wide frame (the cascade's 24 px
 * window). On the dinner clip 480 found 30 % fewer faces (2910 against 4170 over 1972 frames)
 * for a few percent more speed, since the detection runs once per detection-interval. */
#define DEFAULT_DETECTION_WIDTH 640
#define DEFAULT_MAX_FACES 0
/* One second at 24 fps: a face that enters is found within about a second; faces already
 * found are followed by the tracker on every frame. */
#define DEFAULT_DETECTION_INTERVAL 24
#define DEFAULT_ASYNC_DETECTION TRUE
/* FALSE: on the dinner clip following the landmarks lost more tracks than optical flow alone
 * (bench/follow-landmarks-bench.sh, README "Speed"). */
#define DEFAULT_FOLLOW_LANDMARKS FALSE

/* Streaming state: built in start(), dropped in stop(), used only by the streaming thread. */
struct GstEmoFaceDetectState {
  explicit GstEmoFaceDetectState(const std::string &model) : detector(std::in_place, model) {}
  std::optional<emo::FaceDetector> detector;     // synchronous detection
  std::unique_ptr<emo::DetectionWorker> worker;  // asynchronous detection (owns a detector)
  emo::FaceTracker tracker;
  cv::Mat luma;  // converted luma for packed formats, reused across frames
  std::vector<emo::Box> detections;
  std::vector<emo::TrackedFace> faces;
  std::uint64_t last_detection = 0;
  std::uint64_t frame = 0;                       // tracker's number of the last analysed frame
  GstClockTime frame_pts = GST_CLOCK_TIME_NONE;  // its PTS
  std::vector<emo::gst::LandmarkBox> follow;     // landmark boxes taken from the mailbox
  guint64 stale_landmark_events = 0;             // for another frame than the last analysed
  bool detected_once = false;
  int next_id = 0;
  guint64 waited = 0;  // frames that waited for a detection two intervals overdue
};

/* Landmark boxes from downstream ("emo-landmark-boxes" events, any thread), applied to the
 * tracker by the streaming thread when the next frame arrives: the event thread never waits
 * for an analysis and never touches the streaming state. Only the latest event is kept. */
struct GstEmoFaceDetectMailbox {
  std::mutex lock;
  bool pending = false;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  std::vector<emo::gst::LandmarkBox> faces;  // capacity kept: swapped with state.follow
  void clear() {
    std::lock_guard<std::mutex> guard(lock);
    pending = false;
  }
};

struct _GstEmoFaceDetect {
  GstEmoAnalysisFilter parent;

  /* settings, under GST_OBJECT_LOCK (the model is the base class's) */
  emo::DetectorParams params;
  gint detection_interval;
  gboolean async_detection;
  gboolean follow_landmarks;

  /* state */
  GstEmoFaceDetectMailbox mailbox;
  std::unique_ptr<GstEmoFaceDetectState> state;
};

#define gst_emo_face_detect_parent_class parent_class
G_DEFINE_TYPE(GstEmoFaceDetect, gst_emo_face_detect, GST_TYPE_EMO_ANALYSIS_FILTER);
GST_ELEMENT_REGISTER_DEFINE(emofacedetect, "emofacedetect", GST_RANK_NONE,
                            GST_TYPE_EMO_FACE_DETECT);

static bool gst_emo_face_detect_load(GstEmoAnalysisFilter *filter, const std::string &model) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(filter);
  self->state = std::make_unique<GstEmoFaceDetectState>(model);
  gboolean async;
  {
    GstEmoObjectLock lock(self);
    async = self->async_detection;
  }
  if (async) {
    try {
      self->state->worker = std::make_unique<emo::DetectionWorker>(
          std::move(*self->state->detector),
          gst_emo_analysis_filter_opencv_threads(filter) == GST_EMO_OPENCV_THREADS_OWN);
    } catch (const std::system_error &e) { /* no thread */
      GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Cannot start the detection thread"),
                        ("%s", e.what()));
      return false;
    }
    self->state->detector.reset();
  }
  self->mailbox.clear();
  GST_INFO_OBJECT(self, "loaded cascade %s (%s detection)", model.c_str(),
                  async ? "asynchronous" : "synchronous");
  return true;
}

static void gst_emo_face_detect_unload(GstEmoAnalysisFilter *filter) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(filter);
  if (self->state && self->state->waited)
    GST_INFO_OBJECT(self, "%" G_GUINT64_FORMAT " frames waited for an overdue detection",
                    self->state->waited);
  if (self->state) {
    /* Tracking quality (bench/README): how well tracked boxes matched the next detection. */
    const emo::TrackerStats &st = self->state->tracker.stats();
    const auto n = [&st](emo::FollowResult r) { return st.follow[static_cast<size_t>(r)]; };
    GST_INFO_OBJECT(self,
                    "tracking: %" G_GUINT64_FORMAT
                    " detections matched a track, mean IoU "
                    "%.4f; %" G_GUINT64_FORMAT " new tracks; landmark boxes: %" G_GUINT64_FORMAT
                    " calibrated, %" G_GUINT64_FORMAT " followed, %" G_GUINT64_FORMAT
                    " rejected, %" G_GUINT64_FORMAT " uncalibrated, %" G_GUINT64_FORMAT
                    " unknown track, %" G_GUINT64_FORMAT " late events",
                    st.matched, st.mean_matched_iou(), st.new_tracks,
                    n(emo::FollowResult::kCalibrated), n(emo::FollowResult::kFollowed),
                    n(emo::FollowResult::kRejected), n(emo::FollowResult::kNotCalibrated),
                    n(emo::FollowResult::kUnknownTrack), self->state->stale_landmark_events);
  }
  self->state.reset(); /* joins the detection thread */
}

/* Forgets the tracks (flush, new stream): serialized, on the streaming thread. */
static void gst_emo_face_detect_reset(GstEmoAnalysisFilter *filter) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(filter);
  self->mailbox.clear();
  if (self->state) {
    if (self->state->worker) self->state->worker->discard();
    self->state->tracker.reset();
    self->state->detected_once = false;
  }
}

/* The landmark boxes of emolandmarks (any thread; consumed here, not forwarded); QoS and the
 * rest go to the base class. */
static gboolean gst_emo_face_detect_src_event(GstBaseTransform *trans, GstEvent *event) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(trans);
  if (emo::gst::is_landmark_boxes_event(event)) {
    gboolean follow;
    {
      GstEmoObjectLock lock(self);
      follow = self->follow_landmarks;
    }
    if (follow) {
      GstEmoFaceDetectMailbox &box = self->mailbox;
      std::lock_guard<std::mutex> guard(box.lock);
      try {
        box.pending = emo::gst::parse_landmark_boxes_event(event, box.pts, box.faces);
      } catch (const std::exception &e) { /* std::bad_alloc */
        box.pending = false;
      }
      if (!box.pending) GST_DEBUG_OBJECT(self, "malformed landmark boxes event ignored");
    }
    gst_event_unref(event);
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS(parent_class)->src_event(trans, event);
}

/* Moves the tracked boxes to the landmarks emolandmarks reported for the last analysed frame
 * (before the tracker advances to the next one). Boxes reported for an older frame (a queue
 * between the elements delays them) are ignored. */
static void gst_emo_face_detect_follow(GstEmoFaceDetect *self, GstEmoFaceDetectState &state) {
  GstClockTime pts;
  {
    std::lock_guard<std::mutex> guard(self->mailbox.lock);
    if (!self->mailbox.pending) return;
    self->mailbox.pending = false;
    pts = self->mailbox.pts;
    std::swap(state.follow, self->mailbox.faces);
  }
  if (pts != state.frame_pts || !GST_CLOCK_TIME_IS_VALID(pts)) {
    ++state.stale_landmark_events;
    return;
  }
  for (const emo::gst::LandmarkBox &f : state.follow)
    state.tracker.follow_landmarks(f.track_id, f.extent, state.frame);
}

/* Runs tracking and, when due, detection on one frame's luma; fills state.faces. */
static void gst_emo_face_detect_analyse(GstEmoFaceDetectState &state, const cv::Mat &luma,
                                        const emo::DetectorParams &params, int interval) {
  const std::uint64_t frame = state.tracker.advance(luma);
  state.frame = frame;
  const bool due = !state.detected_once || frame - state.last_detection >= (std::uint64_t)interval;
  if (state.worker) {
    std::uint64_t detected_on = 0;
    /* Bounded staleness: when the worker is still on a detection submitted two intervals ago
     * (its low-priority thread starved on a loaded machine), this frame waits for it rather
     * than tracking on for ever on boxes no detection confirms. */
    if (due && state.detected_once && state.worker->busy() &&
        frame - state.last_detection >= 2 * static_cast<std::uint64_t>(interval)) {
      state.worker->wait();
      ++state.waited;
    }
    if (state.worker->take(state.detections, detected_on))
      state.tracker.update(state.detections, detected_on);
    /* The first detection of a stream is waited for, so that faces show from the first frame;
     * every later one runs while frames go on. */
    const bool first = !state.detected_once;
    if (due && state.worker->submit(luma, params, frame)) {
      state.last_detection = frame;
      state.detected_once = true;
      if (first) {
        state.worker->wait();
        if (state.worker->take(state.detections, detected_on))
          state.tracker.update(state.detections, detected_on);
      }
    }
  } else if (due) {
    state.detections = state.detector->detect(luma, params);
    state.tracker.update(state.detections, frame);
    state.last_detection = frame;
    state.detected_once = true;
  }
  state.faces = state.tracker.faces();
  /* A tracked box that shrank below the smallest face the detector reports is not kept. */
  state.faces.erase(std::remove_if(state.faces.begin(), state.faces.end(),
                                   [&](const emo::TrackedFace &f) {
                                     return std::min(f.box.width, f.box.height) < params.min_size;
                                   }),
                    state.faces.end());
  std::stable_sort(state.faces.begin(), state.faces.end(),
                   [](const emo::TrackedFace &a, const emo::TrackedFace &b) {
                     return a.box.area() > b.box.area();
                   });
  if (params.max_faces > 0 && state.faces.size() > static_cast<size_t>(params.max_faces))
    state.faces.resize(static_cast<size_t>(params.max_faces));
}

static GstFlowReturn gst_emo_face_detect_analyse(GstEmoAnalysisFilter *filter, GstBuffer *buf) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(filter);
  GstEmoFaceDetectState &state = *self->state;
  emo::DetectorParams params;
  int interval;
  gboolean follow;
  {
    GstEmoObjectLock lock(self);
    params = self->params;
    interval = self->detection_interval;
    follow = self->follow_landmarks;
  }
  {
    if (follow) gst_emo_face_detect_follow(self, state);
    {
      GstEmoFrameMap map(&GST_VIDEO_FILTER(filter)->in_info, buf, GST_MAP_READ);
      if (!map.ok()) {
        GST_WARNING_OBJECT(self, "cannot map frame, passing it through unanalysed");
        return GST_FLOW_OK;
      }
      cv::Mat luma = gst_emo_frame_luma(map.frame(), state.luma);
      gst_emo_face_detect_analyse(state, luma, params, interval);
      state.frame_pts = GST_BUFFER_PTS(buf);
    }
    for (const emo::TrackedFace &face : state.faces) {
      GstVideoRegionOfInterestMeta *meta = emo::gst::add_face(buf, face.box, state.next_id++);
      emo::gst::set_tracking(meta, face.track_id, face.detected);
    }
    GST_LOG_OBJECT(self, "%zu faces at %" GST_TIME_FORMAT, state.faces.size(),
                   GST_TIME_ARGS(GST_BUFFER_PTS(buf)));
  }
  return GST_FLOW_OK;
}

static void gst_emo_face_detect_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_set_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
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
    case PROP_DETECTION_INTERVAL:
      self->detection_interval = g_value_get_int(value);
      break;
    case PROP_ASYNC_DETECTION:
      self->async_detection = g_value_get_boolean(value);
      break;
    case PROP_FOLLOW_LANDMARKS:
      self->follow_landmarks = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_face_detect_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_get_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
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
    case PROP_DETECTION_INTERVAL:
      g_value_set_int(value, self->detection_interval);
      break;
    case PROP_ASYNC_DETECTION:
      g_value_set_boolean(value, self->async_detection);
      break;
    case PROP_FOLLOW_LANDMARKS:
      g_value_set_boolean(value, self->follow_landmarks);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_face_detect_finalize(GObject *object) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  self->state.~unique_ptr();
  self->mailbox.~GstEmoFaceDetectMailbox();
  self->params.~DetectorParams();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_face_detect_init(GstEmoFaceDetect *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->params) emo::DetectorParams();
  new (&self->state) std::unique_ptr<GstEmoFaceDetectState>();
  new (&self->mailbox) GstEmoFaceDetectMailbox();
  gst_emo_analysis_filter_init_model(GST_EMO_ANALYSIS_FILTER(self), DEFAULT_MODEL);
  self->params.scale_factor = DEFAULT_SCALE_FACTOR;
  self->params.min_neighbors = DEFAULT_MIN_NEIGHBORS;
  self->params.min_size = DEFAULT_MIN_SIZE;
  self->params.detection_width = DEFAULT_DETECTION_WIDTH;
  self->params.max_faces = DEFAULT_MAX_FACES;
  self->detection_interval = DEFAULT_DETECTION_INTERVAL;
  self->async_detection = DEFAULT_ASYNC_DETECTION;
  self->follow_landmarks = DEFAULT_FOLLOW_LANDMARKS;
}

static void gst_emo_face_detect_class_init(GstEmoFaceDetectClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstEmoAnalysisFilterClass *filter_class = GST_EMO_ANALYSIS_FILTER_CLASS(klass);

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
                          "opencv-data; refused (with a warning) while the element is started",
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
  g_object_class_install_property(
      gobject_class, PROP_DETECTION_INTERVAL,
      g_param_spec_int("detection-interval", "Detection interval",
                       "Frames from one full detection to the next (1 = every frame); faces "
                       "are followed by optical flow in between and keep their track id",
                       1, G_MAXINT, DEFAULT_DETECTION_INTERVAL, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_ASYNC_DETECTION,
      g_param_spec_boolean("async-detection", "Asynchronous detection",
                           "Run the full detection on a worker thread so that no frame waits "
                           "for it (results are associated a few frames later); FALSE gives "
                           "the same output from run to run",
                           DEFAULT_ASYNC_DETECTION,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_FOLLOW_LANDMARKS,
      g_param_spec_boolean("follow-landmarks", "Follow landmarks",
                           "Between detections, move each tracked box to follow the landmarks "
                           "that an emolandmarks downstream fitted in it on the previous frame "
                           "(keeping the framing of the last detection); FALSE: optical flow "
                           "alone",
                           DEFAULT_FOLLOW_LANDMARKS, mutable_playing));

  gst_element_class_set_static_metadata(
      element_class, "Emotion face detector", "Filter/Analyzer/Video",
      "Finds faces with an OpenCV cascade and attaches a region of interest meta per face",
      "gst-emo developers");

  trans_class->src_event = GST_DEBUG_FUNCPTR(gst_emo_face_detect_src_event);
  filter_class->analysis = "Face detection";
  filter_class->load = gst_emo_face_detect_load;
  filter_class->unload = gst_emo_face_detect_unload;
  filter_class->reset = gst_emo_face_detect_reset;
  filter_class->analyse = gst_emo_face_detect_analyse;
}
