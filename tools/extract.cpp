// SPDX-License-Identifier: LGPL-2.1-or-later
#include "extract.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <glib.h>
#include <opencv2/core/persistence.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>

#include "emo/core/model_path.hpp"
#include "emo/core/error.hpp"
#include "emo/detect/blazeface.hpp"
#include "emo/classify/features.hpp"

namespace emo_tools {

namespace {

std::string sample_key(const Sample &s, const ExtractSettings &set) {
  if (!s.whole_image) return "D" + std::to_string(set.upscale) + ":" + s.path;
  return "W" + std::to_string(set.upscale) + "/" + cv::format("%.3f", set.inset) + ":" + s.path;
}

std::string cache_signature(const ExtractSettings &set) {
  std::string sig = "features-v" + std::to_string(emo::kFeatureVersion) + "|" +
                    set.landmarks_model + "|" + set.detector_model;
  if (set.cnn) {
    const emo::CnnSpec &c = set.cnn->spec();
    sig += "|cnn:" + c.onnx +
           cv::format("|%.4f/%.4f/%.4f", c.crop.size, c.crop.below_eyes, c.crop.box_scale);
  }
  return sig;
}

int cnn_width(const ExtractSettings &set) {
  return set.cnn ? set.cnn->embedding_size() + static_cast<int>(set.cnn->labels().size()) : 0;
}

struct Cache {
  std::unordered_map<std::string, int> index;
  std::vector<std::string> keys;
  std::vector<int> status;
  cv::Mat features;

  void load(const std::string &path, const std::string &signature) {
    if (path.empty() || !std::filesystem::exists(path)) return;
    cv::FileStorage fs(path, cv::FileStorage::READ);
    if (!fs.isOpened() || (std::string)fs["signature"] != signature) {
      g_printerr("warning: ignoring cache %s (other landmark model or feature version)\n",
                 path.c_str());
      return;
    }
    fs["keys"] >> keys;
    fs["status"] >> status;
    fs["features"] >> features;
    if (status.size() != keys.size() || features.rows != static_cast<int>(keys.size())) {
      keys.clear(), status.clear(), features.release();
      return;
    }
    for (size_t i = 0; i < keys.size(); ++i) index[keys[i]] = static_cast<int>(i);
  }

  void add(const std::string &key, int st, const cv::Mat &row) {
    if (index.count(key)) return;
    index[key] = static_cast<int>(keys.size());
    keys.push_back(key);
    status.push_back(st);
    features.push_back(row);
  }

  void save(const std::string &path, const std::string &signature) const {
    cv::FileStorage fs(path, cv::FileStorage::WRITE);
    if (!fs.isOpened()) {
      g_printerr("warning: cannot write cache %s\n", path.c_str());
      return;
    }
    fs << "signature" << signature << "keys" << keys << "status" << status << "features"
       << features;
  }
};

class Progress {
 public:
  Progress(int total, bool enabled) : total_(total), enabled_(enabled && total > 0) {}
  void step() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    const int pct = 100 * done_ / total_;
    if (enabled_ && (pct != last_pct_ || done_ == total_)) draw(pct);
  }
  void warn(const std::string &msg) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (enabled_) g_printerr("\r%-60s\r", "");
    g_printerr("warning: %s\n", msg.c_str());
    if (enabled_ && done_ > 0) draw(100 * done_ / total_);
  }
  void finish() {
    if (enabled_) g_printerr("\n");
  }

 private:
  void draw(int pct) {
    constexpr int kWidth = 30;
    const int fill = pct * kWidth / 100;
    g_printerr("\r[%s%s] %d/%d %3d%%", std::string(fill, '#').c_str(),
               std::string(kWidth - fill, ' ').c_str(), done_, total_, pct);
    last_pct_ = pct;
  }
  std::mutex mutex_;
  int total_, done_ = 0, last_pct_ = -1;
  bool enabled_;
};

}  // namespace

std::string default_detector_model() {
  // The same lookup as the elements: $GST_EMO_MODEL_DIR, the source tree of a build-tree
  // binary, the install directory (emo/core/model_path.hpp).
  return emo::default_model_path(emo::detect::kFullRangeModel);
}

bool is_blazeface(const emo::detect::Detector &detector) {
  return std::string(detector.model_name()).rfind("blazeface", 0) == 0;
}

emo::Box fit_box(const emo::detect::Detector &detector, const emo::Box &box) {
  return is_blazeface(detector) ? emo::detect::dlib_framing(box) : box;
}

cv::Mat read_gray(const std::string &path) {
  try {
    return cv::imread(path, cv::IMREAD_GRAYSCALE);
  } catch (const cv::Exception &) {
    return {};
  }
}

