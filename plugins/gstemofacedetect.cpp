// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emofacedetect
 * @title: emofacedetect
 *
 * Finds faces and attaches one #GstVideoRegionOfInterestMeta per face: `roi_type` "face", an
 * `id` unique in the stream, the box in frame pixels. Its parameter structures: "detection"
 * (confidence, the 6 BlazeFace keypoints in frame pixels, the model), "tracking" (`track-id`,
 * stable while the face is followed and never reused; `detected`; `shot-start` on the first
 * frame of a shot) and DL Streamer's "object_id".
 *
 * By default the detector is MediaPipe's BlazeFace CNN (full range, run by ONNX Runtime on a
 * letterbox of the frame; fetched by tools/fetch-models.sh); #GstEmoFaceDetect:model selects
 * the short-range network, another BlazeFace-family network described by a JSON sidecar
 * (input, anchors, decoding: docs/sidecar.md; checked against the network at start, a field
 * that does not fit is an element error naming it) or an OpenCV cascade (`.xml`). It runs every
 * #GstEmoFaceDetect:detection-interval frames on a thread of the element, its result applied
 * #GstEmoFaceDetect:detection-lag frames later; in between, faces are followed by optical flow.
 * A new face is shown once #GstEmoFaceDetect:confirmations detection runs in a row found it;
 * small faces are also searched in #GstEmoFaceDetect:tiles overlapping tiles of the frame.
 * A track that no detection confirms within #GstEmoFaceDetect:max-unconfirmed frames or
 * #GstEmoFaceDetect:max-unconfirmed-time is dropped; a shot cut, or a cross-fade, dissolve
 * or fade found from the frames, drops every track (docs/tracking.md).
 *
 * Frames pass through unchanged; frames without faces carry no region. A frame already late
 * downstream passes without analysis (#GstBaseTransform:qos). The model is read at start: a
 * missing one is an element error naming the path; set while running it is refused.
 *
 * New caps that move pixels (frame size, pixel aspect ratio, interlacing) and a new image
 * orientation tag end every track and the shot, like a shot cut; a format change alone keeps
 * them (docs/robustness.md).
 *
 * Design notes and measurements: docs/elements.md of the gst-emo sources.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert ! \
 *     emofacedetect ! emolandmarks ! emoclassify ! emooverlay ! videoconvert ! autovideosink
 * ]|
 */
#include "gstemofacedetect.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>

#include "emo/detect/blazeface.hpp"
#include "emo/detect/detection.hpp"
#include "emo/detect/detection_worker.hpp"
#include "emo/detect/detector.hpp"
#include "emo/detect/tiled.hpp"
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
  PROP_MAX_UNCONFIRMED,
  PROP_MAX_UNCONFIRMED_TIME,
  PROP_SHOT_CUT_THRESHOLD,
  PROP_THRESHOLD,
  PROP_DETECTION_LAG,
  PROP_CONFIRMATIONS,
  PROP_TILES,
};

/* BlazeFace full range, from the model directory (gst_emo_default_model_path()). */
#define DEFAULT_MODEL_NAME "blazeface/face_detection_back_256_rect.onnx"
/* MediaPipe's min_score_thresh of the full-range graph; a short-range model with the
 * threshold left unset uses its own, 0.5. */
#define DEFAULT_THRESHOLD 0.52
#define DEFAULT_SCALE_FACTOR 1.1
#define DEFAULT_MIN_NEIGHBORS 5
#define DEFAULT_MIN_SIZE 40
/* 640: the smallest face found is about 48 px wide on a 1280-wide frame (the cascade's 24 px
 * window). On the dinner clip 480 found 30 % fewer faces (2910 against 4170 over 1972 frames)
 * for a few percent more speed, since the detection runs once per detection-interval. */
#define DEFAULT_DETECTION_WIDTH 640
#define DEFAULT_MAX_FACES 0
/* A sixth of a second at 24 fps: a face that enters is found within about 0.17 s, and a
 * track is confirmed three times within its max-unconfirmed bound (one miss does not end it);
 * faces already found are followed by the tracker on every frame. */
