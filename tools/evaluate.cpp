// SPDX-License-Identifier: LGPL-2.1-or-later
#include "evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>

namespace emo_tools {

std::vector<int> grouped_folds(const std::vector<std::string> &groups, int k, unsigned seed) {
  std::map<std::string, std::vector<int>> members;
  for (size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(static_cast<int>(i));
  std::vector<const std::vector<int> *> order;
  for (const auto &kv : members) order.push_back(&kv.second);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto *a, const auto *b) { return a->size() > b->size(); });
  std::vector<int> fold(groups.size(), 0);
  std::vector<size_t> fill(std::max(1, k), 0);
  for (const auto *m : order) {
    const int f = static_cast<int>(std::min_element(fill.begin(), fill.end()) - fill.begin());
    fill[f] += m->size();
    for (int i : *m) fold[i] = f;
  }
  return fold;
}

int Confusion::total() const { return std::accumulate(m_.begin(), m_.end(), 0); }

double Confusion::accuracy() const {
  int ok = 0;
  for (int c = 0; c < n_; ++c) ok += at(c, c);
  return total() ? double(ok) / total() : NAN;
}

double Confusion::recall(int c) const {
  int row = 0;
  for (int p = 0; p < n_; ++p) row += at(c, p);
  return row ? double(at(c, c)) / row : NAN;
}

double Confusion::precision(int c) const {
  int col = 0;
  for (int t = 0; t < n_; ++t) col += at(t, c);
  return col ? double(at(c, c)) / col : NAN;
}

double Confusion::balanced_accuracy() const {
  double sum = 0;
  int count = 0;
  for (int c = 0; c < n_; ++c) {
    const double r = recall(c);
    if (!std::isnan(r)) sum += r, ++count;
  }
  return count ? sum / count : NAN;
}

void Confusion::print(const std::vector<std::string> &labels) const {
  size_t w = 9;
  for (const auto &l : labels) w = std::max(w, l.size() + 1);
  const int iw = static_cast<int>(w);
  std::printf("accuracy:          %.3f (%d samples)\n", accuracy(), total());
  std::printf("balanced accuracy: %.3f (mean recall; chance = %.3f)\n", balanced_accuracy(),
              n_ ? 1.0 / n_ : 0.0);
  std::printf("%-*s %9s %9s %9s\n", iw, "class", "precision", "recall", "support");
  for (int c = 0; c < n_; ++c) {
    int row = 0;
    for (int p = 0; p < n_; ++p) row += at(c, p);
    std::printf("%-*s %9.3f %9.3f %9d\n", iw, labels[c].c_str(), precision(c), recall(c), row);
  }
  std::printf("confusion matrix (rows: true class, columns: predicted class):\n%-*s", iw, "");
  for (int p = 0; p < n_; ++p) std::printf(" %*s", iw, labels[p].c_str());
  std::printf("\n");
  for (int t = 0; t < n_; ++t) {
    std::printf("%-*s", iw, labels[t].c_str());
    for (int p = 0; p < n_; ++p) std::printf(" %*d", iw, at(t, p));
    std::printf("\n");
  }
}

}  // namespace emo_tools
