// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emoclassify
 * @title: emoclassify
 *
 * Classifies the facial expression of every face region (attached upstream by
 * emofacedetect ! emolandmarks) and stores the result on the region as an "emotion" parameter
 * structure: `label`, `class-id`, `confidence`, `labels` and `scores` (per-class scores in
 * [0, 1] summing to 1, in the order of `labels`).
 *
 * The kind of model follows from the #GstEmoClassify:model file (emo::EmotionModel):
 * - an appearance CNN (`.json` sidecar or `.onnx` with its sidecar beside it; the default
 *   emotion-ferplus-e2e.json, face-api's FaceExpressionNet trained end to end on FER+'s crowd
 *   votes, CK+ and faces-wild by tools/emo-train-e2e.py, 6 classes, with its own gate
 *   thresholds in the sidecar): run by ONNX Runtime on an eye-levelled crop of the face's luma,
 * aligned on the landmarks when the face has 68, else cropped from the box. Any other ONNX
 * classifier runs the same way from a JSON sidecar giving its labels, input size, layout, colour (a
 * colour network's crop comes from the colour frame), normalisation and crop rule
 *   (docs/sidecar.md); the sidecar is checked against the network at start, and a field that
 *   does not fit is an element error naming it;
 * - a fused model (`.yml.gz`, format gst-emo-fused-model, emotion-fused.yml.gz): a random
 *   forest over the 68-landmark geometry and the CNN's embedding and class scores;
 * - a landmark forest (`.yml.gz`, format gst-emo-emotion-model, e.g. happy-sad.yml.gz), which
 *   never looks at the pixels.
 *
 * A tracked face is classified again every #GstEmoClassify:reclassify-interval frames, at most
 * #GstEmoClassify:max-classifications faces a frame (new faces first), and its scores are
 * smoothed by track (#GstEmoClassify:smoothing). Faces of a shot's first frame (`shot-start`)
 * get their label from the next frame on. Faces whose landmark count differs from the model's
 * are skipped with a warning.
 *
 * A face the gate lets through gets its most likely class, except that "surprise" needs raised
 * brows: a tracked face whose brows are not raised over its own baseline
 * (#GstEmoClassify:min-brow-raise) gets its best other class instead, since a talking mouth
 * reads as surprise to the networks; the "emotion" structure then has `surprise-vetoed` TRUE
 * and its `brow-raise`.
 *
 * With #GstEmoClassify:post-messages, the element posts one element message per frame named
 * "emo-faces", with the fields `timestamp`, `stream-time` and `running-time` (#GstClockTime)
 * and `faces`, a #GstValueList of "face" structures with the fields `id`, `x`, `y`, `width`,
 * `height` (gint, frame pixels), `landmarks` (guint, number of points), `label` (string, empty
 * when the face was not classified), `confidence` (gdouble in [0, 1]) and `shot-start`
 * (gboolean: the frame starts a shot, see emofacedetect).
 *
 * The element never changes the video. A frame already late downstream passes without
 * classification (#GstBaseTransform:qos). The model is read at start: a missing one is an
 * element error naming the path; set while running it is refused with a warning.
 *
 * Design notes (threads, sharing, QoS): docs/elements.md of the gst-emo sources.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m v4l2src ! videoconvert ! emofacedetect ! emolandmarks ! \
 *     emoclassify post-messages=true smoothing=0.7 reclassify-interval=4 ! emooverlay ! \
 *     videoconvert ! autovideosink
 * ]|
 */
#include "gstemoclassify.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>

#include "emo/classify/classifier.hpp"
#include "emo/classify/emotion_model.hpp"
#include "emo/classify/gate.hpp"
#include "emo/classify/smoothing.hpp"
#include "emo/classify/surprise_check.hpp"
#include "emo/core/model_cache.hpp"
#include "emo/core/opencv_threads.hpp"
#include "emo/gst/face_meta.hpp"
#include "gstemoanalysisfilter.h"
#include "gstemocommon.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_classify_debug);
#define GST_CAT_DEFAULT gst_emo_classify_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SMOOTHING,
  PROP_POST_MESSAGES,
  PROP_RECLASSIFY_INTERVAL,
  PROP_MAX_CLASSIFICATIONS,
  PROP_CLASSIFY_SHOT_START,
  PROP_MIN_FACE_SIZE,
  PROP_MAX_YAW,
  PROP_MIN_SHARPNESS,
  PROP_MIN_MARGIN,
  PROP_HOLD_FRAMES,
  PROP_HOLD_TIME,
  PROP_MIN_BROW_RAISE,
  PROP_HOLD_CLASSIFICATIONS,
};

#define DEFAULT_MODEL_NAME "emotion-ferplus-e2e.json"
/* alpha = 0.5: the smoothed score keeps half of the previous frame's. This cuts the variance of
 * the frame-to-frame vote noise to (1 - a) / (1 + a) = 1/3 while a real change of expression
 * shows after 1 frame and is 94 % through after 4 frames (~130 ms at 30 fps), much shorter
 * than an expression (0.5 to 4 s). */
#define DEFAULT_SMOOTHING 0.5
#define DEFAULT_POST_MESSAGES FALSE
/* 6: a tracked face is classified on every sixth frame (4 times a second at 24 fps, still more
 * often than expressions change; smoothing covers the frames between). The default fine-tuned
 * CNN costs about 90x the landmark forest per face (bench_stages BM_Classify/finetuned: 5.0 ms
 * against 0.057 ms for BM_Classify/forest, one run on the 2 cores, idle). */
#define DEFAULT_RECLASSIFY_INTERVAL 6
/* 2: after a shot cut every face of the new shot is new; classifying 6 of them at once (a CNN
 * each) made the frame's tail latency. Two a frame label 6 new faces within 3 frames (0.125 s
 * at 24 fps) and spread their later re-classifications over the frames. */
#define DEFAULT_MAX_CLASSIFICATIONS 2
/* FALSE: the first frame of a shot (emofacedetect's "shot-start") already waited for its own
 * detection; its faces are labelled from the next frame on, one frame (42 ms at 24 fps) later.
 * Classifying them there too made those frames the live chain's p99 latency (bench/RESULTS.md,
 * "Latency"). */
#define DEFAULT_CLASSIFY_SHOT_START FALSE
/* The emotion gate and the label hysteresis: reasons in emo/classify/gate.hpp, measurements in
 * docs/emotion-labels.md. A model's sidecar may set its own gate thresholds (its "gate" object,
 * chosen by tools/emo-calibrate-gate.py): they replace these defaults, and a property set on the
 * element replaces both (emo::resolve_gate). */
#define DEFAULT_MIN_FACE_SIZE 48
#define DEFAULT_MAX_YAW 45.0
#define DEFAULT_MIN_SHARPNESS 0.5
#define DEFAULT_MIN_MARGIN 0.10
#define DEFAULT_HOLD_FRAMES 2
/* The hold is counted in classifications (2 runs of the network that agree: one
 * reclassify-interval, 250 ms at 24 fps), not in presentation time: on the tuning labels it
 * labelled more smiles than 500 ms without losing calm faces, and on the report labels it kept
 * the smiles and read more calm faces as neutral, none as negative (docs/emotion-labels.md). */
#define DEFAULT_HOLD_TIME 0
#define DEFAULT_HOLD_CLASSIFICATIONS 2
/* Surprise needs raised brows (emo/classify/surprise_check.hpp): 0.04 inter-ocular units over
 * the track's own baseline, learnt on CK+ by tools/emo-calibrate-surprise.py. */
#define DEFAULT_MIN_BROW_RAISE 0.04

/* Streaming state: built in start(), dropped in stop(), used only by the streaming thread
 * (transform_ip and the serialized events FLUSH_STOP and STREAM_START). The classifier is
 * const (predict() is thread-safe) so one loaded model could later be shared. */
struct GstEmoClassifyState {
  explicit GstEmoClassifyState(const std::string &model)
      : classifier(emo::shared_emotion_model(model)) {}
  std::shared_ptr<const emo::EmotionModel> classifier;
  emo::ScoreSmoother smoother;
  emo::LabelHysteresis hysteresis;
  emo::SurpriseCheck surprise;
  /* Per track id: the last classification's raw scores, the face's sharpness then (NaN when
   * not measured) and the frames since then. */
  struct Cached {
    std::vector<float> scores;
    guint age = 0;
    double sharpness = std::nan("");
  };
  std::map<std::int64_t, Cached> cache;
  cv::Mat luma;              // converted luma for packed formats, reused across frames
  cv::Mat bgr, bgr_scratch;  // the BGR frame for a colour network, reused across frames
  guint64 classified = 0, reused = 0;
  guint64 deferred = 0;  // classifications put off to a later frame by the budget
  /* CPU time of the classifications (model and sharpness, thread CPU clock), both threads. */
  std::atomic<std::int64_t> classify_cpu_ns{0};
  bool warned_mismatch = false;
  bool warned_missing = false;
};

struct _GstEmoClassify {
  GstEmoAnalysisFilter parent;

  /* settings, under GST_OBJECT_LOCK (the model is the base class's) */
  gdouble smoothing;
  gboolean post_messages;
  guint reclassify_interval;
  guint max_classifications;
  gboolean classify_shot_start;
  emo::GateSettings gate;
  unsigned gate_set;             /* emo::GateField bits: gate thresholds set as properties */
  emo::GateOverrides model_gate; /* the loaded model's sidecar "gate" (while started) */
  emo::LabelHysteresis::Settings hold;
  emo::SurpriseCheckSettings surprise;

  /* state */
  std::unique_ptr<GstEmoClassifyState> state;
};

#define gst_emo_classify_parent_class parent_class
G_DEFINE_TYPE(GstEmoClassify, gst_emo_classify, GST_TYPE_EMO_ANALYSIS_FILTER);
GST_ELEMENT_REGISTER_DEFINE(emoclassify, "emoclassify", GST_RANK_NONE, GST_TYPE_EMO_CLASSIFY);

static bool gst_emo_classify_load(GstEmoAnalysisFilter *filter, const std::string &model) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(filter);
  self->state = std::make_unique<GstEmoClassifyState>(model);
  gst_emo_analysis_filter_note_model(filter, self->state->classifier.get());
  emo::GateSettings gate;
  {
    GstEmoObjectLock lock(self);
    self->model_gate = self->state->classifier->gate();
    gate = emo::resolve_gate(self->gate, self->gate_set, self->model_gate);
  }
  GST_INFO_OBJECT(self,
                  "gate: min-face-size %d px, max-yaw %.1f degrees, min-sharpness %.2f, "
                  "min-margin %.3f (%s)",
                  gate.min_face_size, gate.max_yaw, gate.min_sharpness, gate.min_margin,
                  self->model_gate.empty() ? "the element's"
                                           : "the model's sidecar, then set "
                                             "properties");
  GST_INFO_OBJECT(
      self, "loaded emotion model %s (%s, %zu classes, %d landmarks), instance %p, %ld users",
      model.c_str(), self->state->classifier->kind_name(), self->state->classifier->labels().size(),
      self->state->classifier->landmark_count(),
      static_cast<const void *>(self->state->classifier.get()),
      self->state->classifier.use_count());
  return true;
}

static void gst_emo_classify_unload(GstEmoAnalysisFilter *filter) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(filter);
  if (self->state)
    GST_INFO_OBJECT(self,
                    "%" G_GUINT64_FORMAT
                    " faces classified (%.2f ms of CPU each), %" G_GUINT64_FORMAT
                    " reused a track's last scores, %" G_GUINT64_FORMAT
                    " classifications put off by max-classifications",
                    self->state->classified,
                    self->state->classified
                        ? self->state->classify_cpu_ns.load() / 1e6 / self->state->classified
                        : 0.0,
                    self->state->reused, self->state->deferred);
  self->state.reset();
  GstEmoObjectLock lock(self);
  self->model_gate = emo::GateOverrides{};
}

/* Flush, new stream: forget the smoothed faces. */
static void gst_emo_classify_reset(GstEmoAnalysisFilter *filter) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(filter);
  if (!self->state) return;
  GST_DEBUG_OBJECT(self, "forgetting the smoothed faces");
  self->state->smoother.reset();
  self->state->hysteresis.reset();
  self->state->surprise.reset();
  self->state->cache.clear();
}