#define DEFAULT_DETECTION_INTERVAL 4
/* TRUE with a lag of one frame: the detection of frame N runs while frame N goes on downstream
 * (landmarks, emotion) and is applied to frame N + 1, which waits for it when it is not done.
 * The output is the same every run and a live stream's detection frames no longer wait for
 * their detection (docs/elements.md). */
#define DEFAULT_ASYNC_DETECTION TRUE
#define DEFAULT_DETECTION_LAG 1
/* FALSE: on the dinner clip following the landmarks lost more tracks than optical flow alone
 * (bench/follow-landmarks-bench.sh, docs/elements.md). */
#define DEFAULT_FOLLOW_LANDMARKS FALSE
/* Half a second at 24 fps (emo::TrackerParams). */
#define DEFAULT_MAX_UNCONFIRMED 12
#define DEFAULT_MAX_UNCONFIRMED_TIME (500 * GST_MSECOND)
/* SORT's n_init: a new face is shown once two detection runs in a row found it (the second
 * runs on the next frame: docs/tracking.md). */
#define DEFAULT_CONFIRMATIONS 2
/* Two tiles: the wide shots' small faces (bench/RESULTS.md: recall and cost). */
#define DEFAULT_TILES 2
/* emo::ShotCutParams: on the dinner clip cuts scored >= 24.8, pans and passers-by <= 17.5. */
#define DEFAULT_SHOT_CUT_THRESHOLD 20.0

/* The detector, searching `tiles` overlapping tiles of the frame as well when >= 2. */
static std::unique_ptr<emo::detect::Detector> tiled(std::unique_ptr<emo::detect::Detector> d,
                                                    guint tiles) {
  if (tiles < 2) return d;
  return std::make_unique<emo::detect::TiledDetector>(std::move(d), static_cast<int>(tiles));
}

