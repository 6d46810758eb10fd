// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo stage benchmarks (Google Benchmark), on real frames of the dinner clip decoded once:
//   BM_Detect/W/H/D          FaceDetector::detect on one WxH luma frame, detection width D
//                            (0 = full resolution); items = frames
//   BM_Landmarks             Landmarker::fit (dlib ERT, 68 points) on one face; items = faces
//   BM_LandmarksDlib         the baseline: dlib::shape_predictor itself on the same faces (same
//                            points; Landmarker evaluates a compact copy of its trees)
//   BM_FeaturesClassify      compute_features + EmotionClassifier::predict on one face (the
//                            default model); items = faces
//   BM_Classify/MODEL        emo::EmotionModel::predict on one face of a 1280x720 luma frame
//                            (box and 68 landmarks given): forest = the landmark forest
//                            (emotion.yml.gz, the baseline), cnn = the appearance CNN alone
//                            (emotion-cnn.json: eye-levelled crop + OpenCV DNN), finetuned =
//                            the default emotion-finetuned.json (the same network fine-tuned,
//                            6 classes), fused = emotion-fused.yml.gz (CNN + forest); items =
//                            faces
//   BM_Overlay/FORMAT        one 1280x720 frame with the faces of that frame drawn by the
//                            emooverlay element (GstHarness); items = frames
//   BM_SessionSample         one 1280x720 frame with its faces consumed by the emosession sink
//                            (offline: no API key, no file): reading the faces, picking the
//                            primary face and sampling it into the window; items = frames
// A benchmark, never a test: nothing here fails on timing.
#include <benchmark/benchmark.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include "emo/classify/classifier.hpp"
#include "emo/classify/emotion_model.hpp"
#include "emo/detect/detector.hpp"
#include "emo/classify/features.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "frames.hpp"

