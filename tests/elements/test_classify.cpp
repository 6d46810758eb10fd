// SPDX-License-Identifier: LGPL-2.1-or-later
// emoclassify through GstHarness with a tiny model trained here on synthetic landmarks (the
// committed default model is checked by the end-to-end pipeline tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "element_test_util.hpp"
#include "emo/classify/classifier.hpp"
#include "emo/classify/features.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/landmarks/landmarker.hpp"

using namespace emo_test;

namespace {

class ClassifyTest : public ::testing::Test {
 protected:
  HarnessPtr classify(const std::string &format = "GRAY8") {
    return make_element_harness("emoclassify", format, tiny_model_path());
  }
  // A blank frame with one face carrying synthetic landmarks (smile > 0: "happiness").
  static BufferPtr face_frame(float smile, GstClockTime pts = 0, size_t points = 68) {
    BufferPtr buf = make_blank_frame("GRAY8", 512, 512, pts);
    auto *meta = emo::gst::add_face(buf.get(), emo::Box(40, 50, 130, 150), 3);
    auto landmarks = synthetic_landmarks(smile);
    landmarks.resize(points);
    emo::gst::set_landmarks(meta, landmarks, "dlib-ert");
    return buf;
  }
  static std::optional<emo::Prediction> push_face(GstHarness *h, float smile,
                                                  GstClockTime pts = 0) {
    EXPECT_EQ(gst_harness_push(h, face_frame(smile, pts).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h));
    const auto faces = emo::gst::read_faces(out.get());
    EXPECT_EQ(faces.size(), 1u);
    return faces.empty() ? std::nullopt : faces[0].emotion;
  }
};

TEST_F(ClassifyTest, EveryAnalysisFormatNegotiates) {
  HarnessPtr h = classify();
  expect_every_analysis_format_negotiates(h.get());
}

TEST_F(ClassifyTest, NonVideoCapsDoNotNegotiate) {
  HarnessPtr h = classify();
  gst_harness_set_src_caps_str(h.get(),
                               "audio/x-raw,format=S16LE,rate=48000,channels=1,"
                               "layout=interleaved");
  EXPECT_EQ(gst_harness_push(h.get(), gst_buffer_new_allocate(nullptr, 960, nullptr)),
            GST_FLOW_NOT_NEGOTIATED);
}

TEST_F(ClassifyTest, ClassifiesTheDetectedAstronaut) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  ASSERT_TRUE(g_file_test(emo::Landmarker::kDefaultModel, G_FILE_TEST_EXISTS))
      << emo::Landmarker::kDefaultModel << " (libdlib-data) is missing";
  /* The tiny test forest's votes are close to even (0.53 / 0.47 here): the gate's flat-score
   * rule (min-margin) would abstain, and this test checks the label structure, not the gate. */
  HarnessPtr h = make_harness(
      "emofacedetect ! emolandmarks ! emoclassify classify-shot-start=true min-margin=0 model=" +
          tiny_model_path(),
      "I420");
  ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420").release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  const auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].emotion);
  const emo::Prediction &p = *faces[0].emotion;
  ASSERT_EQ(p.scores.size(), 2u);
  EXPECT_NEAR(std::accumulate(p.scores.begin(), p.scores.end(), 0.f), 1.f, 1e-4);
  ASSERT_TRUE(p.class_id == 0 || p.class_id == 1);
  EXPECT_EQ(p.label, p.class_id == 0 ? "happiness" : "sadness");
  EXPECT_FLOAT_EQ(p.confidence, p.scores[static_cast<size_t>(p.class_id)]);
}

// The first frame of a shot (emofacedetect marks its faces "shot-start") already waited for its
// own detection: emoclassify labels those faces from the next frame on, unless asked not to.
TEST_F(ClassifyTest, TheFacesOfAShotsFirstFrameAreLabelledFromTheNextFrame) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  for (const bool at_once : {false, true}) {
    SCOPED_TRACE(at_once ? "classify-shot-start=true" : "default");
    HarnessPtr h = make_harness(std::string("emofacedetect ! emolandmarks ! emoclassify ") +
                                    (at_once ? "classify-shot-start=true " : "") +
                                    "model=" + tiny_model_path(),
                                "I420");
    for (int frame = 0; frame < 3; ++frame) {
      BufferPtr in = make_frame(astronaut(), "I420", frame * GST_SECOND / 24);
      ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
      BufferPtr out(gst_harness_pull(h.get()));
      const auto faces = emo::gst::read_faces(out.get());
      ASSERT_EQ(faces.size(), 1u) << frame;
      EXPECT_EQ(faces[0].shot_start, frame == 0) << frame;
      EXPECT_EQ(static_cast<bool>(faces[0].emotion), at_once || frame > 0) << frame;
    }
  }
}

