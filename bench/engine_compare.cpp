// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo benchmark: OpenCV 4.6 DNN (the engine before issue 19) against ONNX Runtime
// (emo::Network), on the same input tensors in the same run, one thread each:
//   BlazeFace full range, rectangular input (256 x 144 content in 256 x 192) of 720p frames:
//     raw outputs, decoded boxes after NMS, and time per frame;
//   the default emotion CNN (emotion-finetuned.onnx, 64 x 64 grey) on the faces found:
//     scores, and time per face at batch 1 and batch 4.
// Frames: the dinner clip at frame_times() (8 frames, 1280 x 720) and the astronaut portrait
// in a 1280 x 720 frame. Times are medians of the calling thread's CPU time (both engines
// run on it alone). Usage: engine_compare [REPS] (default 30).
#include <gst/gst.h>

#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/classify/cnn.hpp"
#include "emo/core/inference.hpp"
#include "emo/detect/blazeface.hpp"
#include "frames.hpp"

namespace {

// The calling thread's CPU time: both engines run on it alone (one thread each), and it is
// not inflated by the other jobs of a shared machine as wall time is.
struct Clock {
  using time_point = double;  // ms
  static double now() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
  }
};
namespace det = emo::detect;

std::string model_dir() {
  const char *d = std::getenv("GST_EMO_MODEL_DIR");
  return d && *d ? d : EMO_SOURCE_DIR "/models";
}

// The four BlazeFace outputs in anchor order: scores (fine grid, coarse grid), regressors.
struct Raw {
  std::vector<float> scores, regressors;
};

// Orders outputs given as (shape, data) by grid (fine first: more anchors per pixel) and kind.
Raw order(const std::vector<std::pair<std::vector<int>, const float *>> &outs, cv::Size in,
          int size) {
  const size_t fine = static_cast<size_t>(in.width / (size / 16)) * (in.height / (size / 16)) * 2;
  Raw r;
  const float *s[2] = {}, *g[2] = {};
  size_t n[2] = {};
  for (const auto &[shape, data] : outs) {
    size_t total = 1;
    for (int d : shape) total *= static_cast<size_t>(d);
    const int last = shape.back();
    const size_t anchors = total / static_cast<size_t>(last);
    const int grid = anchors == fine ? 0 : 1;
    n[grid] = anchors;
    (last == 1 ? s : g)[grid] = data;
  }
  for (int k = 0; k < 2; ++k) {
    r.scores.insert(r.scores.end(), s[k], s[k] + n[k]);
    r.regressors.insert(r.regressors.end(), g[k], g[k] + n[k] * 16);
  }
  return r;
}

std::vector<det::FaceDetection> decode(const Raw &r, const det::Letterbox &lb) {
  std::vector<det::FaceDetection> raw, out;
  det::decode_blazeface(r.scores.data(), r.regressors.data(), det::blazeface_anchors(lb.input, 256),
                        lb.input, det::kFullRangeThreshold, raw);
  for (det::FaceDetection d : det::weighted_nms(std::move(raw))) {
    d.box = lb.to_frame(d.box);
    out.push_back(d);
  }
  std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.box.x < b.box.x; });
  return out;
}