/* Builds the "emo-faces" element message of one frame. */
static GstMessage *gst_emo_classify_faces_message(GstEmoClassify *self, GstBuffer *buf,
                                                  const std::vector<emo::gst::Face> &faces) {
  const GstSegment *segment = &GST_BASE_TRANSFORM(self)->segment;
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(pts) && segment->format == GST_FORMAT_TIME) {
    stream_time = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts);
    running_time = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts);
  }

  GValue list = G_VALUE_INIT;
  g_value_init(&list, GST_TYPE_LIST);
  for (const emo::gst::Face &face : faces) {
    GstStructure *s = gst_structure_new(
        "face", "id", G_TYPE_INT, face.id, "x", G_TYPE_INT, face.box.x, "y", G_TYPE_INT, face.box.y,
        "width", G_TYPE_INT, face.box.width, "height", G_TYPE_INT, face.box.height, "landmarks",
        G_TYPE_UINT, static_cast<guint>(face.landmarks.size()), "label", G_TYPE_STRING,
        face.emotion ? face.emotion->label.c_str() : "", "confidence", G_TYPE_DOUBLE,
        face.emotion ? static_cast<gdouble>(face.emotion->confidence) : 0.0, "shot-start",
        G_TYPE_BOOLEAN, face.shot_start ? TRUE : FALSE, nullptr);
    GValue item = G_VALUE_INIT;
    g_value_init(&item, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&item, s);
    gst_value_list_append_and_take_value(&list, &item);
  }

  GstStructure *s =
      gst_structure_new("emo-faces", "timestamp", G_TYPE_UINT64, pts, "stream-time", G_TYPE_UINT64,
                        stream_time, "running-time", G_TYPE_UINT64, running_time, nullptr);
  gst_structure_take_value(s, "faces", &list);
  return gst_message_new_element(GST_OBJECT(self), s);
}

