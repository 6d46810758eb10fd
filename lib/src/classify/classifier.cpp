// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: emotion classification with an OpenCV random forest.
#include "emo/classify/classifier.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <opencv2/core/persistence.hpp>

#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"
#include "forest_check.hpp"

namespace emo {

Prediction prediction_from_scores(std::vector<float> scores,
                                  const std::vector<std::string> &labels) {
  Prediction p;
  p.scores = std::move(scores);
  if (p.scores.empty()) return p;
  p.class_id =
      static_cast<int>(std::max_element(p.scores.begin(), p.scores.end()) - p.scores.begin());
  p.label = labels.at(static_cast<size_t>(p.class_id));
  p.confidence = p.scores[static_cast<size_t>(p.class_id)];
  return p;
}
namespace {

constexpr const char *kFormat = "gst-emo-emotion-model";
constexpr const char *kLayout = "ibug-68";

// Priors that weight every class inversely to its frequency (normalised to sum to 1), one per
// class value present in `labels`, in increasing class order (the order cv::ml::DTrees expects).
cv::Mat balanced_priors(const std::vector<int> &labels, int num_classes) {
  std::vector<int> counts(static_cast<size_t>(num_classes), 0);
  for (int l : labels) ++counts[static_cast<size_t>(l)];
  std::vector<double> priors;
  for (int c : counts)
    if (c > 0) priors.push_back(1.0 / c);
  double sum = 0.0;
  for (double p : priors) sum += p;
  for (double &p : priors) p /= sum;
  return cv::Mat(priors, true).reshape(1, 1);
}

std::string mismatch(const std::string &path, const char *what, const std::string &expected,
                     const std::string &found) {
  return "emotion model '" + path + "' does not fit this build: " + what + " is " + found +
         ", expected " + expected + " (retrain the model with this version of gst-emo)";
}

}  // namespace

EmotionClassifier EmotionClassifier::train(const cv::Mat &features, const std::vector<int> &labels,
                                           const std::vector<std::string> &label_names,
                                           const TrainParams &params) {
  if (features.empty() || features.channels() != 1 || features.cols != kFeatureLength)
    throw std::invalid_argument("EmotionClassifier::train: features must be N x " +
                                std::to_string(kFeatureLength) + " single-channel floats");
  if (static_cast<size_t>(features.rows) != labels.size())
    throw std::invalid_argument("EmotionClassifier::train: " + std::to_string(features.rows) +
                                " feature rows but " + std::to_string(labels.size()) + " labels");
  if (label_names.empty()) throw std::invalid_argument("EmotionClassifier::train: no label names");
  const int num_classes = static_cast<int>(label_names.size());
  for (int l : labels)
    if (l < 0 || l >= num_classes)
      throw std::invalid_argument("EmotionClassifier::train: label id " + std::to_string(l) +
                                  " outside [0, " + std::to_string(num_classes) + ")");
  if (params.trees <= 0 || params.max_depth <= 0 || params.min_sample_count <= 0 ||
      params.active_vars < 0)
    throw std::invalid_argument("EmotionClassifier::train: invalid training parameters");

  cv::Mat samples;
  features.convertTo(samples, CV_32F);
  cv::Mat responses(static_cast<int>(labels.size()), 1, CV_32S);
  for (size_t i = 0; i < labels.size(); ++i) responses.at<int>(static_cast<int>(i)) = labels[i];
  cv::Mat var_type(kFeatureLength + 1, 1, CV_8U, cv::Scalar(cv::ml::VAR_ORDERED));
  var_type.at<uchar>(kFeatureLength) = cv::ml::VAR_CATEGORICAL;

  cv::Ptr<cv::ml::RTrees> forest = cv::ml::RTrees::create();
  forest->setMaxDepth(params.max_depth);
  forest->setMinSampleCount(params.min_sample_count);
  forest->setActiveVarCount(params.active_vars);
  forest->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, params.trees, 0.0));
  forest->setCalculateVarImportance(false);
  if (params.balance_classes) forest->setPriors(balanced_priors(labels, num_classes));
  cv::theRNG().state = static_cast<uint64>(params.seed);

  const cv::Ptr<cv::ml::TrainData> data =
      cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, responses, cv::noArray(),
                                cv::noArray(), cv::noArray(), var_type);
  if (!forest->train(data) || !forest->isTrained())
    throw std::runtime_error("EmotionClassifier::train: the random forest did not train");

  EmotionClassifier result;
  result.forest_ = forest;
  result.labels_ = label_names;
  result.feature_version_ = kFeatureVersion;
  result.landmark_count_ = kFeatureLandmarks;
  return result;
}