TEST_F(ClassifyTest, SyntheticSmileAndFrown) {
  HarnessPtr h = classify();
  g_object_set(h->element, "smoothing", 0.0, nullptr);
  auto happy = push_face(h.get(), 1.f);
  ASSERT_TRUE(happy);
  EXPECT_EQ(happy->label, "happiness");
  EXPECT_GT(happy->confidence, 0.7f);
  auto sad = push_face(h.get(), -1.f, GST_SECOND / 30);
  ASSERT_TRUE(sad);
  EXPECT_EQ(sad->label, "sadness");
}

TEST_F(ClassifyTest, FacesWithOtherLandmarkCountsAreSkipped) {
  HarnessPtr h = classify();
  BufferPtr in = face_frame(1.f, 0, 5);  // as from a 5-point FacemarkLBF model
  emo::gst::add_face(in.get(), emo::Box(300, 300, 100, 100), 4);  // no landmarks at all
  ASSERT_EQ(gst_harness_push(h.get(), in.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  const auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 2u);
  EXPECT_FALSE(faces[0].emotion);
  EXPECT_FALSE(faces[1].emotion);
}

TEST_F(ClassifyTest, SmoothingFollowsFacesAndResetsOnFlushAndStreamStart) {
  HarnessPtr h = classify();
  g_object_set(h->element, "smoothing", 0.95, nullptr);
  GstClockTime pts = 0;
  for (int i = 0; i < 5; ++i) push_face(h.get(), 1.f, pts += GST_SECOND / 30);
  auto lagging = push_face(h.get(), -1.f, pts += GST_SECOND / 30);
  ASSERT_TRUE(lagging);
  EXPECT_EQ(lagging->label, "happiness") << "a single frown should not flip a smoothed smile";

  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  for (GstEvent *reset : {gst_event_new_flush_start(), gst_event_new_stream_start("again")}) {
    for (int i = 0; i < 5; ++i) push_face(h.get(), 1.f, pts += GST_SECOND / 30);
    const bool flush = GST_EVENT_TYPE(reset) == GST_EVENT_FLUSH_START;
    ASSERT_TRUE(gst_harness_push_event(h.get(), reset));
    if (flush) {
      ASSERT_TRUE(gst_harness_push_event(h.get(), gst_event_new_flush_stop(TRUE)));
    }
    ASSERT_TRUE(gst_harness_push_event(h.get(), gst_event_new_segment(&segment)));
    auto fresh = push_face(h.get(), -1.f, pts += GST_SECOND / 30);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->label, "sadness") << "after " << (flush ? "flush" : "stream-start");
  }
}

// Five tracked faces on a blank frame (a shot cut's new faces).
BufferPtr five_faces(GstClockTime pts) {
  BufferPtr buf = make_blank_frame("GRAY8", 512, 512, pts);
  for (int i = 0; i < 5; ++i) {
    auto *meta = emo::gst::add_face(buf.get(), emo::Box(10 + 100 * i, 50, 90, 100), i);
    emo::gst::set_tracking(meta, 100 + i, true);
    emo::gst::set_landmarks(meta, synthetic_landmarks(i % 2 ? 1.f : -1.f), "dlib-ert");
  }
  return buf;
}

int labelled(GstHarness *h, GstClockTime pts) {
  EXPECT_EQ(gst_harness_push(h, five_faces(pts).release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h));
  int n = 0;
  for (const emo::gst::Face &f : emo::gst::read_faces(out.get())) n += f.emotion ? 1 : 0;
  return n;
}

TEST_F(ClassifyTest, MaxClassificationsSpreadsNewFacesOverFrames) {
  HarnessPtr h = classify();
  guint budget = 0;
  g_object_get(h->element, "max-classifications", &budget, nullptr);
  EXPECT_EQ(budget, 2u);
  const GstClockTime frame = GST_SECOND * 1001 / 24000;  // 41.7 ms
  EXPECT_EQ(labelled(h.get(), 0), 2);
  EXPECT_EQ(labelled(h.get(), frame), 4);
  EXPECT_EQ(labelled(h.get(), 2 * frame), 5);
  for (int i = 3; i < 20; ++i) EXPECT_EQ(labelled(h.get(), i * frame), 5) << "frame " << i;

  HarnessPtr all = classify();
  g_object_set(all->element, "max-classifications", 0u, nullptr);
  EXPECT_EQ(labelled(all.get(), 0), 5);
}

