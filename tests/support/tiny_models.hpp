// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: small model files made in memory, shared by the unit tests and the fuzz seeds.
#pragma once

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include <sstream>
#include <string>
#include <vector>

namespace emo::test {

/// A small but complete dlib shape_predictor file (dlib's serialization): 68 points, 2 cascade
/// levels of 3 trees of depth 1 (one split, two leaves), 2 feature pixels per level.
inline std::string tiny_shape_predictor() {
  dlib::matrix<float, 0, 1> initial(136);
  for (long i = 0; i < initial.size(); ++i) initial(i) = 0.01f * static_cast<float>(i % 50);
  std::vector<std::vector<dlib::impl::regression_tree>> forests(2);
  std::vector<std::vector<dlib::vector<float, 2>>> pixels(2);
  for (auto &level : forests)
    for (int t = 0; t < 3; ++t) {
      dlib::impl::regression_tree tree;
      tree.splits.push_back({0, 1, 0.5f});
      dlib::matrix<float, 0, 1> leaf(136);
      leaf = 0.001f * static_cast<float>(t);
      tree.leaf_values = {leaf, leaf};
      level.push_back(tree);
    }
  for (auto &p : pixels) p = {{0.1f, 0.2f}, {-0.1f, 0.3f}};
  std::ostringstream out;
  dlib::serialize(dlib::shape_predictor(initial, forests, pixels), out);
  return out.str();
}

}  // namespace emo::test