Prediction EmotionClassifier::predict(const std::vector<float> &features) const {
  if (forest_.empty()) throw std::logic_error("EmotionClassifier::predict: empty classifier");
  if (features.size() != static_cast<size_t>(kFeatureLength))
    throw ModelMismatch("emotion features have " + std::to_string(features.size()) +
                        " values, the model expects " + std::to_string(kFeatureLength));
  const cv::Mat sample(1, kFeatureLength, CV_32F, const_cast<float *>(features.data()));
  cv::Mat votes;
  forest_->getVotes(sample, votes, 0);

  Prediction p;
  const size_t num_classes = labels_.size();
  p.scores.assign(num_classes, 0.f);
  double total = 0.0;
  if (votes.rows >= 2 && votes.type() == CV_32S) {
    // Row 0: the class value of each column (only classes seen in training); row 1: the votes.
    for (int j = 0; j < votes.cols; ++j) total += votes.at<int>(1, j);
    for (int j = 0; j < votes.cols && total > 0.0; ++j) {
      const int cls = votes.at<int>(0, j);
      if (cls >= 0 && static_cast<size_t>(cls) < num_classes)
        p.scores[static_cast<size_t>(cls)] += static_cast<float>(votes.at<int>(1, j) / total);
    }
  }
  if (!(total > 0.0) && num_classes > 0)
    std::fill(p.scores.begin(), p.scores.end(), 1.f / static_cast<float>(num_classes));
  if (num_classes == 0) return p;
  p.class_id =
      static_cast<int>(std::max_element(p.scores.begin(), p.scores.end()) - p.scores.begin());
  p.label = labels_[static_cast<size_t>(p.class_id)];
  p.confidence = p.scores[static_cast<size_t>(p.class_id)];
  return p;
}

void EmotionClassifier::save(const std::string &path) const {
  if (forest_.empty()) throw std::logic_error("EmotionClassifier::save: empty classifier");
  try {
    cv::FileStorage fs(path, cv::FileStorage::WRITE);
    if (!fs.isOpened()) throw ModelError(path, "", "cannot open the file for writing");
    fs << "format" << kFormat;
    fs << "feature_version" << feature_version_;
    fs << "landmark_count" << landmark_count_;
    fs << "landmark_layout" << kLayout;
    fs << "feature_length" << kFeatureLength;
    fs << "labels"
       << "[";
    for (const std::string &l : labels_) fs << l;
    fs << "]";
    fs << "forest"
       << "{";
    forest_->write(fs);
    fs << "}";
    fs.release();
  } catch (const cv::Exception &e) {
    throw ModelError(path, "", "cannot write the model (" + e.msg + ")");
  }
}