TEST_F(ClassifyTest, PostsOneFacesMessagePerFrame) {
  HarnessPtr h = classify();
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(h->element, bus.get());
  push_face(h.get(), 1.f, GST_SECOND);
  EXPECT_FALSE(MessagePtr(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ELEMENT)));

  g_object_set(h->element, "post-messages", TRUE, nullptr);
  push_face(h.get(), 1.f, 2 * GST_SECOND);
  MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ELEMENT));
  ASSERT_TRUE(msg);
  EXPECT_FALSE(MessagePtr(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ELEMENT)));
  const GstStructure *s = gst_message_get_structure(msg.get());
  EXPECT_TRUE(gst_structure_has_name(s, "emo-faces"));
  GstClockTime timestamp = 0, stream_time = 0, running_time = 0;
  EXPECT_TRUE(gst_structure_get_clock_time(s, "timestamp", &timestamp));
  EXPECT_TRUE(gst_structure_get_clock_time(s, "stream-time", &stream_time));
  EXPECT_TRUE(gst_structure_get_clock_time(s, "running-time", &running_time));
  EXPECT_EQ(timestamp, 2 * GST_SECOND);
  EXPECT_EQ(stream_time, 2 * GST_SECOND);  // the harness's default segment starts at 0
  EXPECT_EQ(running_time, 2 * GST_SECOND);

  const GValue *faces = gst_structure_get_value(s, "faces");
  ASSERT_TRUE(faces && GST_VALUE_HOLDS_LIST(faces));
  ASSERT_EQ(gst_value_list_get_size(faces), 1u);
  const GstStructure *face = gst_value_get_structure(gst_value_list_get_value(faces, 0));
  EXPECT_TRUE(gst_structure_has_name(face, "face"));
  gint id = -1, x = -1, y = -1, width = -1, height = -1;
  guint landmarks = 0;
  gdouble confidence = -1;
  EXPECT_TRUE(gst_structure_get(face, "id", G_TYPE_INT, &id, "x", G_TYPE_INT, &x, "y", G_TYPE_INT,
                                &y, "width", G_TYPE_INT, &width, "height", G_TYPE_INT, &height,
                                "landmarks", G_TYPE_UINT, &landmarks, "confidence", G_TYPE_DOUBLE,
                                &confidence, nullptr));
  EXPECT_EQ(cv::Rect(x, y, width, height), cv::Rect(40, 50, 130, 150));
  EXPECT_EQ(id, 3);
  EXPECT_EQ(landmarks, 68u);
  EXPECT_STREQ(gst_structure_get_string(face, "label"), "happiness");
  EXPECT_GT(confidence, 0.5);
  gst_element_set_bus(h->element, nullptr);
}

TEST_F(ClassifyTest, FrameWithoutFacesPassesThroughUntouched) {
  HarnessPtr h = classify("RGBx");
  expect_blank_frame_passes_through(h.get(), "RGBx");
}

TEST_F(ClassifyTest, DefaultModelFollowsGstEmoModelDir) {
  ElementPtr element(gst_element_factory_make("emoclassify", nullptr));
  ASSERT_TRUE(element);
  gst_object_ref_sink(element.get());
  gchar *model = nullptr;
  g_object_get(element.get(), "model", &model, nullptr);
  const gchar *dir = g_getenv("GST_EMO_MODEL_DIR");
  if (dir && *dir) {
    EXPECT_EQ(std::string(model), std::string(dir) + "/emotion-ferplus-e2e.json");
  }
  EXPECT_TRUE(g_str_has_suffix(model, "/emotion-ferplus-e2e.json")) << model;
  g_free(model);
}

TEST_F(ClassifyTest, MissingModelFailsToStartAndNamesThePath) {
  std::string error;
  EXPECT_EQ(start_with_model("emoclassify", "/nonexistent/x.xml", error), GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error.find("/nonexistent/x.xml"), std::string::npos) << error;
}

