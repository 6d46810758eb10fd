// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-fit-framing: fits the transform from BlazeFace boxes to the framing of dlib's frontal
// face detector (dlib::get_frontal_face_detector), on which dlib's 68-point landmark model
// was trained (see emo::detect::dlib_framing in emo/detect/blazeface.hpp).
//
//   emo-fit-framing [--model ONNX] [--max N] DIR...
//
// For every image under DIR (recursively) where both detectors find exactly one face and the
// two boxes overlap (IoU >= 0.3) - each image scaled so that the face is about 120 px wide and
// padded by 30 % per side, so that dlib sees faces in the size range it was made for -, and
// neither box touches the image border, it records the dlib box centre offset and side relative to
// the BlazeFace box (centre (cx, cy), side s = (w + h) / 2): dx = (dlib cx - cx) / s,
// dy = (dlib cy - cy) / s, scale = dlib side / s. The least-squares fit of the constant
// offsets and scale is their mean; it prints N, the means, their standard deviations (the
// RMS residual, in units of s) and the mean IoU of the fitted box with the dlib box, before
// (the BlazeFace box itself) and after the transform.
// EMO_FIT_VERBOSE=1 also prints each image's two boxes (x y w h, BlazeFace then dlib).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv.h>
#include <glib.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/detect/blazeface.hpp"

namespace {

struct Stat {
  double sum = 0, sq = 0;
  int n = 0;
  void add(double v) { sum += v, sq += v * v, ++n; }
  double mean() const { return n ? sum / n : 0; }
  double sd() const { return n > 1 ? std::sqrt(std::max(0.0, sq / n - mean() * mean())) : 0; }
};

}  // namespace

int main(int argc, char **argv) {
  gchar *model = nullptr;
  gint max_images = 0;
  gchar **dirs = nullptr;
  const GOptionEntry entries[] = {
      {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "BlazeFace ONNX model", "FILE"},
      {"max", 0, 0, G_OPTION_ARG_INT, &max_images, "Use at most N images (0 = all)", "N"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, nullptr, "DIR..."},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx = g_option_context_new("- fit BlazeFace boxes to dlib's face framing");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  GError *err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err) || !dirs || !*dirs) {
    g_printerr("emo-fit-framing: %s\n", err ? err->message : "no directory given");
    return 2;
  }
  g_option_context_free(ctx);
  const std::string model_path =
      model ? model : std::string("models/") + emo::detect::kFullRangeModel;
  try {
    emo::detect::BlazeFace blazeface(model_path);
    dlib::frontal_face_detector dlib_detector = dlib::get_frontal_face_detector();
    std::vector<std::string> files;
    for (gchar **d = dirs; *d; ++d)
      for (const auto &e : std::filesystem::recursive_directory_iterator(*d))
        if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    // Every other file when limited, so that all labels are sampled.
    if (max_images > 0 && files.size() > static_cast<size_t>(max_images)) {
      std::vector<std::string> picked;
      const double step = static_cast<double>(files.size()) / max_images;
      for (int i = 0; i < max_images; ++i) picked.push_back(files[static_cast<size_t>(i * step)]);
      files.swap(picked);
    }
    Stat dx, dy, scale, iou_before, iou_after;
    int read = 0, both = 0;
    std::vector<std::array<double, 3>> samples;
    std::vector<std::pair<emo::Box, emo::Box>> pairs;
    for (const std::string &f : files) {
      cv::Mat img = cv::imread(f, cv::IMREAD_COLOR);
      if (img.empty()) continue;
      ++read;
      // Each image is scaled so that its face is about 120 px wide (dlib's detector finds
      // faces from 80 px; on a face filling a small image its boxes stop growing at its
      // coarsest pyramid level), then gets a black border of 30 % per side (on a close crop
      // dlib's box otherwise runs off the image).
      emo::DetectorParams first;
      first.min_size = 0;
      const auto found = blazeface.detect(emo::detect::FrameView::from_mat(img), first);
      if (found.size() != 1) continue;
      const double k = 120.0 / ((found[0].box.width + found[0].box.height) / 2);
      cv::resize(img, img, {}, k, k, k < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      const int bx = img.cols * 3 / 10, by = img.rows * 3 / 10;
      cv::Mat bgr;
      cv::copyMakeBorder(img, bgr, by, by, bx, bx, cv::BORDER_CONSTANT, cv::Scalar::all(0));
      emo::DetectorParams params;
      params.min_size = 0;
      const auto faces = blazeface.detect(emo::detect::FrameView::from_mat(bgr), params);
      cv::Mat gray;
      cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
      const std::vector<dlib::rectangle> dets = dlib_detector(dlib::cv_image<unsigned char>(gray));
      if (faces.size() != 1 || dets.size() != 1) continue;
      const emo::Box b = faces[0].pixel_box(bgr.cols, bgr.rows);
      const dlib::rectangle &r = dets[0];
      const emo::Box d(static_cast<int>(r.left()), static_cast<int>(r.top()),
                       static_cast<int>(r.width()), static_cast<int>(r.height()));
      const emo::Box inside(0, 0, bgr.cols, bgr.rows);
      if (emo::iou(b, d) < 0.3 || (d & inside) != d || (b & inside) != b) continue;
      ++both;
      const double s = (b.width + b.height) / 2.0;
      dx.add((d.x + d.width / 2.0 - (b.x + b.width / 2.0)) / s);
      dy.add((d.y + d.height / 2.0 - (b.y + b.height / 2.0)) / s);
      scale.add((d.width + d.height) / 2.0 / s);
      pairs.emplace_back(b, d);
      if (g_getenv("EMO_FIT_VERBOSE"))
        std::printf("%s %d %d %d %d  %d %d %d %d\n", f.c_str(), b.x, b.y, b.width, b.height, d.x,
                    d.y, d.width, d.height);
    }
    std::printf("images read %d, one face from both detectors (IoU >= 0.3) %d\n", read, both);
    std::printf(
        "offset x %.4f (sd %.4f), offset y %.4f (sd %.4f), scale %.4f (sd %.4f), "
        "in units of the BlazeFace side\n",
        dx.mean(), dx.sd(), dy.mean(), dy.sd(), scale.mean(), scale.sd());
    for (const auto &[b, d] : pairs) {
      iou_before.add(emo::iou(b, d));
      const double s = (b.width + b.height) / 2.0;
      const double cx = b.x + b.width / 2.0 + dx.mean() * s;
      const double cy = b.y + b.height / 2.0 + dy.mean() * s;
      const double side = scale.mean() * s;
      const emo::Box fitted(static_cast<int>(std::lround(cx - side / 2)),
                            static_cast<int>(std::lround(cy - side / 2)),
                            static_cast<int>(std::lround(side)),
                            static_cast<int>(std::lround(side)));
      iou_after.add(emo::iou(fitted, d));
    }
    std::printf("mean IoU with the dlib box: BlazeFace box %.4f, fitted box %.4f\n",
                iou_before.mean(), iou_after.mean());
  } catch (const std::exception &e) {
    g_printerr("emo-fit-framing: %s\n", e.what());
    return 1;
  }
  g_free(model);
  g_strfreev(dirs);
  return 0;
}