/* Streaming state: built in start(), dropped in stop(), used only by the streaming thread. */
struct GstEmoFaceDetectState {
  GstEmoFaceDetectState(const std::string &model, guint tiles)
      : detector(tiled(emo::detect::make_detector(model), tiles)),
        model_name(detector->model_name()),
        scored(emo::detect::is_onnx_model(model)) {}
  std::unique_ptr<emo::detect::Detector> detector;  // synchronous detection
  std::unique_ptr<emo::DetectionWorker> worker;     // asynchronous detection (owns the detector)
  std::string model_name;                           // "blazeface-full", ..., "cascade"
  bool scored;                                      // the detector gives confidences
  emo::FaceTracker tracker;
  cv::Mat luma;  // converted luma for packed formats, reused across frames
  std::vector<emo::detect::FaceDetection> detections;
  std::vector<emo::Box> boxes;                                // their pixel boxes, for the tracker
  std::vector<bool> at_once;                                  // confirmed by two looks
  emo::detect::DetectionMemory memory;                        // confidence, keypoints per track
  std::vector<std::pair<std::uint64_t, emo::Box>> confirmed;  // scratch
  std::vector<std::uint64_t> alive;                           // scratch
  std::vector<emo::TrackedFace> faces;
  std::uint64_t last_detection = 0;
  std::uint64_t apply_on = 0;  // the frame the detection in flight is applied on (async)
  std::uint64_t frame = 0;     // tracker's number of the last analysed frame
  GstClockTime frame_pts = GST_CLOCK_TIME_NONE;  // its PTS
  std::vector<emo::gst::LandmarkBox> follow;     // landmark boxes taken from the mailbox
  guint64 stale_landmark_events = 0;             // for another frame than the last analysed
  bool detected_once = false;
  bool shot_start = false;  // the last analysed frame starts a shot (first frame, shot cut)
  int next_id = 0;
  guint64 waited = 0;  // frames that waited for an overdue detection
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
  gdouble threshold;
  gboolean threshold_set; /* FALSE: the model's own threshold (MediaPipe's) */
  gint detection_interval;
  gboolean async_detection;
  guint detection_lag;
  gboolean follow_landmarks;
  gint max_unconfirmed;
  guint64 max_unconfirmed_time;
  guint confirmations;
  guint tiles;
  gdouble shot_cut_threshold;

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
  guint tiles;
  {
    GstEmoObjectLock lock(self);
    tiles = self->tiles;
  }
  self->state = std::make_unique<GstEmoFaceDetectState>(model, tiles);
  gboolean async;
  emo::TrackerParams tracking;
  {
    GstEmoObjectLock lock(self);
    async = self->async_detection;
    tracking.max_unconfirmed_frames = self->max_unconfirmed;
    tracking.max_unconfirmed_ns =
        static_cast<std::int64_t>(std::min<guint64>(self->max_unconfirmed_time, G_MAXINT64));
    tracking.shot_cut.threshold = self->shot_cut_threshold;
    tracking.min_hits = static_cast<int>(self->confirmations);
  }
  self->state->tracker = emo::FaceTracker(tracking);
  /* Every emofacedetect of one BlazeFace file shares its network (emo::Network::load). */
  gst_emo_analysis_filter_note_model(filter, self->state->detector->loaded_model());
  if (async) {
    try {
      self->state->worker = std::make_unique<emo::DetectionWorker>(
          std::move(self->state->detector),
          gst_emo_analysis_filter_opencv_threads(filter) == GST_EMO_OPENCV_THREADS_OWN);
    } catch (const std::system_error &e) { /* no thread */
      GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Cannot start the detection thread"),
                        ("%s", e.what()));
      return false;
    }
  }
  self->mailbox.clear();
  GST_INFO_OBJECT(self, "loaded %s model %s (%s detection)", self->state->model_name.c_str(),
                  model.c_str(), async ? "asynchronous" : "synchronous");
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
    GST_INFO_OBJECT(self,
                    "tracks: %" G_GUINT64_FORMAT " shot cuts, %" G_GUINT64_FORMAT
                    " tracks dropped unconfirmed, %" G_GUINT64_FORMAT
                    " lost by optical flow, %" G_GUINT64_FORMAT
                    " detections of an earlier shot ignored",
                    st.shot_cuts, st.expired, st.lost, st.stale_detections);
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
    self->state->memory.clear();
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

/* How often detection must run for tracks to be confirmed within their bound. */
struct GstEmoFaceDetectSchedule {
  int interval;  // frames from one detection to the next
  int wait;      // a detection is applied this many frames after its own (async)
};

/* The detection interval, shortened so that a face that stays in the picture is confirmed
 * before its track expires (`bound` frames: max-unconfirmed, and max-unconfirmed-time at the
 * stream's frame rate when it is known), even when one detection in a row misses it.
 * Detections start at most `bound / 3` frames apart and a result is waited for when it is
 * `bound / 3` frames old, so that the next but one confirmation arrives at most `bound`
 * frames after the last one. */
static GstEmoFaceDetectSchedule gst_emo_face_detect_schedule(int interval, int max_unconfirmed,
                                                             guint64 max_time, guint lag,
                                                             const GstVideoInfo &info) {
  int bound = max_unconfirmed;
  if (max_time > 0 && GST_VIDEO_INFO_FPS_N(&info) > 0 && GST_VIDEO_INFO_FPS_D(&info) > 0) {
    const guint64 frames = gst_util_uint64_scale(max_time, GST_VIDEO_INFO_FPS_N(&info),
                                                 GST_SECOND * GST_VIDEO_INFO_FPS_D(&info));
    bound = static_cast<int>(std::min<guint64>(static_cast<guint64>(bound), frames));
  }
  GstEmoFaceDetectSchedule s;
  const int third = std::max(1, bound / 3);
  s.interval = std::clamp(interval, 1, third);
  s.wait = static_cast<int>(std::clamp<guint>(lag, 1, static_cast<guint>(third)));
  return s;
}

/* Associates state.detections, made on frame `frame`, with the tracks, and remembers the
 * confidence and keypoints of each confirmed track. */
