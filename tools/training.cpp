// SPDX-License-Identifier: LGPL-2.1-or-later
#include "training.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <exception>
#include <random>

#include <glib.h>
#include <opencv2/core/utility.hpp>

namespace emo_tools {

emo::EmotionClassifier train_on(const Dataset &d, const std::vector<int> &rows,
                                const std::vector<std::string> &labels, const TrainSetup &setup) {
  std::vector<int> idx = rows;
  if (idx.empty()) {
    idx.resize(d.y.size());
    std::iota(idx.begin(), idx.end(), 0);
  }
  if (setup.oversample) {
    std::vector<std::vector<int>> by_class(labels.size());
    for (int i : idx) by_class[d.y[i]].push_back(i);
    size_t largest = 0;
    for (const auto &c : by_class) largest = std::max(largest, c.size());
    std::mt19937 rng(static_cast<unsigned>(setup.params.seed));
    for (const auto &c : by_class) {
      if (c.empty()) continue;
      std::uniform_int_distribution<size_t> pick(0, c.size() - 1);
      for (size_t n = c.size(); n < largest; ++n) idx.push_back(c[pick(rng)]);
    }
  }
  cv::Mat x(static_cast<int>(idx.size()), d.x.cols, CV_32F);
  std::vector<int> y(idx.size());
  for (size_t r = 0; r < idx.size(); ++r) {
    d.x.row(idx[r]).copyTo(x.row(static_cast<int>(r)));
    y[r] = d.y[idx[r]];
  }
  return emo::EmotionClassifier::train(x, y, labels, setup.params);
}

void cross_validate_with(const Dataset &d, int k, unsigned seed, int threads,
                         const FoldPredictor &predict, Confusion &all, Confusion &whole,
                         Confusion &detect) {
  const std::vector<int> fold = grouped_folds(d.groups, k, seed);
  std::mutex mutex;
  std::exception_ptr error;  // the first fold's exception, rethrown after the loop
  // OpenCV's parallel loop, one fold per stripe, on up to `threads` threads.
  const int previous_threads = cv::getNumThreads();
  cv::setNumThreads(std::max(1, std::min(threads, k)));
  cv::parallel_for_(
      cv::Range(0, k),
      [&](const cv::Range &range) {
        for (int f = range.start; f < range.end; ++f) {
          std::vector<int> train, test;
          for (int i = 0; i < d.x.rows; ++i) (fold[i] == f ? test : train).push_back(i);
          if (test.empty() || train.empty()) continue;
          std::vector<int> predicted;
          try {
            predicted = predict(train, test);
          } catch (...) {
            std::lock_guard<std::mutex> lock(mutex);
            if (!error) error = std::current_exception();
            continue;
          }
          std::lock_guard<std::mutex> lock(mutex);
          for (size_t t = 0; t < test.size(); ++t) {
            const int i = test[t];
            all.add(d.y[i], predicted[t]);
            (d.whole[i] ? whole : detect).add(d.y[i], predicted[t]);
          }
          g_printerr("fold %d/%d: trained on %zu, tested on %zu samples\n", f + 1, k, train.size(),
                     test.size());
        }
      },
      k);
  cv::setNumThreads(previous_threads);
  if (error) std::rethrow_exception(error);
}

void cross_validate(const Dataset &d, const std::vector<std::string> &labels, int k,
                    const TrainSetup &setup, int threads, Confusion &all, Confusion &whole,
                    Confusion &detect) {
  cross_validate_with(
      d, k, static_cast<unsigned>(setup.params.seed), threads,
      [&](const std::vector<int> &train, const std::vector<int> &test) {
        return predict_rows(train_on(d, train, labels, setup), d, test);
      },
      all, whole, detect);
}

}  // namespace emo_tools