TEST_F(ClassifyTest, ModelOfAnotherFeatureVersionFailsToStart) {
  gchar *text = nullptr;
  const std::string plain = temp_dir() + "/tiny.yml";
  {
    gsize length = 0;
    // Re-save uncompressed to edit the header.
    const auto model = emo::EmotionClassifier::load(tiny_model_path());
    model.save(plain);
    ASSERT_TRUE(g_file_get_contents(plain.c_str(), &text, &length, nullptr));
  }
  std::string yaml(text);
  g_free(text);
  const std::string version = "feature_version: " + std::to_string(emo::kFeatureVersion);
  const size_t at = yaml.find(version);
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, version.size(), "feature_version: 99");
  const std::string wrong = temp_dir() + "/wrong-version.yml";
  ASSERT_TRUE(g_file_set_contents(wrong.c_str(), yaml.c_str(), -1, nullptr));
  std::string error;
  EXPECT_EQ(start_with_model("emoclassify", wrong, error), GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(error.find("feature version"), std::string::npos) << error;
}

// The "emotion" structure of the first face region of a buffer (nullptr when absent).
const GstStructure *emotion_of_first(GstBuffer *buf) {
  GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta(buf);
  return roi ? gst_video_region_of_interest_meta_get_param(roi, "emotion") : nullptr;
}

// One face frame (smile, box) through emoclassify; returns the output buffer.
BufferPtr push_one(GstHarness *h, const emo::Box &box, float smile, GstClockTime pts,
                   std::int64_t track = -1, const std::vector<emo::Point> &keypoints = {}) {
  BufferPtr buf = make_blank_frame("GRAY8", 512, 512, pts);
  auto *meta = emo::gst::add_face(buf.get(), box, 3);
  emo::gst::set_landmarks(meta, synthetic_landmarks(smile), "dlib-ert");  // the forest's input
  if (track >= 0) emo::gst::set_tracking(meta, static_cast<std::uint64_t>(track), true);
  if (!keypoints.empty()) emo::gst::set_detection(meta, 0.9, keypoints, "blazeface-full");
  EXPECT_EQ(gst_harness_push(h, buf.release()), GST_FLOW_OK);
  return BufferPtr(gst_harness_pull(h));
}

TEST_F(ClassifyTest, GateAndHysteresisPropertiesAndDefaults) {
  HarnessPtr h = classify();
  guint size = 0, hold_frames = 0, hold_runs = 0;
  gdouble yaw = 0, sharpness = 0, margin = 0;
  guint64 hold_time = 1;
  g_object_get(h->element, "min-face-size", &size, "max-yaw", &yaw, "min-sharpness", &sharpness,
               "min-margin", &margin, "hold-frames", &hold_frames, "hold-time", &hold_time,
               "hold-classifications", &hold_runs, nullptr);
  EXPECT_EQ(size, 48u);
  EXPECT_DOUBLE_EQ(yaw, 45.0);
  EXPECT_DOUBLE_EQ(sharpness, 0.5);
  EXPECT_DOUBLE_EQ(margin, 0.10);
  EXPECT_EQ(hold_frames, 2u);
  EXPECT_EQ(hold_time, 0u);  // the hold is counted in classifications
  EXPECT_EQ(hold_runs, 2u);
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(h->element), "max-yaw");
  ASSERT_NE(spec, nullptr);
  EXPECT_DOUBLE_EQ(G_PARAM_SPEC_DOUBLE(spec)->maximum, 90.0);
  EXPECT_NE(std::string(g_param_spec_get_blurb(spec)).find("degrees"), std::string::npos);
  spec = g_object_class_find_property(G_OBJECT_GET_CLASS(h->element), "min-face-size");
  EXPECT_NE(std::string(g_param_spec_get_blurb(spec)).find("pixels"), std::string::npos);
}

