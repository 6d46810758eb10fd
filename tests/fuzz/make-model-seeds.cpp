// SPDX-License-Identifier: LGPL-2.1-or-later
// Writes the model seed corpora of the fuzz targets (tests/fuzz/corpus/{forest_model,
// dlib_model}): a small emotion forest (3 trees, 146 features, YAML) and a small dlib
// shape_predictor (68 points, 2 levels of 3 trees), each also in the crafted forms of issue 13
// (a split on variable 146, a tree missing a child, wrong counts; an inflated tree count, a
// truncated file). Not part of the build; run once from the repository root:
//   g++ -std=c++17 -O1 tests/fuzz/make-model-seeds.cpp -Ilib/include build/lib/libemo.a \
//     $(pkg-config --cflags --libs opencv4 dlib-1) -o /tmp/make-model-seeds &&
//     /tmp/make-model-seeds
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <opencv2/core.hpp>

#include "../support/tiny_models.hpp"
#include "emo/classify/classifier.hpp"
#include "emo/classify/features.hpp"

namespace {

const std::string kDir = "tests/fuzz/corpus/";

void put(const std::string &target, const std::string &name, const std::string &bytes) {
  std::filesystem::create_directories(kDir + target);
  std::ofstream(kDir + target + "/" + name, std::ios::binary) << bytes;
}

std::string replace_first(std::string text, const std::string &from, const std::string &to) {
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

void forest_seeds() {
  cv::Mat features(30, emo::kFeatureLength, CV_32F);
  cv::randu(features, -1.0, 1.0);
  std::vector<int> labels;
  for (int i = 0; i < 30; ++i) labels.push_back(features.at<float>(i, 3) > 0 ? 1 : 0);
  emo::TrainParams p;
  p.trees = 3;
  p.max_depth = 3;
  p.min_sample_count = 4;
  const auto clf = emo::EmotionClassifier::train(features, labels, {"happy", "sad"}, p);
  const std::string tmp = "/tmp/emo-seed-forest.yml";
  clf.save(tmp);
  std::stringstream text;
  text << std::ifstream(tmp).rdbuf();
  const std::string yaml = text.str();
  const std::string t = "forest_model";
  put(t, "small.yml", yaml);
  put(t, "var146.yml", replace_first(yaml, "{ var:", "{ var:146, x:"));
  put(t, "var-negative.yml", replace_first(yaml, "{ var:", "{ var:-5, x:"));
  put(t, "ntrees.yml", replace_first(yaml, "ntrees: 3", "ntrees: 30000"));
  put(t, "class-idx.yml", replace_first(yaml, "norm_class_idx: 0", "norm_class_idx: 99"));
  put(t, "var-count.yml", replace_first(yaml, "var_count: 146", "var_count: 147"));
  put(t, "depth.yml", replace_first(yaml, "depth: 1", "depth: 7"));
  put(t, "header-only.yml", yaml.substr(0, yaml.find("forest:")));
}

void dlib_seeds() {
  const std::string good = emo::test::tiny_shape_predictor();
  const std::string t = "dlib_model";
  put(t, "tiny.dat", good);
  std::ostringstream prefix;
  dlib::serialize(1, prefix);
  dlib::matrix<float, 0, 1> initial(136);
  for (long i = 0; i < initial.size(); ++i) initial(i) = 0.01f * static_cast<float>(i % 50);
  dlib::serialize(initial, prefix);
  dlib::serialize(static_cast<unsigned long>(2), prefix);
  const size_t at = prefix.str().size();
  for (const unsigned long count : {20000000ul, 1ul << 40}) {
    std::ostringstream inflated;
    dlib::serialize(count, inflated);
    std::string bytes = good;
    bytes.replace(at, 2, inflated.str());  // the count 3 takes 2 bytes
    put(t, "tree-count-" + std::to_string(count) + ".dat", bytes);
  }
  put(t, "truncated.dat", good.substr(0, good.size() / 2));
  std::string levels = good;
  levels[at - 1] = 0x7f;  // level count 127 instead of 2
  put(t, "levels.dat", levels);
}

}  // namespace

int main() {
  forest_seeds();
  dlib_seeds();
  return 0;
}