static GstFlowReturn gst_emo_classify_analyse(GstEmoAnalysisFilter *filter, GstBuffer *buf) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(filter);
  gdouble smoothing;
  gboolean post_messages;
  guint interval;
  size_t budget;
  gboolean shot_start_classified;
  emo::GateSettings gate;
  emo::LabelHysteresis::Settings hold;
  emo::SurpriseCheckSettings surprise;
  {
    GstEmoObjectLock lock(self);
    smoothing = self->smoothing;
    post_messages = self->post_messages;
    interval = self->reclassify_interval;
    budget = self->max_classifications;
    shot_start_classified = self->classify_shot_start;
    gate = emo::resolve_gate(self->gate, self->gate_set, self->model_gate);
    hold = self->hold;
    surprise = self->surprise;
  }
  GstMessage *message = nullptr;
  GstEmoClassifyState &state = *self->state;
  const emo::EmotionModel &classifier = *state.classifier;
  const size_t model_points = static_cast<size_t>(classifier.landmark_count());

  std::vector<emo::gst::Face> faces = emo::gst::read_faces(buf);
  std::vector<emo::gst::Face *> classified;
  std::vector<emo::ScoreSmoother::Face> scored;
  /* The luma is mapped only when a face needs the pixels; a colour network (its sidecar's
   * input.color rgb or bgr) gets the frame as BGR too, for its crops. */
  std::unique_ptr<GstEmoFrameMap> map;
  cv::Mat luma, colour;
  auto pixels = [&]() -> bool {
    if (!map) {
      map = std::make_unique<GstEmoFrameMap>(&GST_VIDEO_FILTER(self)->in_info, buf, GST_MAP_READ);
      if (map->ok()) luma = gst_emo_frame_luma(map->frame(), state.luma);
      if (map->ok() && classifier.wants_colour())
        colour = gst_emo_frame_bgr(map->frame(), state.bgr, state.bgr_scratch);
    }
    return map->ok();
  };
  for (auto &entry : state.cache) ++entry.second.age;
  /* Which faces are classified on this frame: every face without fresh scores (no track, a
   * track not classified yet, or scores `interval` frames old), at most `budget` of them:
   * faces without scores first, then the oldest scores. A face over the budget keeps its last
   * scores one frame more, or stays unlabelled on this frame when it has none. */
  std::vector<bool> usable(faces.size(), false), classify(faces.size(), false);
  std::vector<std::pair<guint, size_t>> due;  // (frames since the last scores, face index)
  for (size_t i = 0; i < faces.size(); ++i) {
    const emo::gst::Face &face = faces[i];
    if (model_points && face.landmarks.size() != model_points) {
      bool &warned = face.landmarks.empty() ? state.warned_missing : state.warned_mismatch;
      if (!warned) {
        if (face.landmarks.empty())
          GST_WARNING_OBJECT(self,
                             "face %d has no landmarks (is emolandmarks upstream?); "
                             "faces without landmarks are not classified",
                             face.id);
        else
          GST_WARNING_OBJECT(self,
                             "face %d has %zu landmarks but the emotion model needs %zu; "
                             "such faces are not classified",
                             face.id, face.landmarks.size(), model_points);
        warned = true;
      }
      continue;
    }
    usable[i] = true;
    const auto cached = face.track_id >= 0 ? state.cache.find(face.track_id) : state.cache.end();
    if (cached == state.cache.end())
      due.emplace_back(G_MAXUINT, i);
    else if (cached->second.age >= interval)
      due.emplace_back(cached->second.age, i);
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto &a, const auto &b) { return a.first > b.first; });
  /* The first frame of a shot waited for its detection upstream: its faces (all new) are
   * classified from the next frame, unless classify-shot-start. */
  const bool shot_start =
      std::any_of(faces.begin(), faces.end(), [](const emo::gst::Face &f) { return f.shot_start; });
  if (shot_start && !shot_start_classified) {
    state.deferred += due.size();
    due.clear();
  } else if (budget > 0 && due.size() > budget) {
    state.deferred += due.size() - budget;
    due.resize(budget);
  }
  /* The faces due are classified in one run of the network (emo::CnnModel::run_batch), on the
   * streaming thread (in OpenCV's pool only with opencv-threads=pool). */
  std::vector<std::vector<float>> fresh(due.size());
  std::vector<double> fresh_sharpness(due.size(), std::nan(""));
  std::vector<size_t> slot(faces.size(), 0);
  for (size_t k = 0; k < due.size(); ++k) slot[due[k].second] = k;
  if (!due.empty() && classifier.needs_pixels() && !pixels()) {
    GST_WARNING_OBJECT(self, "cannot map the frame; faces not classified");
  } else if (!due.empty()) {
    std::vector<emo::EmotionModel::Face> batch;
    for (const auto &d : due) {
      classify[d.second] = true;
      batch.push_back({faces[d.second].box, faces[d.second].landmarks});
    }
    auto run = [&] {
      timespec t0{}, t1{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
      std::vector<emo::Prediction> p =
          classifier.predict_batch(colour.empty() ? luma : colour, batch);
      for (size_t k = 0; k < due.size(); ++k) {
        fresh[k] = std::move(p[k].scores);
        if (gate.min_sharpness > 0.0) fresh_sharpness[k] = emo::face_sharpness(luma, batch[k].box);
      }
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
      state.classify_cpu_ns += (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    };
    if (gst_emo_analysis_filter_opencv_threads(filter) == GST_EMO_OPENCV_THREADS_OWN)
      emo::run_opencv_on_calling_thread(run);
    else
      run();
  }

  std::map<std::int64_t, GstEmoClassifyState::Cached> seen;
  std::vector<emo::FaceQuality> quality;
  /* Per classified face: the top class of its network run on this frame (before smoothing),
   * or none when it shows cached scores: the hysteresis counts agreeing runs. */
  std::vector<int> raw_top(faces.size(), emo::LabelHysteresis::kNoClassification);
  /* ... and its best class other than surprise, for a run whose surprise is vetoed. */
  std::vector<int> raw_other(faces.size(), emo::LabelHysteresis::kNoClassification);
  const std::vector<std::string> &labels = classifier.labels();
  const int surprise_class =
      static_cast<int>(std::find(labels.begin(), labels.end(), "surprise") - labels.begin());
  for (size_t i = 0; i < faces.size(); ++i) {
    if (!usable[i]) continue;
    emo::gst::Face &face = faces[i];
    std::vector<float> scores;
    emo::FaceQuality q;
    q.size = std::min(face.box.width, face.box.height);
    q.yaw = emo::yaw_from_keypoints(face.keypoints);
    if (classify[i]) {
      scores = std::move(fresh[slot[i]]);
      if (!scores.empty()) {
        raw_top[classified.size()] =
            static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
        const std::vector<float> other = emo::without_class(scores, surprise_class);
        raw_other[classified.size()] =
            static_cast<int>(std::max_element(other.begin(), other.end()) - other.begin());
      }
      q.sharpness = fresh_sharpness[slot[i]];
      if (face.track_id >= 0) seen[face.track_id] = {scores, 0, q.sharpness};
      ++state.classified;
    } else {
      const auto cached = state.cache.find(face.track_id);
      if (cached == state.cache.end()) continue;  // over the budget, no scores yet
      scores = cached->second.scores;             // re-classified later, smoothed meanwhile
      q.sharpness = cached->second.sharpness;
      seen[face.track_id] = cached->second;
      ++state.reused;
    }
    scored.push_back({face.box, std::move(scores), face.track_id});
    classified.push_back(&face);
    quality.push_back(q);
  }
  state.cache = std::move(seen);  // tracks not in this frame are forgotten

  /* Once per frame, also without faces, so that lost faces age out of the smoother. */
  state.smoother.update(scored, static_cast<float>(smoothing));

  /* The gate on the smoothed scores, then the track's label hysteresis. */
  const std::int64_t pts = GST_BUFFER_PTS_IS_VALID(buf)
                               ? static_cast<std::int64_t>(GST_BUFFER_PTS(buf))
                               : std::int64_t{-1};
  state.hysteresis.begin_frame();
  state.surprise.begin_frame();
  const bool check_surprise = surprise.min_brow_raise > 0.0;
  for (size_t i = 0; i < classified.size(); ++i) {
    emo::Prediction p;
    p.scores = std::move(scored[i].scores);
    if (p.scores.empty() || p.scores.size() != labels.size()) {
      emo::gst::set_emotion(classified[i]->meta, p, labels);  // no label: not this model's
      classified[i]->emotion = std::move(p);
      continue;
    }
    /* Surprise without raised brows (a talking mouth) leaves the race: the gate, the label and
     * the hysteresis then see the other classes' scores (the published scores stay the
     * network's). */
    emo::BrowState brows;
    if (check_surprise)
      brows = state.surprise.update(classified[i]->track_id,
                                    emo::face_actions(classified[i]->landmarks), pts, surprise);
    const auto top = [](const std::vector<float> &v) {
      return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
    };
    const bool vetoed = check_surprise && top(p.scores) == surprise_class &&
                        !emo::brows_support_surprise(brows, surprise);
    const std::vector<float> race =
        vetoed ? emo::without_class(p.scores, surprise_class) : p.scores;
    const emo::Unsure unsure = emo::gate_face(quality[i], race, gate);
    /* No class left with any evidence (a landmark forest's crisp votes): no label. */
    const int candidate =
        unsure == emo::Unsure::None && race[static_cast<size_t>(top(race))] > 0.f ? top(race) : -1;
    /* A vetoed surprise run counts for the best other class of that run. */
    const int run_top = vetoed && raw_top[i] == surprise_class ? raw_other[i] : raw_top[i];
    p.class_id =
        state.hysteresis.update(classified[i]->track_id, candidate, pts, hold, &race, run_top);
    p.label = p.class_id >= 0 ? labels[static_cast<size_t>(p.class_id)] : emo::kUnknownEmotion;
    p.confidence = p.class_id >= 0 ? race[static_cast<size_t>(p.class_id)] : 0.f;
    emo::gst::set_emotion(classified[i]->meta, p, labels);
    emo::gst::set_emotion_gate(classified[i]->meta, emo::to_string(unsure), quality[i],
                               emo::score_margin(race));
    if (check_surprise) emo::gst::set_emotion_brows(classified[i]->meta, brows.raise(), vetoed);
    classified[i]->emotion = std::move(p);
  }
  GST_LOG_OBJECT(self, "classified %zu of %zu faces at %" GST_TIME_FORMAT, classified.size(),
                 faces.size(), GST_TIME_ARGS(GST_BUFFER_PTS(buf)));

  if (post_messages) message = gst_emo_classify_faces_message(self, buf, faces);
  if (message) gst_element_post_message(GST_ELEMENT(self), message);
  return GST_FLOW_OK;
}

static void gst_emo_classify_set_property(GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(object);
  if (gst_emo_analysis_filter_refuse_while_started(GST_EMO_ANALYSIS_FILTER(object), pspec, value))
    return;
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_set_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_double(value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean(value);
      break;
    case PROP_RECLASSIFY_INTERVAL:
      self->reclassify_interval = g_value_get_uint(value);
      break;
    case PROP_MAX_CLASSIFICATIONS:
      self->max_classifications = g_value_get_uint(value);
      break;
    case PROP_CLASSIFY_SHOT_START:
      self->classify_shot_start = g_value_get_boolean(value);
      break;
    case PROP_MIN_FACE_SIZE:
      self->gate.min_face_size = static_cast<int>(g_value_get_uint(value));
      self->gate_set |= emo::kGateMinFaceSize;
      break;
    case PROP_MAX_YAW:
      self->gate.max_yaw = g_value_get_double(value);
      self->gate_set |= emo::kGateMaxYaw;
      break;
    case PROP_MIN_SHARPNESS:
      self->gate.min_sharpness = g_value_get_double(value);
      self->gate_set |= emo::kGateMinSharpness;
      break;
    case PROP_MIN_MARGIN:
      self->gate.min_margin = g_value_get_double(value);
      self->gate_set |= emo::kGateMinMargin;
      break;
    case PROP_HOLD_FRAMES:
      self->hold.hold_frames = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_HOLD_TIME:
      self->hold.hold_time = static_cast<std::int64_t>(g_value_get_uint64(value));
      break;
    case PROP_MIN_BROW_RAISE:
      self->surprise.min_brow_raise = g_value_get_double(value);
      break;
    case PROP_HOLD_CLASSIFICATIONS:
      self->hold.hold_classifications = static_cast<int>(g_value_get_uint(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_classify_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(object);
  if (prop_id == PROP_MODEL)
    return gst_emo_analysis_filter_get_model(GST_EMO_ANALYSIS_FILTER(object), value);
  GstEmoObjectLock lock(self);
  /* The thresholds in use: a set property, else the started model's sidecar, else the default. */
  const emo::GateSettings gate = emo::resolve_gate(self->gate, self->gate_set, self->model_gate);
  switch (prop_id) {
    case PROP_SMOOTHING:
      g_value_set_double(value, self->smoothing);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean(value, self->post_messages);
      break;
    case PROP_RECLASSIFY_INTERVAL:
      g_value_set_uint(value, self->reclassify_interval);
      break;
    case PROP_MAX_CLASSIFICATIONS:
      g_value_set_uint(value, self->max_classifications);
      break;
    case PROP_CLASSIFY_SHOT_START:
      g_value_set_boolean(value, self->classify_shot_start);
      break;
    case PROP_MIN_FACE_SIZE:
      g_value_set_uint(value, static_cast<guint>(gate.min_face_size));
      break;
    case PROP_MAX_YAW:
      g_value_set_double(value, gate.max_yaw);
      break;
    case PROP_MIN_SHARPNESS:
      g_value_set_double(value, gate.min_sharpness);
      break;
    case PROP_MIN_MARGIN:
      g_value_set_double(value, gate.min_margin);
      break;
    case PROP_HOLD_FRAMES:
      g_value_set_uint(value, static_cast<guint>(self->hold.hold_frames));
      break;
    case PROP_HOLD_TIME:
      g_value_set_uint64(value, static_cast<guint64>(self->hold.hold_time));
      break;
    case PROP_MIN_BROW_RAISE:
      g_value_set_double(value, self->surprise.min_brow_raise);
      break;
    case PROP_HOLD_CLASSIFICATIONS:
      g_value_set_uint(value, static_cast<guint>(self->hold.hold_classifications));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_classify_finalize(GObject *object) {
  GstEmoClassify *self = GST_EMO_CLASSIFY(object);
  self->state.~unique_ptr();
  self->model_gate.~GateOverrides();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_classify_init(GstEmoClassify *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->state) std::unique_ptr<GstEmoClassifyState>();
  new (&self->model_gate) emo::GateOverrides();
  /* Computed per instance: honours GST_EMO_MODEL_DIR as set when the element is created. */
  gst_emo_analysis_filter_init_model(GST_EMO_ANALYSIS_FILTER(self),
                                     gst_emo_default_model_path(DEFAULT_MODEL_NAME));
  self->smoothing = DEFAULT_SMOOTHING;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->reclassify_interval = DEFAULT_RECLASSIFY_INTERVAL;
  self->max_classifications = DEFAULT_MAX_CLASSIFICATIONS;
  self->classify_shot_start = DEFAULT_CLASSIFY_SHOT_START;
  self->gate.min_face_size = DEFAULT_MIN_FACE_SIZE;
  self->gate.max_yaw = DEFAULT_MAX_YAW;
  self->gate.min_sharpness = DEFAULT_MIN_SHARPNESS;
  self->gate.min_margin = DEFAULT_MIN_MARGIN;
  self->hold.hold_frames = DEFAULT_HOLD_FRAMES;
  self->hold.hold_time = DEFAULT_HOLD_TIME;
  self->surprise = emo::SurpriseCheckSettings{};  // windows of the header (zero-filled here)
  self->surprise.min_brow_raise = DEFAULT_MIN_BROW_RAISE;
  self->hold.hold_classifications = DEFAULT_HOLD_CLASSIFICATIONS;
}

static void gst_emo_classify_class_init(GstEmoClassifyClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstEmoAnalysisFilterClass *filter_class = GST_EMO_ANALYSIS_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_classify_debug, "emoclassify", 0, "gst-emo emotion classifier");

  gobject_class->set_property = gst_emo_classify_set_property;
  gobject_class->get_property = gst_emo_classify_get_property;
  gobject_class->finalize = gst_emo_classify_finalize;

  const auto mutable_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                        GST_PARAM_MUTABLE_PLAYING);
  /* The paramspec default is the installed path; instances honour GST_EMO_MODEL_DIR. */
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string(
          "model", "Emotion model",
          "Path of the emotion model: CNN sidecar .json (any ONNX classifier, docs/sidecar.md) / "
          ".onnx with its .json beside it, fused or landmark-forest .yml.gz (written by "
          "emo-train); "
          "loaded when the element starts; default " EMO_MODEL_INSTALL_DIR "/" DEFAULT_MODEL_NAME
          ", or $GST_EMO_MODEL_DIR/" DEFAULT_MODEL_NAME
          " when GST_EMO_MODEL_DIR is set, or the source tree's models/" DEFAULT_MODEL_NAME
          " for a plugin of a build tree, or share/gst-emo/models/" DEFAULT_MODEL_NAME
          " beside a plugin installed with cmake --install --prefix; refused (with a warning) "
          "while the element is started",
          EMO_MODEL_INSTALL_DIR "/" DEFAULT_MODEL_NAME,
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_SMOOTHING,
      g_param_spec_double("smoothing", "Temporal smoothing",
                          "Weight of the previous frames in each face's emotion scores "
                          "(exponential moving average across frames, 0 = off; 0.5 settles in "
                          "about 4 frames, 0.9 in about 30)",
                          0.0, 0.99, DEFAULT_SMOOTHING, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post an \"emo-faces\" element message on the bus for every frame "
                           "(timestamps, and box, landmark count, label and confidence per "
                           "face)",
                           DEFAULT_POST_MESSAGES, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_RECLASSIFY_INTERVAL,
      g_param_spec_uint(
          "reclassify-interval", "Re-classification interval",
          "Classify a tracked face again every N frames (1 = every frame; default 6, 4 times a "
          "second at 24 fps); in "
          "between its last scores are reused and smoothed. Untracked faces are "
          "classified on every frame",
          1, 1000, DEFAULT_RECLASSIFY_INTERVAL, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLASSIFICATIONS,
      g_param_spec_uint(
          "max-classifications", "Maximum classifications per frame",
          "Classify at most this many faces per frame (0 = no limit; default 2): faces without "
          "scores first (new tracks), then those whose scores are oldest; the others keep "
          "their last scores one frame more, and a new face over the limit is labelled on a "
          "following frame. Bounds the per-buffer latency after a shot cut",
          0, G_MAXINT, DEFAULT_MAX_CLASSIFICATIONS, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_CLASSIFY_SHOT_START,
      g_param_spec_boolean(
          "classify-shot-start", "Classify on a shot's first frame",
          "Classify the faces of a frame that starts a shot (\"shot-start\" in their "
          "\"tracking\" structure: emofacedetect's first frame and shot cuts, where it already "
          "waited for that frame's own detection). FALSE (the default): they are classified "
          "from the next frame on (within max-classifications), one frame later, which keeps "
          "those frames' latency to one detection",
          DEFAULT_CLASSIFY_SHOT_START, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MIN_FACE_SIZE,
      g_param_spec_uint("min-face-size", "Minimum face size",
                        "Faces whose box is smaller than this many pixels (shorter side) get no "
                        "emotion (label \"unknown\", unsure \"small\"); 0 = off. Default 48, "
                        "the size of FER2013's faces the networks learnt from",
                        0, 4096, DEFAULT_MIN_FACE_SIZE, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_YAW,
      g_param_spec_double("max-yaw", "Maximum head yaw",
                          "Faces turned further than this many degrees from the camera (head "
                          "yaw from BlazeFace's eye, ear and nose keypoints; faces without "
                          "keypoints pass) get no emotion (unsure \"turned\"); 90 = off",
                          0.0, 90.0, DEFAULT_MAX_YAW, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MIN_SHARPNESS,
      g_param_spec_double("min-sharpness", "Minimum sharpness",
                          "Faces less sharp than this get no emotion (unsure \"blurred\"): "
                          "standard deviation of the Laplacian of the face at 64x64 pixels over "
                          "that of its pixels (dimensionless, contrast-independent; sharp faces "
                          "read 0.7 to 2, a face blurred by a 3 px Gaussian at 110 px 0.48); "
                          "0 = off",
                          0.0, 10.0, DEFAULT_MIN_SHARPNESS, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_MIN_MARGIN,
      g_param_spec_double("min-margin", "Minimum score margin",
                          "Faces whose top smoothed score leads the second by less than this "
                          "(score units, scores sum to 1) get no emotion (unsure \"flat\"); "
                          "0 = off. Unless set, the model's own threshold when its sidecar has "
                          "a \"gate\" (as every gate property; read back while started: the "
                          "value in use), else 0.10",
                          0.0, 1.0, DEFAULT_MIN_MARGIN, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_HOLD_FRAMES,
      g_param_spec_uint("hold-frames", "Label hold frames",
                        "A tracked face's label (\"unknown\" included) changes only when the "
                        "new one came on at least this many consecutive frames, spanning "
                        "hold-time (1 with hold-time 0 and hold-classifications 1: no hysteresis)",
                        1, 1000, DEFAULT_HOLD_FRAMES, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_HOLD_TIME,
      g_param_spec_uint64("hold-time", "Label hold time",
                          "A tracked face's label changes only when the new one held for this "
                          "many nanoseconds of presentation time (and hold-frames frames, and "
                          "hold-classifications runs); 0 = not tested (the default: the hold is "
                          "counted in classifications)",
                          0, G_MAXUINT64, DEFAULT_HOLD_TIME, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_HOLD_CLASSIFICATIONS,
      g_param_spec_uint("hold-classifications", "Label hold classifications",
                        "A tracked face's label changes only when the new one was also the top "
                        "class of this many runs of the network on the face (the scores it shows "
                        "and the re-classifications while it holds; \"unknown\": any run), "
                        "whatever the frame rate and reclassify-interval; 1 = not tested. "
                        "Default 2: one misread run never changes a label",
                        1, 1000, DEFAULT_HOLD_CLASSIFICATIONS, mutable_playing));

  g_object_class_install_property(
      gobject_class, PROP_MIN_BROW_RAISE,
      g_param_spec_double(
          "min-brow-raise", "Minimum brow raise for surprise",
          "A tracked face keeps the label surprise only when its brows are raised (FACS AU1+2) "
          "at least this much over its own baseline: the median height of the brows above the "
          "eyes over the last 0.4 s minus its median over the last 10 s, in inter-ocular "
          "distances (between the eye centres; needs 68 landmarks and 2 s of the track); else "
          "it gets its best other class (a talking mouth is not surprise). 0 = off; default "
          "0.04, learnt on CK+ posed faces",
          0.0, 1.0, DEFAULT_MIN_BROW_RAISE, mutable_playing));

  gst_element_class_set_static_metadata(
      element_class, "Emotion classifier", "Filter/Analyzer/Video",
      "Classifies the facial expression of each face from its landmarks and appearance",
      "gst-emo developers");

  filter_class->analysis = "Emotion classification";
  filter_class->load = gst_emo_classify_load;
  filter_class->unload = gst_emo_classify_unload;
  filter_class->reset = gst_emo_classify_reset;
  filter_class->analyse = gst_emo_classify_analyse;
}
