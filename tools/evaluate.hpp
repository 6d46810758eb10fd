// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: identity-grouped k-fold cross-validation and classification metrics.
#pragma once

#include <string>
#include <vector>

namespace emo_tools {

/// Assigns every sample to one of `k` folds so that all samples of an identity share a fold.
/// Identities are shuffled (seeded), then placed largest first into the fold holding the
/// fewest samples so far, which keeps folds of similar size. Returns one fold id per sample.
std::vector<int> grouped_folds(const std::vector<std::string> &groups, int k, unsigned seed);

/// Confusion matrix: rows are true classes, columns predicted classes.
class Confusion {
 public:
  explicit Confusion(int classes) : n_(classes), m_(classes * classes, 0) {}
  void add(int truth, int predicted) { ++m_[truth * n_ + predicted]; }
  int at(int truth, int predicted) const { return m_[truth * n_ + predicted]; }
  int classes() const { return n_; }
  int total() const;
  double accuracy() const;
  double recall(int c) const;        ///< of class c; NaN when it has no samples
  double precision(int c) const;     ///< of class c; NaN when it was never predicted
  double balanced_accuracy() const;  ///< mean recall over the classes that have samples

  /// Prints accuracy, balanced accuracy, per-class precision/recall/support and the matrix.
  void print(const std::vector<std::string> &labels) const;

 private:
  int n_;
  std::vector<int> m_;
};

}  // namespace emo_tools