double ms_since(Clock::time_point t0) { return Clock::now() - t0; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 30;
  cv::setNumThreads(1);  // OpenCV DNN on the calling thread; ONNX Runtime: intra-op 1 (default)

  std::vector<cv::Mat> frames;
  for (const auto &b : emo_bench::decode_frames(emo_bench::dinner_clip(),
                                                "video/x-raw,format=BGR,width=1280,height=720")) {
    GstMapInfo info;
    gst_buffer_map(b.get(), &info, GST_MAP_READ);
    frames.push_back(cv::Mat(720, 1280, CV_8UC3, info.data, 1280 * 3).clone());
    gst_buffer_unmap(b.get(), &info);
  }
  {
    const cv::Mat a = cv::imread("/usr/lib/python3/dist-packages/skimage/data/astronaut.png");
    cv::Mat f(720, 1280, CV_8UC3, cv::Scalar(90, 120, 60));
    a.copyTo(f(cv::Rect(600, 100, a.cols, a.rows)));
    frames.push_back(f);
  }

  // --- BlazeFace
  const std::string bf_path = model_dir() + "/" + det::kFullRangeModel;
  cv::dnn::Net dnn = cv::dnn::readNetFromONNX(bf_path);
  dnn.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  dnn.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  const std::vector<cv::String> dnn_names = dnn.getUnconnectedOutLayersNames();
  const auto ort = emo::Network::load(bf_path);
  double max_raw = 0, max_box = 0, max_score = 0;
  int faces_dnn = 0, faces_ort = 0, matched = 0;
  std::vector<double> t_dnn, t_ort;
  std::vector<cv::Mat> gray_frames;
  std::vector<std::vector<det::FaceDetection>> found;
  cv::Mat rgb, scratch, input;
  for (const cv::Mat &f : frames) {
    const det::Letterbox lb =
        det::Letterbox::fit_aligned(f.cols, f.rows, 256, det::rectangular_align(256));
    det::letterbox_rgb(det::FrameView::from_mat(f), lb, rgb, scratch);
    rgb.convertTo(input, CV_32FC3, 1.0 / 127.5, -1.0);
    const int dims[] = {1, lb.input.height, lb.input.width, 3};
    const cv::Mat blob(4, dims, CV_32F, input.data);
    const emo::TensorView view{input.ptr<float>(), {1, lb.input.height, lb.input.width, 3}};
    std::vector<cv::Mat> douts;
    std::vector<emo::Tensor> oouts;
    for (int r = 0; r < reps; ++r) {  // interleaved: both engines see the same load
      auto t0 = Clock::now();
      dnn.setInput(blob);
      dnn.forward(douts, dnn_names);
      t_dnn.push_back(ms_since(t0));
      t0 = Clock::now();
      oouts = ort->run(std::vector<emo::TensorView>{view});
      t_ort.push_back(ms_since(t0));
    }
    std::vector<std::pair<std::vector<int>, const float *>> a, b;
    for (const cv::Mat &m : douts)
      a.push_back({std::vector<int>(m.size.p, m.size.p + m.dims), m.ptr<float>()});
    for (const emo::Tensor &t : oouts)
      b.push_back({std::vector<int>(t.shape.begin(), t.shape.end()), t.data.data()});
    const Raw ra = order(a, lb.input, 256), rb = order(b, lb.input, 256);
    for (size_t i = 0; i < ra.scores.size(); ++i)
      max_raw = std::max(max_raw, static_cast<double>(std::abs(ra.scores[i] - rb.scores[i])));
    for (size_t i = 0; i < ra.regressors.size(); ++i)
      max_raw =
          std::max(max_raw, static_cast<double>(std::abs(ra.regressors[i] - rb.regressors[i])));
    const auto da = decode(ra, lb), db = decode(rb, lb);
    faces_dnn += static_cast<int>(da.size());
    faces_ort += static_cast<int>(db.size());
    for (const auto &x : da)
      for (const auto &y : db)
        if (det::iou(x.box, y.box) > 0.5) {
          ++matched;
          max_box = std::max({max_box, std::abs(double(x.box.x - y.box.x)),
                              std::abs(double(x.box.y - y.box.y)),
                              std::abs(double(x.box.width - y.box.width)),
                              std::abs(double(x.box.height - y.box.height))});
          max_score = std::max(max_score, std::abs(double(x.score - y.score)));
        }
    cv::Mat g;
    cv::cvtColor(f, g, cv::COLOR_BGR2GRAY);
    gray_frames.push_back(g);
    found.push_back(db);
  }
  std::printf(
      "BlazeFace 256 rect (256 x 192 input), %zu frames x %d runs, one thread, "
      "thread CPU time\n",
      frames.size(), reps);
  std::printf("  OpenCV DNN   median %.2f ms\n  ONNX Runtime median %.2f ms   (DNN / ORT %.2fx)\n",
              median(t_dnn), median(t_ort), median(t_dnn) / median(t_ort));
  std::printf(
      "  faces DNN %d, ORT %d, matched (IoU > 0.5) %d; max |raw output diff| %.2e; "
      "matched boxes max |diff| %.1e px, scores %.1e\n",
      faces_dnn, faces_ort, matched, max_raw, max_box, max_score);

  // --- emotion CNN
  const auto cnn = emo::CnnModel::load(model_dir() + "/emotion-finetuned.json");
  // One OpenCV net per batch size: a cv::dnn::Net sets its layers up again at each change of
  // input shape. ONNX Runtime: one session for both, as emoclassify uses it.
  cv::dnn::Net cdnn = cv::dnn::readNetFromONNX(cnn->spec().onnx),
               cdnn4 = cv::dnn::readNetFromONNX(cnn->spec().onnx);
  for (cv::dnn::Net *n : {&cdnn, &cdnn4}) {
    n->setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    n->setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }
  std::vector<cv::Mat> crops;
  for (size_t i = 0; i < found.size(); ++i)
    for (const auto &d : found[i])
      crops.push_back(cnn->crop(gray_frames[i], d.pixel_box(1280, 720), {}));
  while (crops.size() % 4 != 0) crops.push_back(crops[crops.size() % 4]);
  double max_cnn = 0;
  std::vector<double> c_dnn1, c_dnn4, c_ort1, c_ort4;
  const std::vector<cv::String> cnames = {"scores"};
  for (int r = 0; r < std::max(1, reps / 3); ++r) {
    for (size_t k = 0; k + 4 <= crops.size(); k += 4) {
      const std::vector<cv::Mat> four(crops.begin() + k, crops.begin() + k + 4);
      const emo::Tensor t4 = cnn->input_tensor(four);
      const int d4[] = {4, 1, cnn->spec().input.height, cnn->spec().input.width};
      const int d1[] = {1, 1, cnn->spec().input.height, cnn->spec().input.width};
      std::vector<cv::Mat> out;
      std::vector<float> dnn_scores;
      auto t0 = Clock::now();
      for (int i = 0; i < 4; ++i) {
        cdnn.setInput(cv::Mat(4, d1, CV_32F, const_cast<float *>(t4.data.data()) + i * 64 * 64));
        cdnn.forward(out, cnames);
        dnn_scores.insert(dnn_scores.end(), out[0].ptr<float>(),
                          out[0].ptr<float>() + out[0].total());
      }
      c_dnn1.push_back(ms_since(t0) / 4);
      t0 = Clock::now();
      cdnn4.setInput(cv::Mat(4, d4, CV_32F, const_cast<float *>(t4.data.data())));
      cdnn4.forward(out, cnames);
      c_dnn4.push_back(ms_since(t0) / 4);
      t0 = Clock::now();
      std::vector<float> ort1;
      for (int i = 0; i < 4; ++i) {
        const auto o = cnn->network().run(
            std::vector<emo::TensorView>{{t4.data.data() + i * 64 * 64, {1, 1, 64, 64}}},
            {"scores"});
        ort1.insert(ort1.end(), o[0].data.begin(), o[0].data.end());
      }
      c_ort1.push_back(ms_since(t0) / 4);
      t0 = Clock::now();
      const auto o4 = cnn->network().run(std::vector<emo::Tensor>{t4}, {"scores"});
      c_ort4.push_back(ms_since(t0) / 4);
      for (size_t i = 0; i < dnn_scores.size(); ++i)
        max_cnn = std::max({max_cnn, std::abs(double(dnn_scores[i] - o4[0].data[i])),
                            std::abs(double(dnn_scores[i] - ort1[i]))});
    }
  }
  std::printf("emotion CNN (emotion-finetuned, 64 x 64 grey), %zu face crops, per face\n",
              crops.size());
  std::printf("  OpenCV DNN   batch 1 %.3f ms, batch 4 %.3f ms\n", median(c_dnn1), median(c_dnn4));
  std::printf("  ONNX Runtime batch 1 %.3f ms, batch 4 %.3f ms   (DNN b1 / ORT b4 %.2fx)\n",
              median(c_ort1), median(c_ort4), median(c_dnn1) / median(c_ort4));
  std::printf("  max |score diff| DNN vs ORT %.2e\n", max_cnn);
  std::printf("ONNX Runtime %s\n", emo::onnxruntime_version().c_str());
  return 0;
}