Extraction extract_features(const std::vector<Sample> &samples, const ExtractSettings &settings,
                            const std::string &cache_path) {
  const std::string signature = cache_signature(settings);
  Cache cache;
  cache.load(cache_path, signature);

  Extraction out;
  const int n = static_cast<int>(samples.size());
  const int geo = emo::kFeatureLength, extra = cnn_width(settings);
  cv::Mat rows = cv::Mat::zeros(n, geo + extra, CV_32F);  // geometry | CNN, as cached
  out.features = rows.colRange(0, geo);
  if (extra) out.cnn = rows.colRange(geo, geo + extra);
  out.status.assign(n, kOk);
  std::vector<int> todo;
  for (int i = 0; i < n; ++i) {
    auto it = cache.index.find(sample_key(samples[i], settings));
    if (it == cache.index.end()) {
      todo.push_back(i);
      continue;
    }
    out.status[i] = cache.status[it->second];
    cache.features.row(it->second).copyTo(rows.row(i));
    ++out.from_cache;
  }
  if (todo.empty()) return out;

  const emo::Landmarker landmarker(settings.landmarks_model);
  if (landmarker.num_points() != emo::kFeatureLandmarks) {
    throw emo::ModelMismatch(
        settings.landmarks_model + " gives " + std::to_string(landmarker.num_points()) +
        " landmarks; the emotion features need " + std::to_string(emo::kFeatureLandmarks));
  }
  const bool need_detector =
      std::any_of(todo.begin(), todo.end(), [&](int i) { return !samples[i].whole_image; });
  if (need_detector) emo::detect::make_detector(settings.detector_model);  // fail early, here

  Progress progress(static_cast<int>(todo.size()), settings.progress);
  // One sample: fills out.status[i] and out.features.row(i).
  auto process = [&](const Sample &s, int i, emo::detect::Detector *detector) {
    std::vector<float> feats;
    // With a CNN: its embedding and scores of the aligned crop (landmarks from the same fit).
    auto appearance = [&](const cv::Mat &image, const emo::Box &box,
                          const std::vector<emo::Point> &points) {
      if (!settings.cnn) return;
      const cv::Mat crop = settings.cnn->crop(image, box, points);
      if (!settings.dump_crops.empty())
        cv::imwrite(settings.dump_crops + "/" + std::to_string(i) + ".png", crop);
      if (!settings.cnn_scores) return;
      const emo::CnnOutput o = settings.cnn->run(crop);
      float *dst = out.cnn.ptr<float>(i);
      std::copy(o.embedding.begin(), o.embedding.end(), dst);
      std::copy(o.scores.begin(), o.scores.end(), dst + o.embedding.size());
    };
    const cv::Mat gray = read_gray(s.path);
    if (gray.empty()) {
      out.status[i] = kUnreadable;
      progress.warn("skipping " + s.path + ": unreadable");
      return;
    }
    if (s.whole_image) {
      const WholeFace face = prepare_whole_face(gray, settings.upscale, settings.inset);
      const std::vector<emo::Point> points = landmarker.fit(face.image, face.box);
      emo::compute_features(points, feats);
      appearance(face.image, face.box, points);
    } else {
      DetectImage img = prepare_for_detection(gray, settings.upscale);
      if (is_blazeface(*detector)) add_detection_margin(img);
      const auto faces =
          detector->detect(emo::detect::FrameView::from_mat(img.image), settings.detector);
      if (faces.empty()) {
        out.status[i] = kNoFace;
        progress.warn("skipping " + s.path + ": no face found");
        return;
      }
      const emo::Box box = faces.front().pixel_box(img.image.cols, img.image.rows);
      const std::vector<emo::Point> points = landmarker.fit(img.image, fit_box(*detector, box));
      emo::compute_features(points, feats);
      appearance(img.image, box, points);
    }
    std::copy(feats.begin(), feats.end(), out.features.ptr<float>(i));
  };
  // OpenCV's parallel loop, one sample per stripe, on settings.threads threads. Detectors are
  // not thread-safe: each stripe borrows one from `idle` (made when none is free, so at most
  // one per thread) and gives it back.
  std::mutex idle_mutex;
  std::vector<std::unique_ptr<emo::detect::Detector>> idle;
  const int nthreads = std::max(1, std::min<int>(settings.threads, todo.size()));
  const int previous_threads = cv::getNumThreads();
  cv::setNumThreads(nthreads);
  cv::parallel_for_(
      cv::Range(0, static_cast<int>(todo.size())),
      [&](const cv::Range &range) {
        for (int k = range.start; k < range.end; ++k) {
          const int i = todo[k];
          std::unique_ptr<emo::detect::Detector> detector;
          try {
            if (need_detector) {
              {
                std::lock_guard<std::mutex> lock(idle_mutex);
                if (!idle.empty()) detector = std::move(idle.back()), idle.pop_back();
              }
              if (!detector) detector = emo::detect::make_detector(settings.detector_model);
            }
            process(samples[i], i, detector.get());
          } catch (const std::exception &e) {
            out.status[i] = kNoFace;
            progress.warn("skipping " + samples[i].path + ": " + e.what());
          }
          if (detector) {
            std::lock_guard<std::mutex> lock(idle_mutex);
            idle.push_back(std::move(detector));
          }
          progress.step();
        }
      },
      static_cast<double>(todo.size()));
  cv::setNumThreads(previous_threads);
  progress.finish();

  if (!cache_path.empty()) {
    for (int i : todo) cache.add(sample_key(samples[i], settings), out.status[i], rows.row(i));
    cache.save(cache_path, signature);
  }
  return out;
}

}  // namespace emo_tools