TEST_F(ClassifyTest, SmallTurnedOrFlatFacesGetNoEmotionButKeepTheirScores) {
  HarnessPtr h = classify();
  g_object_set(h->element, "smoothing", 0.0, nullptr);
  // Too small: 40 px < 48 px.
  BufferPtr out = push_one(h.get(), {100, 100, 40, 40}, 1.f, 0);
  auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].emotion);
  EXPECT_EQ(faces[0].emotion->label, "unknown");
  EXPECT_EQ(faces[0].emotion->class_id, -1);
  EXPECT_EQ(faces[0].emotion->confidence, 0.f);
  ASSERT_EQ(faces[0].emotion->scores.size(), 2u);  // kept: happiness leads
  EXPECT_GT(faces[0].emotion->scores[0], faces[0].emotion->scores[1]);
  const GstStructure *s = emotion_of_first(out.get());
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(gst_structure_get_string(s, "unsure"), "small");
  gint size = 0;
  EXPECT_TRUE(gst_structure_get_int(s, "face-size", &size));
  EXPECT_EQ(size, 40);
  EXPECT_FALSE(gst_structure_has_field(s, "yaw"));  // no keypoints
  // The same face with the size test off is labelled, and says it passed.
  g_object_set(h->element, "min-face-size", 0u, nullptr);
  out = push_one(h.get(), {100, 100, 40, 40}, 1.f, GST_SECOND);
  faces = emo::gst::read_faces(out.get());
  ASSERT_TRUE(faces.at(0).emotion);
  EXPECT_EQ(faces[0].emotion->label, "happiness");
  EXPECT_STREQ(gst_structure_get_string(emotion_of_first(out.get()), "unsure"), "");

  // Turned: BlazeFace keypoints of a head turned ~60 degrees (nose far right of the ears'
  // midpoint); the same face turned ~20 degrees passes.
  auto keypoints = [](float nose_x) {
    return std::vector<emo::Point>{{90, 100},  {150, 100}, {nose_x, 130},
                                   {120, 160}, {60, 115},  {180, 115}};
  };
  out = push_one(h.get(), {40, 50, 130, 150}, 1.f, 2 * GST_SECOND, -1, keypoints(120 + 135));
  s = emotion_of_first(out.get());
  EXPECT_STREQ(gst_structure_get_string(s, "label"), "unknown");
  EXPECT_STREQ(gst_structure_get_string(s, "unsure"), "turned");
  gdouble yaw = 0;
  EXPECT_TRUE(gst_structure_get_double(s, "yaw", &yaw));
  EXPECT_NEAR(yaw, 60.0, 1.0);
  out = push_one(h.get(), {40, 50, 130, 150}, 1.f, 3 * GST_SECOND, -1, keypoints(120 + 28));
  EXPECT_STREQ(gst_structure_get_string(emotion_of_first(out.get()), "label"), "happiness");
  g_object_set(h->element, "max-yaw", 90.0, nullptr);
  out = push_one(h.get(), {40, 50, 130, 150}, 1.f, 4 * GST_SECOND, -1, keypoints(120 + 135));
  EXPECT_STREQ(gst_structure_get_string(emotion_of_first(out.get()), "label"), "happiness");

  // Flat: a smile then a frown, smoothed half and half, leave no class ahead by min-margin.
  g_object_set(h->element, "smoothing", 0.5, nullptr);
  out = push_one(h.get(), {40, 50, 130, 150}, -1.f, 5 * GST_SECOND);
  s = emotion_of_first(out.get());
  gdouble margin = -1;
  EXPECT_TRUE(gst_structure_get_double(s, "margin", &margin));
  EXPECT_LT(margin, 0.10);
  EXPECT_STREQ(gst_structure_get_string(s, "label"), "unknown");
  EXPECT_STREQ(gst_structure_get_string(s, "unsure"), "flat");
  g_object_set(h->element, "min-margin", 0.0, "smoothing", 0.0, nullptr);
  out = push_one(h.get(), {40, 50, 130, 150}, -1.f, 6 * GST_SECOND);
  EXPECT_STREQ(gst_structure_get_string(emotion_of_first(out.get()), "label"), "sadness");
}