EmotionClassifier EmotionClassifier::load(const std::string &path) {
  std::error_code ec;
  if (path.empty()) throw ModelError(path, "", "no file name given");
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, "", "no such file");
  if (std::filesystem::is_directory(path, ec))
    throw ModelError(path, "", "is a directory, not an emotion model");

  // OpenCV 4.6's FileStorage parser can spin for a long time on bytes that no model written
  // by OpenCV contains (found by the forest fuzz target: 0xff runs inside a YAML key). Models
  // are 7-bit text, so an uncompressed file with other bytes is refused before OpenCV reads
  // it. Compressed (.gz) files are decompressed by OpenCV itself and not scanned here.
  {
    std::ifstream in(path, std::ios::binary);
    char magic[2] = {0, 0};
    in.read(magic, 2);
    const bool gzip = in.gcount() == 2 && static_cast<unsigned char>(magic[0]) == 0x1f &&
                      static_cast<unsigned char>(magic[1]) == 0x8b;
    if (!gzip) {
      // ...and it must open as OpenCV writes YAML (an 86-byte file with a broken "%YAML:1.t"
      // header and sequence made OpenCV's parser loop for ever: tests/fuzz/corpus/forest_model
      // /hang-broken-yaml-header.yml).
      in.clear();
      in.seekg(0);
      char head[10] = {0};
      in.read(head, 9);
      if (std::string(head, static_cast<size_t>(in.gcount())) != "%YAML:1.0" &&
          std::string(head, static_cast<size_t>(in.gcount())) != "%YAML 1.0")
        throw ModelError(path, "", "not an emotion model: it does not start with %YAML:1.0");
      in.clear();
      in.seekg(0);
      char c;
      std::size_t offset = 0;
      while (in.get(c)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 || (u < 0x20 && u != '\n' && u != '\r' && u != '\t'))
          throw ModelError(path, "",
                           "not an emotion model: byte " + std::to_string(u) + " at offset " +
                               std::to_string(offset) + " (OpenCV models are 7-bit text)");
        ++offset;
      }
    }
  }

  EmotionClassifier result;
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ);
    if (!fs.isOpened()) throw ModelError(path, "", "not a readable OpenCV FileStorage file");
    const cv::FileNode format = fs["format"];
    if (!format.isString() || format.string() != kFormat)
      throw ModelError(path, "",
                       std::string("not a gst-emo emotion model (no format: ") + kFormat + ")");
    const int version =
        fs["feature_version"].empty() ? -1 : static_cast<int>(fs["feature_version"]);
    if (version != kFeatureVersion)
      throw ModelMismatch(mismatch(path, "the feature version", std::to_string(kFeatureVersion),
                                   std::to_string(version)));
    const int count = fs["landmark_count"].empty() ? -1 : static_cast<int>(fs["landmark_count"]);
    if (count != kFeatureLandmarks)
      throw ModelMismatch(mismatch(path, "the landmark count", std::to_string(kFeatureLandmarks),
                                   std::to_string(count)));
    const cv::FileNode layout = fs["landmark_layout"];
    if (layout.isString() && layout.string() != kLayout)
      throw ModelMismatch(mismatch(path, "the landmark layout", std::string("'") + kLayout + "'",
                                   "'" + layout.string() + "'"));
    const int length = fs["feature_length"].empty() ? -1 : static_cast<int>(fs["feature_length"]);
    if (length != kFeatureLength)
      throw ModelMismatch(mismatch(path, "the feature length", std::to_string(kFeatureLength),
                                   std::to_string(length)));

    const cv::FileNode labels = fs["labels"];
    if (!labels.isSeq() || labels.size() == 0)
      throw ModelError(path, "", "the model has no labels");
    for (const cv::FileNode &l : labels) result.labels_.push_back(l.string());

    const cv::FileNode forest = fs["forest"];
    if (!forest.isMap()) throw ModelError(path, "", "the model has no forest");
    // Every index and count against the model's own sizes before OpenCV reads a node.
    detail::check_forest(forest, kFeatureLength, result.labels_.size(), path);
    result.forest_ = cv::ml::RTrees::create();
    result.forest_->read(forest);
    if (!result.forest_->isTrained() || !result.forest_->isClassifier())
      throw ModelError(path, "", "the forest is empty or not a classifier");
    if (result.forest_->getVarCount() != kFeatureLength)
      throw ModelMismatch(mismatch(path, "the forest's input count", std::to_string(kFeatureLength),
                                   std::to_string(result.forest_->getVarCount())));
    // Every class the forest can vote for must have a label.
    cv::Mat votes;
    result.forest_->getVotes(cv::Mat::zeros(1, kFeatureLength, CV_32F), votes, 0);
    for (int j = 0; j < votes.cols; ++j)
      if (votes.type() != CV_32S || votes.at<int>(0, j) < 0 ||
          votes.at<int>(0, j) >= static_cast<int>(result.labels_.size()))
        throw ModelError(path, "", "the forest votes for classes that have no label");
    result.feature_version_ = version;
    result.landmark_count_ = count;
  } catch (const cv::Exception &e) {
    throw ModelError(path, "", "malformed model file (" + e.msg + ")");
  } catch (const ModelError &) {
    throw;
  } catch (const ModelMismatch &) {
    throw;
  } catch (const std::exception &e) {
    // OpenCV's FileStorage parser throws more than cv::Exception on crafted bytes (e.g. a NUL
    // in the YAML: std::length_error); found by tests/fuzz/fuzz_forest_model.
    throw ModelError(path, "", std::string("malformed model file (") + e.what() + ")");
  }
  return result;
}

}  // namespace emo
