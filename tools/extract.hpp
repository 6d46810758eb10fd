// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: feature extraction over a list of samples, with an optional on-disk cache.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "dataset.hpp"
#include "emo/classify/cnn.hpp"
#include "emo/detect/detection.hpp"
#include "emo/detect/detector.hpp"
#include "emo/landmarks/landmarker.hpp"

namespace emo_tools {

/// The face detector emofacedetect uses by default: BlazeFace full range, in
/// $GST_EMO_MODEL_DIR when set, else in the installed model directory.
std::string default_detector_model();

struct ExtractSettings {
  std::string landmarks_model = emo::Landmarker::kDefaultModel;
  /// Face detector (--detect samples): a BlazeFace .onnx (default) or a cascade .xml.
  std::string detector_model = default_detector_model();
  /// Face crops and small detect images: shorter side upscaled to at least this many pixels
  /// (288 gave the best grouped-CV balanced accuracy on CK+48 among 48, 96, 192, 288, 384).
  int upscale = 288;
  double inset = 0.05;   ///< whole-image crops: box inset per side, fraction of the side
  int threads = 2;       ///< worker threads (each with its own detector)
  bool progress = true;  ///< carriage-return progress bar on stderr
  emo::DetectorParams detector;
  /// When set, every face also goes through this CNN (aligned crop from the fitted landmarks):
  /// Extraction::cnn gets its embedding and scores.
  std::shared_ptr<const emo::CnnModel> cnn;
  /// When non-empty, each aligned CNN crop is written to <dump_crops>/<sample index>.png.
  std::string dump_crops;
  /// False: the CNN only frames the crops (for dump_crops); it is not run, Extraction::cnn
  /// stays zero (emo-train --ferplus, whose figures come from the fine-tuning script).
  bool cnn_scores = true;
};

/// Outcome of one sample.
enum Status : int { kOk = 0, kNoFace = 1, kUnreadable = 2 };

struct Extraction {
  cv::Mat features;         ///< samples.size() x emo::kFeatureLength CV_32F (zeros unless kOk)
  std::vector<int> status;  ///< one Status per sample
  int from_cache = 0;       ///< how many came from the cache
  /// With ExtractSettings::cnn: samples.size() x (embedding size + class count) CV_32F,
  /// embedding then scores (zeros unless kOk).
  cv::Mat cnn;
};

/// Reads a file as 8-bit grayscale (cv::imread decides the format from the bytes, so WebP
/// data in a `.jpg` file is fine). Empty Mat when it cannot be decoded.
cv::Mat read_gray(const std::string &path);

/// Fits landmarks and computes features for every sample. Whole-image samples use
/// prepare_whole_face(); the others the largest face of the detector (emo::detect::
/// make_detector(), BlazeFace by default), with landmarks fitted as emolandmarks does
/// (fit_box()). Unreadable files
/// and images without a face are warned about on stderr. With a non-empty `cache_path`,
/// results are looked up in and added to that cv::FileStorage file (keyed by mode, crop
/// settings and path; ignored when the landmark model or feature version differ).
/// Throws emo::ModelError when a model cannot be loaded.
/// The box to fit dlib's landmarks in for a detection `box` of `detector`: dlib's framing
/// (emo::detect::dlib_framing) for BlazeFace, the box itself for the cascade.
emo::Box fit_box(const emo::detect::Detector &detector, const emo::Box &box);

/// True for the BlazeFace detectors (model "blazeface-*").
bool is_blazeface(const emo::detect::Detector &detector);

Extraction extract_features(const std::vector<Sample> &samples, const ExtractSettings &settings,
                            const std::string &cache_path);

}  // namespace emo_tools