// A tracked face keeps its label through a short change of evidence (a talking mouth) and
// takes the new one once it held for hold-time.
TEST_F(ClassifyTest, ATracksLabelChangesOnlyWhenTheNewEvidenceHolds) {
  HarnessPtr h = classify();
  g_object_set(h->element, "smoothing", 0.0, "reclassify-interval", 1u, "min-margin", 0.0,
               "hold-time", static_cast<guint64>(500 * GST_MSECOND), "hold-classifications", 1u,
               nullptr);
  const GstClockTime frame = GST_SECOND * 1001 / 24000;  // 41.7 ms
  GstClockTime pts = 0;
  auto label = [&](float smile) {
    BufferPtr out = push_one(h.get(), {40, 50, 130, 150}, smile, pts, 7);
    pts += frame;
    const auto faces = emo::gst::read_faces(out.get());
    return faces.size() == 1 && faces[0].emotion ? faces[0].emotion->label : std::string();
  };
  // Smoothing 0: a frown's happiness score is 0, under half of chance: the held smile is
  // released to "unknown" at once (never straight to sadness); sadness needs 500 ms.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(label(1.f), "happiness");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(label(-1.f), "unknown") << i;  // 250 ms of frowns
  EXPECT_EQ(label(1.f), "unknown");  // back to the smile: a new label must hold again
  // Smoothing 0.8: the smile's score falls 0.8, 0.64, 0.51, 0.41 (sadness leads from the 4th
  // frown), 0.33, 0.26 (held), 0.21 (released): happiness, then unknown, then sadness 500 ms
  // after the 4th frown.
  g_object_set(h->element, "smoothing", 0.8, nullptr);
  for (int i = 0; i < 19; ++i) label(1.f);
  EXPECT_EQ(label(1.f), "happiness");
  std::vector<std::string> seen;
  for (int i = 0; i < 30; ++i) seen.push_back(label(-1.f));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(seen[i], "happiness") << i;
  for (int i = 6; i < 15; ++i) EXPECT_EQ(seen[i], "unknown") << i;
  for (int i = 15; i < 30; ++i) EXPECT_EQ(seen[i], "sadness") << i;
  // hold-frames=1 hold-time=0: no hysteresis.
  g_object_set(h->element, "hold-frames", 1u, "hold-time", G_GUINT64_CONSTANT(0), "smoothing", 0.0,
               nullptr);
  EXPECT_EQ(label(1.f), "happiness");
}

// Synthetic landmarks (synthetic_landmarks(0), eye centres 60 px apart) with the inner lips
// `mouth` px further apart and the brows `brows` px higher.
std::vector<emo::Point> talking_face(float mouth, float brows, float noise = 0.f,
                                     unsigned seed = 0) {
  std::vector<emo::Point> p = synthetic_landmarks(0.f, noise, seed);
  for (int i = 61; i <= 63; ++i) p[i].y -= mouth / 2;
  for (int i = 65; i <= 67; ++i) p[i].y += mouth / 2;
  for (int i = 17; i <= 26; ++i) p[i].y -= brows;
  return p;
}

// A forest that reads an open mouth as surprise whatever the brows (as the networks read a
// talking mouth), trained here.
const std::string &open_mouth_model() {
  static const std::string path = [] {
    const int n = 80;
    cv::Mat features(n, emo::kFeatureLength, CV_32F);
    std::vector<int> labels;
    for (int i = 0; i < n; ++i) {
      const int cls = i % 2;  // 0 = neutral (closed), 1 = surprise (open)
      const auto f = emo::compute_features(
          talking_face(cls ? 18.f : 0.f, (i / 2) % 2 ? 6.f : 0.f, 1.f, static_cast<unsigned>(i)));
      std::copy(f.begin(), f.end(), features.ptr<float>(i));
      labels.push_back(cls);
    }
    emo::TrainParams params;
    params.trees = 15;
    const std::string file = temp_dir() + "/open-mouth-emotion.yml.gz";
    emo::EmotionClassifier::train(features, labels, {"neutral", "surprise"}, params).save(file);
    return file;
  }();
  return path;
}

