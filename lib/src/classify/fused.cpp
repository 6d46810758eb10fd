// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: a classifier over landmark geometry and an appearance CNN's embedding and scores.
#include "emo/classify/fused.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <opencv2/core/persistence.hpp>

#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"

namespace emo {
namespace {

constexpr const char *kFormat = "gst-emo-fused-model";

}  // namespace

std::string FusedInputs::str() const {
  std::string s;
  auto add = [&](bool on, const char *name) {
    if (!on) return;
    if (!s.empty()) s += ",";
    s += name;
  };
  add(geometry, "geometry"), add(embedding, "embedding"), add(scores, "scores");
  return s;
}

FusedInputs FusedInputs::parse(const std::string &text) {
  FusedInputs in{false, false, false};
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    if (part == "geometry")
      in.geometry = true;
    else if (part == "embedding")
      in.embedding = true;
    else if (part == "scores")
      in.scores = true;
    else
      throw std::invalid_argument("unknown fused input '" + part +
                                  "' (geometry, embedding, scores)");
    start = end + 1;
  }
  return in;
}

int FusedModel::input_length(const FusedInputs &in, const CnnModel &cnn) {
  return (in.geometry ? kFeatureLength : 0) + (in.embedding ? cnn.embedding_size() : 0) +
         (in.scores ? static_cast<int>(cnn.labels().size()) : 0);
}

void FusedModel::input_vector(const FusedInputs &in, const std::vector<float> &geometry,
                              const CnnOutput &cnn, std::vector<float> &out) {
  out.clear();
  if (in.geometry) out.insert(out.end(), geometry.begin(), geometry.end());
  if (in.embedding) out.insert(out.end(), cnn.embedding.begin(), cnn.embedding.end());
  if (in.scores) out.insert(out.end(), cnn.scores.begin(), cnn.scores.end());
}