static void gst_emo_face_detect_apply(GstEmoFaceDetectState &state, std::uint64_t frame,
                                      const emo::detect::FrameView &view) {
  state.boxes = emo::detect::pixel_boxes(state.detections, view.width, view.height);
  /* A shot's first frame: faces that both passes of the tiled detector found are confirmed at
   * once (two looks at the frame); the others wait for the next detection run. */
  state.at_once.clear();
  for (const emo::detect::FaceDetection &d : state.detections)
    state.at_once.push_back(d.views >= 2 && frame == state.tracker.shot_start());
  state.tracker.update(state.boxes, frame, state.at_once);
  state.confirmed.clear();
  for (const emo::TrackedFace &f : state.tracker.faces())
    if (f.detected) state.confirmed.emplace_back(f.track_id, f.box);
  state.memory.update(state.detections, state.confirmed, state.scored);
}

/* Runs tracking and, when due, detection on one frame; fills state.faces. */
static void gst_emo_face_detect_analyse(GstEmoFaceDetectState &state,
                                        const emo::detect::FrameView &view, std::int64_t time_ns,
                                        const emo::DetectorParams &params,
                                        const GstEmoFaceDetectSchedule &schedule) {
  const cv::Mat &luma = view.luma;
  const std::uint64_t frame = state.tracker.advance(luma, time_ns);
  state.frame = frame;
  const bool cut = state.tracker.shot_cut();
  state.shot_start = cut || !state.detected_once;
  const auto interval = static_cast<std::uint64_t>(schedule.interval);
  /* A tentative track is confirmed (or dropped) by the next detection run, which is due at
   * once; inside a gradual transition no track can be built, so nothing is detected. */
  const bool due = !state.tracker.in_transition() &&
                   (!state.detected_once || cut || state.tracker.has_tentative() ||
                    frame - state.last_detection >= interval);
  if (state.worker) {
    std::uint64_t detected_on = 0;
    /* The detection in flight is applied on frame apply_on exactly (detection-lag frames after
     * its own, bounded by a third of the max-unconfirmed bound; one frame for a shot cut's):
     * this frame waits for it when it is still running, and a result that is ready earlier
     * waits for its frame. So the output does not depend on timing. */
    if (state.worker->busy() && frame >= state.apply_on) {
      if (state.worker->running()) ++state.waited;
      state.worker->wait();
      /* A result for a frame of the previous shot is ignored by the tracker. */
      if (state.worker->take(state.detections, detected_on))
        gst_emo_face_detect_apply(state, detected_on, view);
    }
    /* The first detection of a stream (and after a flush) and the detection of a shot cut's
     * frame are waited for, so that faces show from the first frame of a shot (the tracks of
     * the previous shot are gone): on the dinner clip's ground truth, showing them one frame
     * later lost recall 0.934 -> 0.902 (2 of 41 frames are a cut's). A cut replaces whatever
     * the worker is doing. */
    const bool first = !state.detected_once;
    /* A shot's first frame is searched in every tile, for two looks at each face. */
    emo::DetectorParams shot_params = params;
    shot_params.all_tiles = first || cut;
    /* The faces found on a shot's first frame are tentative; the detection that confirms them
     * runs on the next frame and is waited for too, so that they show from there. */
    const bool confirm = state.detected_once && state.tracker.has_tentative() &&
                         frame == state.tracker.shot_start() + 1;
    if ((cut && !first) || confirm) {
      state.worker->replace(view, shot_params, frame);
      state.last_detection = frame;
      state.worker->wait();
      if (state.worker->take(state.detections, detected_on))
        gst_emo_face_detect_apply(state, detected_on, view);
    } else if (due && state.worker->submit(view, shot_params, frame)) {
      state.last_detection = frame;
      state.apply_on = frame + static_cast<std::uint64_t>(schedule.wait);
      state.detected_once = true;
      if (first) {
        state.worker->wait();
        if (state.worker->take(state.detections, detected_on))
          gst_emo_face_detect_apply(state, detected_on, view);
      }
    }
  } else if (due) {
    emo::DetectorParams shot_params = params;
    shot_params.all_tiles = cut || !state.detected_once;
    state.detections = state.detector->detect(view, shot_params);
    gst_emo_face_detect_apply(state, frame, view);
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
  state.alive.clear();
  for (const emo::TrackedFace &f : state.tracker.faces()) state.alive.push_back(f.track_id);
  state.memory.keep_only(state.alive);
}

static GstFlowReturn gst_emo_face_detect_analyse(GstEmoAnalysisFilter *filter, GstBuffer *buf) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(filter);
  GstEmoFaceDetectState &state = *self->state;
  emo::DetectorParams params;
  int interval, max_unconfirmed;
  guint64 max_time;
  guint lag;
  gboolean follow;
  {
    GstEmoObjectLock lock(self);
    params = self->params;
    params.score_threshold = self->threshold_set ? self->threshold : -1.0;
    interval = self->detection_interval;
    max_unconfirmed = self->max_unconfirmed;
    max_time = self->max_unconfirmed_time;
    lag = self->detection_lag;
    follow = self->follow_landmarks;
  }
  const GstEmoFaceDetectSchedule schedule = gst_emo_face_detect_schedule(
      interval, max_unconfirmed, max_time, lag, GST_VIDEO_FILTER(filter)->in_info);
  const GstClockTime running = gst_segment_to_running_time(&GST_BASE_TRANSFORM(filter)->segment,
                                                           GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
  const std::int64_t time_ns = GST_CLOCK_TIME_IS_VALID(running) ? static_cast<std::int64_t>(running)
                                                                : emo::FaceTracker::kNoTime;
  {
    if (follow) gst_emo_face_detect_follow(self, state);
    {
      GstEmoFrameMap map(&GST_VIDEO_FILTER(filter)->in_info, buf, GST_MAP_READ);
      if (!map.ok()) {
        GST_WARNING_OBJECT(self, "cannot map frame, passing it through unanalysed");
        return GST_FLOW_OK;
      }
      emo::detect::FrameView view;
      if (!gst_emo_frame_view(map.frame(), gst_emo_frame_luma(map.frame(), state.luma), view)) {
        GST_WARNING_OBJECT(self, "unsupported frame format, passing it through unanalysed");
        return GST_FLOW_OK;
      }
      gst_emo_face_detect_analyse(state, view, time_ns, params, schedule);
      state.frame_pts = GST_BUFFER_PTS(buf);
    }
    for (const emo::TrackedFace &face : state.faces) {
      GstVideoRegionOfInterestMeta *meta = emo::gst::add_face(buf, face.box, state.next_id++);
      emo::gst::set_tracking(meta, face.track_id, face.detected, state.shot_start);
      if (const emo::detect::DetectionMemory::Entry *d = state.memory.find(face.track_id))
        emo::gst::set_detection(meta, d->has_score ? d->score : -1.0,
                                emo::detect::DetectionMemory::place(*d, face.box),
                                state.model_name.c_str());
      else
        emo::gst::set_detection(meta, -1.0, {}, state.model_name.c_str());
    }
    if (state.tracker.shot_cut())
      GST_DEBUG_OBJECT(self, "shot cut at %" GST_TIME_FORMAT " (frame %" G_GUINT64_FORMAT ")",
                       GST_TIME_ARGS(GST_BUFFER_PTS(buf)), state.frame);
    GST_LOG_OBJECT(self, "%zu faces at %" GST_TIME_FORMAT, state.faces.size(),
                   GST_TIME_ARGS(GST_BUFFER_PTS(buf)));
  }
  return GST_FLOW_OK;
}

static void gst_emo_face_detect_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec) {
  GstEmoFaceDetect *self = GST_EMO_FACE_DETECT(object);
  if (gst_emo_analysis_filter_refuse_while_started(GST_EMO_ANALYSIS_FILTER(object), pspec, value))
    return;
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_set_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double(value);
      self->threshold_set = TRUE;
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
    case PROP_DETECTION_INTERVAL:
      self->detection_interval = g_value_get_int(value);
      break;
    case PROP_ASYNC_DETECTION:
      self->async_detection = g_value_get_boolean(value);
      break;
    case PROP_DETECTION_LAG:
      self->detection_lag = g_value_get_uint(value);
      break;
    case PROP_FOLLOW_LANDMARKS:
      self->follow_landmarks = g_value_get_boolean(value);
      break;
    case PROP_MAX_UNCONFIRMED:
      self->max_unconfirmed = g_value_get_int(value);
      break;
    case PROP_MAX_UNCONFIRMED_TIME:
      self->max_unconfirmed_time = g_value_get_uint64(value);
      break;
    case PROP_SHOT_CUT_THRESHOLD:
      self->shot_cut_threshold = g_value_get_double(value);
      break;
    case PROP_CONFIRMATIONS:
      self->confirmations = g_value_get_uint(value);
      break;
    case PROP_TILES:
      self->tiles = g_value_get_uint(value);
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
    case PROP_THRESHOLD:
      g_value_set_double(value, self->threshold);
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
    case PROP_DETECTION_INTERVAL:
      g_value_set_int(value, self->detection_interval);
      break;
    case PROP_ASYNC_DETECTION:
      g_value_set_boolean(value, self->async_detection);
      break;
    case PROP_DETECTION_LAG:
      g_value_set_uint(value, self->detection_lag);
      break;
    case PROP_FOLLOW_LANDMARKS:
      g_value_set_boolean(value, self->follow_landmarks);
      break;
    case PROP_MAX_UNCONFIRMED:
      g_value_set_int(value, self->max_unconfirmed);
      break;
    case PROP_MAX_UNCONFIRMED_TIME:
      g_value_set_uint64(value, self->max_unconfirmed_time);
      break;
    case PROP_SHOT_CUT_THRESHOLD:
      g_value_set_double(value, self->shot_cut_threshold);
      break;
    case PROP_CONFIRMATIONS:
      g_value_set_uint(value, self->confirmations);
      break;
    case PROP_TILES:
      g_value_set_uint(value, self->tiles);
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
  gst_emo_analysis_filter_init_model(GST_EMO_ANALYSIS_FILTER(self),
                                     gst_emo_default_model_path(DEFAULT_MODEL_NAME));
  self->threshold = DEFAULT_THRESHOLD;
  self->threshold_set = FALSE;
  self->params.scale_factor = DEFAULT_SCALE_FACTOR;
  self->params.min_neighbors = DEFAULT_MIN_NEIGHBORS;
  self->params.min_size = DEFAULT_MIN_SIZE;
  self->params.detection_width = DEFAULT_DETECTION_WIDTH;
  self->params.max_faces = DEFAULT_MAX_FACES;
  self->detection_interval = DEFAULT_DETECTION_INTERVAL;
  self->async_detection = DEFAULT_ASYNC_DETECTION;
  self->detection_lag = DEFAULT_DETECTION_LAG;
  self->follow_landmarks = DEFAULT_FOLLOW_LANDMARKS;
  self->max_unconfirmed = DEFAULT_MAX_UNCONFIRMED;
  self->max_unconfirmed_time = DEFAULT_MAX_UNCONFIRMED_TIME;
  self->shot_cut_threshold = DEFAULT_SHOT_CUT_THRESHOLD;
  self->confirmations = DEFAULT_CONFIRMATIONS;
  self->tiles = DEFAULT_TILES;
}