// A talking mouth is not surprise: once the track has 2 s of brows, an open mouth without
// raised brows gets the best other class; raised brows keep surprise; min-brow-raise=0 is off.
TEST_F(ClassifyTest, ATalkingMouthIsNotSurpriseRaisedBrowsAre) {
  HarnessPtr h = make_element_harness("emoclassify", "GRAY8", open_mouth_model());
  gdouble threshold = 0;
  g_object_get(h->element, "min-brow-raise", &threshold, nullptr);
  EXPECT_DOUBLE_EQ(threshold, 0.04);
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(h->element), "min-brow-raise");
  ASSERT_NE(spec, nullptr);
  EXPECT_NE(std::string(g_param_spec_get_blurb(spec)).find("inter-ocular"), std::string::npos);
  g_object_set(h->element, "smoothing", 0.0, "reclassify-interval", 1u, "min-margin", 0.0,
               "hold-frames", 1u, "hold-time", G_GUINT64_CONSTANT(0), "hold-classifications", 1u,
               nullptr);
  const GstClockTime frame = GST_SECOND / 25;
  GstClockTime pts = 0;
  auto push = [&](float mouth, float brows) {
    BufferPtr buf = make_blank_frame("GRAY8", 512, 512, pts);
    auto *meta = emo::gst::add_face(buf.get(), emo::Box(40, 50, 130, 150), 3);
    emo::gst::set_landmarks(meta, talking_face(mouth, brows), "dlib-ert");
    emo::gst::set_tracking(meta, 9, true);
    EXPECT_EQ(gst_harness_push(h.get(), buf.release()), GST_FLOW_OK);
    pts += frame;
    return BufferPtr(gst_harness_pull(h.get()));
  };
  auto label = [](GstBuffer *out) {
    const GstStructure *s = emotion_of_first(out);
    return s ? std::string(gst_structure_get_string(s, "label")) : std::string();
  };
  // 3 s of talking: the mouth open on every other pair of frames, the brows still.
  for (int f = 0; f < 75; ++f) {
    const bool open = (f / 2) % 2 == 1;
    BufferPtr out = push(open ? 18.f : 0.f, 0.f);
    const GstStructure *s = emotion_of_first(out.get());
    ASSERT_NE(s, nullptr);
    gboolean vetoed = FALSE;
    const bool has_vetoed = gst_structure_get_boolean(s, "surprise-vetoed", &vetoed);
    if (!open) {
      EXPECT_EQ(label(out.get()), "neutral") << f;
    } else if (f < 50) {  // under 2 s of the track: no baseline, no verdict
      EXPECT_EQ(label(out.get()), "surprise") << f;
      EXPECT_FALSE(has_vetoed) << f;
    } else {
      // The best other class, neutral, or no label when the forest gave neutral no vote.
      const auto faces = emo::gst::read_faces(out.get());
      ASSERT_EQ(faces.size(), 1u);
      ASSERT_TRUE(faces[0].emotion);
      ASSERT_EQ(faces[0].emotion->scores.size(), 2u);
      EXPECT_GT(faces[0].emotion->scores[1], faces[0].emotion->scores[0]) << "surprise on top";
      EXPECT_EQ(label(out.get()), faces[0].emotion->scores[0] > 0.f ? "neutral" : "unknown") << f;
      EXPECT_TRUE(has_vetoed && vetoed) << f;
      gdouble raise = 1;
      EXPECT_TRUE(gst_structure_get_double(s, "brow-raise", &raise)) << f;
      EXPECT_NEAR(raise, 0.0, 1e-3) << f;
    }
  }
  // Surprise: the mouth open and the brows 6 px (0.1 inter-ocular) up for 0.4 s.
  std::string last;
  for (int f = 0; f < 10; ++f) last = label(push(18.f, 6.f).get());
  EXPECT_EQ(last, "surprise");
  // The check off: the talking mouth reads as surprise again.
  g_object_set(h->element, "min-brow-raise", 0.0, nullptr);
  for (int f = 0; f < 10; ++f) push(0.f, 0.f);
  BufferPtr out = push(18.f, 0.f);
  EXPECT_EQ(label(out.get()), "surprise");
  EXPECT_FALSE(gst_structure_has_field(emotion_of_first(out.get()), "brow-raise"));
}

// With the hold counted in classifications (the default), a vetoed surprise run counts for the
// run's best other class: a track first labelled surprise (its first 2 s, no brow baseline)
// that goes on talking reaches neutral, instead of staying "unknown" for want of runs whose own
// top class is neutral.
TEST_F(ClassifyTest, AVetoedSurpriseRunCountsForTheOtherClass) {
  HarnessPtr h = make_element_harness("emoclassify", "GRAY8", open_mouth_model());
  g_object_set(h->element, "smoothing", 0.0, "reclassify-interval", 1u, "min-margin", 0.0,
               "hold-frames", 2u, "hold-time", G_GUINT64_CONSTANT(0), "hold-classifications", 2u,
               nullptr);
  const GstClockTime frame = GST_SECOND / 25;
  GstClockTime pts = 0;
  std::string first, last;
  float neutral_score = 0.f;
  for (int f = 0; f < 75; ++f) {  // 3 s with the mouth half open (9 px: the forest still gives
    // neutral a few votes), the brows still
    BufferPtr buf = make_blank_frame("GRAY8", 512, 512, pts);
    auto *meta = emo::gst::add_face(buf.get(), emo::Box(40, 50, 130, 150), 3);
    emo::gst::set_landmarks(meta, talking_face(9.f, 0.f), "dlib-ert");
    emo::gst::set_tracking(meta, 9, true);
    ASSERT_EQ(gst_harness_push(h.get(), buf.release()), GST_FLOW_OK);
    pts += frame;
    BufferPtr out(gst_harness_pull(h.get()));
    const GstStructure *s = emotion_of_first(out.get());
    ASSERT_NE(s, nullptr);
    const std::string label = gst_structure_get_string(s, "label");
    if (f == 5) first = label;
    last = label;
    const auto faces = emo::gst::read_faces(out.get());
    ASSERT_EQ(faces.size(), 1u);
    ASSERT_TRUE(faces[0].emotion);
    neutral_score = faces[0].emotion->scores[0];
    ASSERT_GT(faces[0].emotion->scores[1], neutral_score) << "the network must say surprise";
  }
  ASSERT_GT(neutral_score, 0.f) << "the forest gave neutral no vote: nothing to fall back to";
  EXPECT_EQ(first, "surprise");  // no verdict in the track's first 2 s
  EXPECT_EQ(last, "neutral");
}

