// SPDX-License-Identifier: LGPL-2.1-or-later
#include "training_fused.hpp"

#include <algorithm>
#include <numeric>

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
  cross_validate_with(
      d, k, seed, threads,
      [&](const std::vector<int> &train, const std::vector<int> &test) {
        return predict_rows(train_fused_on(d, train, labels, setup), d, test);
      },
      all, whole, detect);
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