FusedModel FusedModel::train(std::shared_ptr<const CnnModel> cnn, const std::string &cnn_sidecar,
                             const FusedInputs &inputs, const cv::Mat &x, const std::vector<int> &y,
                             const std::vector<std::string> &label_names,
                             const FusedParams &params) {
  if (!cnn) throw std::invalid_argument("FusedModel::train: no CNN");
  const int len = input_length(inputs, *cnn);
  if (len == 0 || x.empty() || x.cols != len || x.type() != CV_32F ||
      static_cast<size_t>(x.rows) != y.size() || label_names.size() < 2)
    throw std::invalid_argument("FusedModel::train: x must be N x " + std::to_string(len) +
                                " CV_32F with N labels and at least 2 classes");
  const int nc = static_cast<int>(label_names.size());
  for (int l : y)
    if (l < 0 || l >= nc) throw std::invalid_argument("FusedModel::train: label out of range");

  FusedModel m;
  m.cnn_ = std::move(cnn);
  m.cnn_sidecar_ = cnn_sidecar;
  m.inputs_ = inputs;
  m.algorithm_ = params.algorithm;
  m.labels_ = label_names;
  std::vector<int> counts(static_cast<size_t>(nc), 0);
  for (int l : y) ++counts[static_cast<size_t>(l)];
  cv::theRNG().state = static_cast<uint64>(params.forest.seed);

  if (params.algorithm == "rtrees") {
    m.mean_ = cv::Mat::zeros(1, len, CV_32F);
    m.scale_ = cv::Mat::ones(1, len, CV_32F);
    cv::Ptr<cv::ml::RTrees> forest = cv::ml::RTrees::create();
    forest->setMaxDepth(params.forest.max_depth);
    forest->setMinSampleCount(params.forest.min_sample_count);
    forest->setActiveVarCount(params.forest.active_vars);
    forest->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, params.forest.trees, 0.0));
    if (params.forest.balance_classes) {
      std::vector<double> priors;
      double sum = 0;
      for (int c : counts)
        if (c > 0) priors.push_back(1.0 / c), sum += 1.0 / c;
      for (double &p : priors) p /= sum;
      forest->setPriors(cv::Mat(priors, true).reshape(1, 1));
    }
    cv::Mat responses(static_cast<int>(y.size()), 1, CV_32S, const_cast<int *>(y.data()));
    cv::Mat var_type(len + 1, 1, CV_8U, cv::Scalar(cv::ml::VAR_ORDERED));
    var_type.at<uchar>(len) = cv::ml::VAR_CATEGORICAL;
    const auto data =
        cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, responses.clone(), cv::noArray(),
                                  cv::noArray(), cv::noArray(), var_type);
    if (!forest->train(data)) throw std::runtime_error("FusedModel::train: the forest failed");
    m.model_ = forest;
  } else if (params.algorithm == "mlp") {
    cv::Mat mean, sd;
    cv::reduce(x, mean, 0, cv::REDUCE_AVG);
    cv::Mat centred = x - cv::repeat(mean, x.rows, 1);
    cv::reduce(centred.mul(centred), sd, 0, cv::REDUCE_AVG);
    cv::sqrt(sd, sd);
    m.mean_ = mean;
    m.scale_ = cv::Mat(1, len, CV_32F);
    for (int j = 0; j < len; ++j) m.scale_.at<float>(j) = 1.f / std::max(sd.at<float>(j), 1e-6f);
    cv::Mat xs = centred.mul(cv::repeat(m.scale_, x.rows, 1));
    cv::Mat targets(x.rows, nc, CV_32F, cv::Scalar(-1.f));
    cv::Mat weights(x.rows, 1, CV_32F);
    for (int i = 0; i < x.rows; ++i) {
      targets.at<float>(i, y[i]) = 1.f;
      weights.at<float>(i) =
          params.forest.balance_classes ? static_cast<float>(x.rows) / (nc * counts[y[i]]) : 1.f;
    }
    cv::Ptr<cv::ml::ANN_MLP> mlp = cv::ml::ANN_MLP::create();
    std::vector<int> layers{len};
    if (params.hidden > 0) layers.push_back(params.hidden);
    layers.push_back(nc);
    mlp->setLayerSizes(layers);
    mlp->setActivationFunction(cv::ml::ANN_MLP::SIGMOID_SYM, 1.0, 1.0);
    mlp->setTrainMethod(cv::ml::ANN_MLP::RPROP);
    mlp->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER | cv::TermCriteria::EPS,
                                          params.iterations, 1e-5));
    const auto data = cv::ml::TrainData::create(xs, cv::ml::ROW_SAMPLE, targets, cv::noArray(),
                                                cv::noArray(), weights);
    if (!mlp->train(data)) throw std::runtime_error("FusedModel::train: the MLP failed");
    m.model_ = mlp;
  } else {
    throw std::invalid_argument("FusedModel::train: unknown algorithm '" + params.algorithm +
                                "' (rtrees, mlp)");
  }
  return m;
}

Prediction FusedModel::predict(const std::vector<float> &input) const {
  const int len = mean_.cols;
  if (static_cast<int>(input.size()) != len)
    throw ModelMismatch("fused model input has " + std::to_string(input.size()) +
                        " values, the model expects " + std::to_string(len));
  cv::Mat sample(1, len, CV_32F);
  for (int j = 0; j < len; ++j)
    sample.at<float>(j) = (input[j] - mean_.at<float>(j)) * scale_.at<float>(j);
  const size_t nc = labels_.size();
  std::vector<float> scores(nc, 0.f);
  if (algorithm_ == "rtrees") {
    cv::Mat votes;
    model_.dynamicCast<cv::ml::RTrees>()->getVotes(sample, votes, 0);
    double total = 0;
    for (int j = 0; j < votes.cols; ++j) total += votes.at<int>(1, j);
    for (int j = 0; j < votes.cols && total > 0; ++j) {
      const int cls = votes.at<int>(0, j);
      if (cls >= 0 && static_cast<size_t>(cls) < nc)
        scores[static_cast<size_t>(cls)] += static_cast<float>(votes.at<int>(1, j) / total);
    }
  } else {
    cv::Mat out;
    model_->predict(sample, out);
    // Softmax over the (symmetric sigmoid, [-1.7, 1.7]) outputs, sharpened by 3.
    double sum = 0;
    for (size_t c = 0; c < nc; ++c) sum += scores[c] = std::exp(3.0f * out.at<float>(int(c)));
    for (float &s : scores) s = static_cast<float>(s / sum);
  }
  return prediction_from_scores(std::move(scores), labels_);
}

