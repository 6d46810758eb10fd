// SPDX-License-Identifier: LGPL-2.1-or-later
#include "training_fused.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <thread>

#include <glib.h>

namespace emo_tools {

emo::FusedModel train_fused_on(const Dataset &d, const std::vector<int> &rows,
                               const std::vector<std::string> &labels, const FusedSetup &setup) {
  std::vector<int> idx = rows;
  if (idx.empty()) {
    idx.resize(d.y.size());
    std::iota(idx.begin(), idx.end(), 0);
  }
  cv::Mat x(static_cast<int>(idx.size()), d.x.cols, CV_32F);
  std::vector<int> y(idx.size());
  for (size_t r = 0; r < idx.size(); ++r) {
    d.x.row(idx[r]).copyTo(x.row(static_cast<int>(r)));
    y[r] = d.y[idx[r]];
  }
  return emo::FusedModel::train(setup.cnn, setup.cnn_sidecar, setup.inputs, x, y, labels,
                                setup.params);
}

void cross_validate_fused(const Dataset &d, const std::vector<std::string> &labels, int k,
                          const FusedSetup &setup, unsigned seed, int threads, Confusion &all,
                          Confusion &whole, Confusion &detect) {
  const std::vector<int> fold = grouped_folds(d.groups, k, seed);
  std::mutex mutex;
  int next = 0;
  auto worker = [&]() {
    for (;;) {
      int f;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (next >= k) return;
        f = next++;
      }
      std::vector<int> train, test;
      for (int i = 0; i < d.x.rows; ++i) (fold[i] == f ? test : train).push_back(i);
      if (test.empty() || train.empty()) continue;
      const auto model = train_fused_on(d, train, labels, setup);
      std::vector<int> predicted;
      for (int i : test) {
        const float *row = d.x.ptr<float>(i);
        predicted.push_back(model.predict(std::vector<float>(row, row + d.x.cols)).class_id);
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
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(threads, k); ++t) pool.emplace_back(worker);
  worker();
  for (auto &t : pool) t.join();
}

void evaluate_cnn(const Dataset &d, const cv::Mat &scores,
                  const std::vector<std::string> &cnn_labels,
                  const std::vector<std::string> &labels, Confusion &all, Confusion &whole,
                  Confusion &detect) {
  std::vector<int> to_ours(cnn_labels.size(), -1);
  for (size_t c = 0; c < cnn_labels.size(); ++c) {
    const auto it = std::find(labels.begin(), labels.end(), cnn_labels[c]);
    if (it != labels.end()) to_ours[c] = static_cast<int>(it - labels.begin());
  }
  for (int i = 0; i < scores.rows; ++i) {
    int best = -1;
    float best_score = -1.f;
    for (int c = 0; c < scores.cols; ++c)
      if (to_ours[c] >= 0 && scores.at<float>(i, c) > best_score)
        best = to_ours[c], best_score = scores.at<float>(i, c);
    if (best < 0) continue;
    all.add(d.y[i], best);
    (d.whole[i] ? whole : detect).add(d.y[i], best);
  }
}

}  // namespace emo_tools