static void gst_emo_face_detect_class_init(GstEmoFaceDetectClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstEmoAnalysisFilterClass *filter_class = GST_EMO_ANALYSIS_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_face_detect_debug, "emofacedetect", 0,
                          "gst-emo face detector (BlazeFace or cascade)");

  gobject_class->set_property = gst_emo_face_detect_set_property;
  gobject_class->get_property = gst_emo_face_detect_get_property;
  gobject_class->finalize = gst_emo_face_detect_finalize;

  const auto mutable_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                        GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Detection model",
                          "Path of the face detection model, loaded when the element starts "
                          "(refused with a warning while it is started): a BlazeFace-family "
                          "JSON sidecar (docs/sidecar.md) or .onnx network, which takes "
                          "NAME.json beside it, else ../blazeface-sidecars/NAME.json, else "
                          "MediaPipe's settings (default: full range, " EMO_MODEL_INSTALL_DIR
                          "/" DEFAULT_MODEL_NAME ", or $GST_EMO_MODEL_DIR/" DEFAULT_MODEL_NAME
                          " when GST_EMO_MODEL_DIR is set; fetched by tools/fetch-models.sh; "
                          "face_detection_front_128_rect.onnx is the short-range model; the npm "
                          "package's square-input _barracuda.onnx files also load) "
                          "or an OpenCV cascade .xml file (Haar or LBP, e.g. "
                          "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml "
                          "from the Debian package opencv-data)",
                          EMO_MODEL_INSTALL_DIR "/" DEFAULT_MODEL_NAME,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_SCALE_FACTOR,
      g_param_spec_double("scale-factor", "Scale factor",
                          "Cascade only: scale step between the image pyramid levels (1.1 = "
                          "10 % steps; smaller finds more faces, slower)",
                          1.01, 2.0, DEFAULT_SCALE_FACTOR, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MIN_NEIGHBORS,
      g_param_spec_int("min-neighbors", "Minimum neighbours",
                       "Cascade only: overlapping raw detections needed to accept a face "
                       "(higher = fewer false faces)",
                       0, 100, DEFAULT_MIN_NEIGHBORS, mutable_playing));
  g_object_class_install_property(gobject_class, PROP_MIN_SIZE,
                                  g_param_spec_int("min-size", "Minimum face size",
                                                   "Smallest face side to detect, in frame pixels",
                                                   0, G_MAXINT, DEFAULT_MIN_SIZE, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DETECTION_WIDTH,
      g_param_spec_int("detection-width", "Detection width",
                       "Cascade only: width in pixels the luma is downscaled to before "
                       "detection (boxes are mapped back to frame pixels); 0 = full frame "
                       "width. BlazeFace always sees the frame letterboxed to its input size",
                       0, G_MAXINT, DEFAULT_DETECTION_WIDTH, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_FACES,
      g_param_spec_int("max-faces", "Maximum faces",
                       "Keep at most this many faces per frame, largest first (0 = no limit)", 0,
                       G_MAXINT, DEFAULT_MAX_FACES, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DETECTION_INTERVAL,
      g_param_spec_int("detection-interval", "Detection interval",
                       "Frames from one full detection to the next (1 = every frame); at most a "
                       "third of the max-unconfirmed bound is used; faces are followed by "
                       "optical flow in between and keep their track id",
                       1, G_MAXINT, DEFAULT_DETECTION_INTERVAL, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_ASYNC_DETECTION,
      g_param_spec_boolean("async-detection", "Asynchronous detection",
                           "Run the full detection on a worker thread while the frame goes on "
                           "downstream; its result is applied detection-lag frames later "
                           "(default TRUE, lag 1: on the next frame, the same output every "
                           "run). FALSE: each detection frame waits for its own detection",
                           DEFAULT_ASYNC_DETECTION,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_DETECTION_LAG,
      g_param_spec_uint("detection-lag", "Detection lag",
                        "With async-detection: a detection's result is applied exactly this "
                        "many frames after the frame it ran on, which waits for it when it is "
                        "not done (frames; at most a third of max-unconfirmed is used; the "
                        "output does not depend on timing). 1 = the next frame; larger lets "
                        "the detection overlap more frames with older boxes. The detections of "
                        "a stream's first frame and of a shot cut are always applied at once",
                        1, G_MAXINT, DEFAULT_DETECTION_LAG, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_FOLLOW_LANDMARKS,
      g_param_spec_boolean("follow-landmarks", "Follow landmarks",
                           "Between detections, move each tracked box to follow the landmarks "
                           "that an emolandmarks downstream fitted in it on the previous frame "
                           "(keeping the framing of the last detection); FALSE: optical flow "
                           "alone",
                           DEFAULT_FOLLOW_LANDMARKS, mutable_playing));
  const auto mutable_ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                      GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_MAX_UNCONFIRMED,
      g_param_spec_int("max-unconfirmed", "Maximum unconfirmed frames",
                       "A track that no detection confirmed for more than this many frames "
                       "(counted from the frame the last confirming detection ran on) is "
                       "dropped: no box outlives its face by more (12 = 0.5 s at 24 fps); "
                       "detection runs at least every third of it. 0 = only frames of a "
                       "confirming detection",
                       0, G_MAXINT, DEFAULT_MAX_UNCONFIRMED, mutable_ready));
  g_object_class_install_property(
      gobject_class, PROP_MAX_UNCONFIRMED_TIME,
      g_param_spec_uint64("max-unconfirmed-time", "Maximum unconfirmed time",
                          "The same bound in running time, nanoseconds (0 = none): a track "
                          "unconfirmed for longer is dropped, also when frames are skipped or "
                          "slow; whichever bound comes first applies",
                          0, G_MAXUINT64, DEFAULT_MAX_UNCONFIRMED_TIME, mutable_ready));
  g_object_class_install_property(
      gobject_class, PROP_SHOT_CUT_THRESHOLD,
      g_param_spec_double("shot-cut-threshold", "Shot cut threshold",
                          "Mean absolute difference of the luma downscaled to 64 px wide "
                          "between consecutive frames, in grey levels (0-255), from which a "
                          "frame is a shot cut (when its luma histogram also changed: "
                          "correlation <= 0.95); a cut drops every track and runs a detection. "
                          "0 = no cut detection",
                          0.0, 255.0, DEFAULT_SHOT_CUT_THRESHOLD, mutable_ready));
  g_object_class_install_property(
      gobject_class, PROP_CONFIRMATIONS,
      g_param_spec_uint("confirmations", "Confirmations",
                        "Detection runs in a row that must find a new face before its track "
                        "is published (attached as a region of interest): a face found by one "
                        "run only is never shown. A tentative track makes the next run due "
                        "on the next frame, so with 2 a new face shows from the frame after "
                        "detection-lag + 1 frames (2 frames, 83 ms at 24 fps, with the "
                        "defaults). 1 = at the first detection",
                        1, 100, DEFAULT_CONFIRMATIONS, mutable_ready));
  g_object_class_install_property(
      gobject_class, PROP_TILES,
      g_param_spec_uint("tiles", "Detection tiles",
                        "Small faces: besides the whole frame, each detection also searches "
                        "this many overlapping tiles across the frame (and as many rows as "
                        "keep them about square), each scaled to the network input on its "
                        "own: 2 shows a 1280x720 frame's faces 1.6x larger, for three "
                        "network runs a detection instead of one. 0 = the whole frame only",
                        0, 8, DEFAULT_TILES, mutable_ready));

  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_double("threshold", "Score threshold",
                          "BlazeFace only: smallest detection score (0-1) of a face; default "
                          "0.52, MediaPipe's value for the full-range model (a short-range "
                          "model uses MediaPipe's 0.5 while this is not set)",
                          0.0, 1.0, DEFAULT_THRESHOLD, mutable_playing));

  gst_element_class_set_static_metadata(
      element_class, "Emotion face detector", "Filter/Analyzer/Video",
      "Finds faces (MediaPipe BlazeFace CNN or an OpenCV cascade) and attaches a region of "
      "interest meta per face",
      "gst-emo developers");

  trans_class->src_event = GST_DEBUG_FUNCPTR(gst_emo_face_detect_src_event);
  filter_class->analysis = "Face detection";
  filter_class->load = gst_emo_face_detect_load;
  filter_class->unload = gst_emo_face_detect_unload;
  filter_class->reset = gst_emo_face_detect_reset;
  filter_class->analyse = gst_emo_face_detect_analyse;
}