// hold-classifications: one classification of a frown between smiles (a talking mouth read
// wrong once), which reclassify-interval and the smoothing carry over the next frames, does not
// change the label when the label must come from 2 classifications; with 1 it does.
TEST_F(ClassifyTest, HoldClassificationsNeedsAgreeingRuns) {
  HarnessPtr h = classify();
  guint runs = 0;
  g_object_get(h->element, "hold-classifications", &runs, nullptr);
  EXPECT_EQ(runs, 2u);  // the default
  g_object_set(h->element, "smoothing", 0.5, "reclassify-interval", 3u, "min-margin", 0.0,
               "hold-frames", 2u, "hold-time", G_GUINT64_CONSTANT(0), "hold-classifications", 1u,
               nullptr);
  const GstClockTime frame = GST_SECOND * 1001 / 24000;
  GstClockTime pts = 0;
  auto labels = [&](std::int64_t track) {
    std::vector<std::string> seen;
    // Classified on frames 0, 3, 6, 9 (every 3rd): the frown's run is frame 6's.
    for (int i = 0; i < 15; ++i) {
      BufferPtr out =
          push_one(h.get(), {40, 50, 130, 150}, i >= 6 && i < 9 ? -1.f : 1.f, pts, track);
      pts += frame;
      const auto faces = emo::gst::read_faces(out.get());
      seen.push_back(faces.size() == 1 && faces[0].emotion ? faces[0].emotion->label : "");
    }
    return seen;
  };
  const std::vector<std::string> one = labels(7);
  EXPECT_EQ(one[5], "happiness");
  EXPECT_NE(std::find(one.begin() + 6, one.end(), "sadness"), one.end());  // flipped
  g_object_set(h->element, "hold-classifications", 2u, nullptr);
  const std::vector<std::string> two = labels(8);
  EXPECT_EQ(two[5], "happiness");
  EXPECT_EQ(std::find(two.begin(), two.end(), "sadness"), two.end());  // one run: never
  EXPECT_EQ(two.back(), "happiness");
}

TEST_F(ClassifyTest, PropertyChangesWhileStreaming) {
  HarnessPtr h = classify();
  GValue smoothing = G_VALUE_INIT, post = G_VALUE_INIT;
  g_value_init(&smoothing, G_TYPE_DOUBLE);
  g_value_set_double(&smoothing, 0.8);
  g_value_init(&post, G_TYPE_BOOLEAN);
  g_value_set_boolean(&post, TRUE);
  GstHarnessThread *t1 =
      gst_harness_stress_property_start_full(h.get(), "smoothing", &smoothing, 50);
  GstHarnessThread *t2 =
      gst_harness_stress_property_start_full(h.get(), "post-messages", &post, 50);
  for (int i = 0; i < 30; ++i) {
    auto p = push_face(h.get(), i % 2 ? 1.f : -1.f, i * GST_SECOND / 30);
    EXPECT_TRUE(p) << "frame " << i;
  }
  EXPECT_GT(gst_harness_stress_thread_stop(t1), 0u);
  EXPECT_GT(gst_harness_stress_thread_stop(t2), 0u);
  g_value_unset(&smoothing);
  g_value_unset(&post);
}

}  // namespace