void FusedModel::save(const std::string &path) const {
  try {
    cv::FileStorage fs(path, cv::FileStorage::WRITE);
    if (!fs.isOpened()) throw ModelError(path, "", "cannot open the file for writing");
    fs << "format" << kFormat << "version" << 1 << "cnn" << cnn_sidecar_;
    fs << "inputs" << inputs_.str() << "feature_version" << kFeatureVersion;
    fs << "landmark_count" << kFeatureLandmarks << "input_length" << mean_.cols;
    fs << "algorithm" << algorithm_ << "labels" << labels_;
    fs << "mean" << mean_ << "scale" << scale_;
    fs << "model"
       << "{";
    model_->write(fs);
    fs << "}";
  } catch (const cv::Exception &e) {
    throw ModelError(path, "", "cannot write the model (" + e.msg + ")");
  }
}

std::shared_ptr<const FusedModel> FusedModel::load(const std::string &path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ModelError(path, "", "no such file");
  auto m = std::make_shared<FusedModel>();
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ);
    if (!fs.isOpened()) throw ModelError(path, "", "not a readable OpenCV FileStorage file");
    if ((std::string)fs["format"] != kFormat)
      throw ModelError(path, "", std::string("not a gst-emo fused model (format ") + kFormat + ")");
    if ((int)fs["feature_version"] != kFeatureVersion ||
        (int)fs["landmark_count"] != kFeatureLandmarks)
      throw ModelMismatch("fused model '" + path +
                          "' was trained on another feature version "
                          "or landmark count (retrain it with this version of gst-emo)");
    m->cnn_sidecar_ = (std::string)fs["cnn"];
    if (m->cnn_sidecar_.empty()) throw ModelError(path, "", "the model names no CNN sidecar");
    std::filesystem::path cnn(m->cnn_sidecar_);
    if (cnn.is_relative()) cnn = std::filesystem::path(path).parent_path() / cnn;
    m->cnn_ = CnnModel::load(cnn.lexically_normal().string());
    try {
      m->inputs_ = FusedInputs::parse((std::string)fs["inputs"]);
    } catch (const std::invalid_argument &e) {
      throw ModelError(path, "", e.what());
    }
    m->algorithm_ = (std::string)fs["algorithm"];
    fs["labels"] >> m->labels_;
    fs["mean"] >> m->mean_;
    fs["scale"] >> m->scale_;
    const int len = input_length(m->inputs_, *m->cnn_);
    if ((int)fs["input_length"] != len || m->mean_.cols != len || m->scale_.cols != len ||
        m->mean_.type() != CV_32F || m->scale_.type() != CV_32F)
      throw ModelError(path, "",
                       "input length does not match its CNN (" + std::to_string(len) + " values)");
    if (m->labels_.size() < 2) throw ModelError(path, "", "the model has no labels");
    const cv::FileNode node = fs["model"];
    if (!node.isMap()) throw ModelError(path, "", "the file holds no model");
    if (m->algorithm_ == "rtrees") {
      auto f = cv::ml::RTrees::create();
      f->read(node);
      if (!f->isTrained() || f->getVarCount() != len)
        throw ModelError(path, "", "the forest is empty or has the wrong input count");
      m->model_ = f;
    } else if (m->algorithm_ == "mlp") {
      auto a = cv::ml::ANN_MLP::create();
      a->read(node);
      const cv::Mat layers = a->getLayerSizes();
      if (!a->isTrained() || layers.total() < 2 || layers.at<int>(0) != len ||
          layers.at<int>(static_cast<int>(layers.total()) - 1) !=
              static_cast<int>(m->labels_.size()))
        throw ModelError(path, "", "the MLP is empty or has the wrong shape");
      m->model_ = a;
    } else {
      throw ModelError(path, "", "unknown algorithm '" + m->algorithm_ + "'");
    }
  } catch (const cv::Exception &e) {
    throw ModelError(path, "", "malformed model file (" + e.msg + ")");
  }
  return m;
}

}  // namespace emo