namespace {

using emo_bench::BufferPtr;

// Faces of the 1280x720 frames: frame index, box and landmarks, found once.
struct FaceSample {
  size_t frame;
  emo::Box box;
  std::vector<emo::Point> points;
};

const std::vector<cv::Mat> &luma(int width, int height) {
  static std::vector<cv::Mat> small, large;
  std::vector<cv::Mat> &frames = width == 1280 ? large : small;
  if (frames.empty()) frames = emo_bench::decode_luma(emo_bench::dinner_clip(), width, height);
  return frames;
}

const emo::Landmarker &landmarker() {
  static const emo::Landmarker instance;
  return instance;
}

const std::vector<FaceSample> &faces() {
  static std::vector<FaceSample> all;
  if (all.empty()) {
    const std::vector<cv::Mat> &frames = luma(1280, 720);
    emo::FaceDetector detector;
    for (size_t i = 0; i < frames.size(); ++i)
      for (const emo::Box &box : detector.detect(frames[i], emo::DetectorParams{}))
        all.push_back({i, box, landmarker().fit(frames[i], box)});
  }
  return all;
}

void BM_Detect(benchmark::State &state) {
  const int width = static_cast<int>(state.range(0));
  const int height = static_cast<int>(state.range(1));
  emo::DetectorParams params;
  params.detection_width = static_cast<int>(state.range(2));
  const std::vector<cv::Mat> &frames = luma(width, height);
  emo::FaceDetector detector;
  size_t i = 0, found = 0;
  for (auto _ : state) {
    auto boxes = detector.detect(frames[i], params);
    found += boxes.size();
    benchmark::DoNotOptimize(boxes);
    i = (i + 1) % frames.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["faces_per_frame"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
}

/* Fits the faces of the benchmark frames in turn with fit(luma, box); items = faces. */
template <class Fit>
void run_landmarks(benchmark::State &state, const Fit &fit) {
  const std::vector<FaceSample> &samples = faces();
  const std::vector<cv::Mat> &frames = luma(1280, 720);
  if (samples.empty()) {
    state.SkipWithError("no face found in the benchmark frames");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    const FaceSample &face = samples[i];
    fit(frames[face.frame], face.box);
    i = (i + 1) % samples.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Landmarks(benchmark::State &state) {
  run_landmarks(state, [](const cv::Mat &luma, const emo::Box &box) {
    benchmark::DoNotOptimize(landmarker().fit(luma, box));
  });
}

void BM_LandmarksDlib(benchmark::State &state) {
  static const dlib::shape_predictor predictor = [] {
    dlib::shape_predictor p;
    dlib::deserialize(emo::Landmarker::kDefaultModel) >> p;
    return p;
  }();
  run_landmarks(state, [](const cv::Mat &luma, const emo::Box &b) {
    const dlib::cv_image<unsigned char> img(luma);
    benchmark::DoNotOptimize(
        predictor(img, dlib::rectangle(b.x, b.y, b.x + b.width - 1, b.y + b.height - 1)));
  });
}

void BM_FeaturesClassify(benchmark::State &state) {
  const std::vector<FaceSample> &samples = faces();
  if (samples.empty()) {
    state.SkipWithError("no face found in the benchmark frames");
    return;
  }
  const emo::EmotionClassifier classifier =
      emo::EmotionClassifier::load(emo_bench::emotion_model());
  std::vector<float> features;
  size_t i = 0;
  for (auto _ : state) {
    emo::compute_features(samples[i].points, features);
    benchmark::DoNotOptimize(classifier.predict(features));
    i = (i + 1) % samples.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Classify(benchmark::State &state, const char *file) {
  const std::vector<FaceSample> &samples = faces();
  if (samples.empty()) {
    state.SkipWithError("no face found in the benchmark frames");
    return;
  }
  const std::string dir =
      emo_bench::emotion_model().substr(0, emo_bench::emotion_model().find_last_of('/') + 1);
  const emo::EmotionModel model = emo::EmotionModel::load(dir + file);
  const std::vector<cv::Mat> &frames = luma(1280, 720);
  size_t i = 0;
  for (auto _ : state) {
    const FaceSample &f = samples[i];
    benchmark::DoNotOptimize(model.predict(frames[f.frame], f.box, f.points));
    i = (i + 1) % samples.size();
  }
  state.SetItemsProcessed(state.iterations());
}

// A copy of `frame` carrying the faces found on it, with landmarks and an emotion.
BufferPtr annotated_copy(GstBuffer *frame, size_t index, const emo::EmotionClassifier &model) {
  BufferPtr copy(gst_buffer_copy_deep(frame));
  int id = 0;
  std::vector<float> features;
  for (const FaceSample &face : faces()) {
    if (face.frame != index) continue;
    GstVideoRegionOfInterestMeta *meta = emo::gst::add_face(copy.get(), face.box, id++);
    emo::gst::set_landmarks(meta, face.points, landmarker().backend());
    emo::compute_features(face.points, features);
    emo::gst::set_emotion(meta, model.predict(features), model.labels());
  }
  return copy;
}

void BM_Overlay(benchmark::State &state, const char *format) {
  const std::string raw = std::string("video/x-raw,format=") + format + ",width=1280,height=720";
  const std::string caps = raw + ",framerate=24000/1001,pixel-aspect-ratio=1/1";
  static std::vector<BufferPtr> frames;
  static std::string frames_caps;
  if (frames_caps != raw) {
    frames = emo_bench::decode_frames(emo_bench::dinner_clip(), raw);
    frames_caps = raw;
  }
  const emo::EmotionClassifier model = emo::EmotionClassifier::load(emo_bench::emotion_model());
  GstHarness *h = gst_harness_new("emooverlay");
  gst_harness_set_src_caps_str(h, caps.c_str());
  size_t i = 0, drawn = 0;
  for (auto _ : state) {
    state.PauseTiming();
    BufferPtr in = annotated_copy(frames[i].get(), i, model);
    drawn += emo::gst::read_faces(in.get()).size();
    state.ResumeTiming();
    if (gst_harness_push(h, in.release()) != GST_FLOW_OK) {
      state.SkipWithError("emooverlay did not accept the frame");
      break;
    }
    gst_buffer_unref(gst_harness_pull(h));
    i = (i + 1) % frames.size();
  }
  gst_harness_teardown(h);
  state.SetItemsProcessed(state.iterations());
  state.counters["faces_per_frame"] =
      static_cast<double>(drawn) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}

void BM_SessionSample(benchmark::State &state) {
  static std::vector<BufferPtr> frames;
  if (frames.empty())
    frames = emo_bench::decode_frames(emo_bench::dinner_clip(),
                                      "video/x-raw,format=I420,width=1280,height=720");
  const emo::EmotionClassifier model = emo::EmotionClassifier::load(emo_bench::emotion_model());
  std::vector<BufferPtr> annotated;
  for (size_t i = 0; i < frames.size(); ++i)
    annotated.push_back(annotated_copy(frames[i].get(), i, model));
  g_unsetenv("GEMINI_API_KEY");  // offline: windows are closed without any request
  GstHarness *h = gst_harness_new("emosession");
  gst_harness_set_src_caps_str(
      h, "video/x-raw,format=I420,width=1280,height=720,framerate=24/1,pixel-aspect-ratio=1/1");
  const GstClockTime frame_duration = GST_SECOND / 24;
  GstClockTime pts = 0;
  size_t i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    GstBuffer *in = gst_buffer_copy(annotated[i].get());  // shares memory, copies the metas
    GST_BUFFER_PTS(in) = pts;
    GST_BUFFER_DURATION(in) = frame_duration;
    pts += frame_duration;
    state.ResumeTiming();
    if (gst_harness_push(h, in) != GST_FLOW_OK) {
      state.SkipWithError("emosession did not accept the frame");
      break;
    }
    i = (i + 1) % annotated.size();
  }
  gst_harness_teardown(h);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_Detect)
    ->ArgNames({"w", "h", "detw"})
    ->Args({640, 480, 640})
    ->Args({1280, 720, 640})
    ->Args({1280, 720, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Landmarks)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LandmarksDlib)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FeaturesClassify)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Classify, forest, "emotion.yml.gz")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Classify, cnn, "emotion-cnn.json")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Classify, finetuned, "emotion-finetuned.json")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Classify, fused, "emotion-fused.yml.gz")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Overlay, I420, "I420")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Overlay, BGRx, "BGRx")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SessionSample)->Unit(benchmark::kMicrosecond)->UseRealTime();

int main(int argc, char **argv) {
  // emooverlay from the build tree unless the caller chose a plugin path.
  g_setenv("GST_PLUGIN_PATH", EMO_PLUGIN_DIR, FALSE);
  gst_init(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_stages: %s\n", e.what());
    return 1;
  }
  benchmark::Shutdown();
  return 0;
}
