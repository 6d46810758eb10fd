// SPDX-License-Identifier: LGPL-2.1-or-later
// Crafted model files, generated here: an emotion forest whose split reads variable 146 (the
// response column; it crashed OpenCV at load), broken trees and counts; a dlib shape_predictor
// whose tree count is inflated (dlib's reader allocated it before failing). Each is a
// ModelError naming the file, with bounded memory.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/tiny_models.hpp"
#include "emo/classify/classifier.hpp"
#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "test_data.hpp"

namespace {

std::string gunzip(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_TRUE(f) << path;
  std::string out;
  char buf[1 << 16];
  for (int n; f && (n = gzread(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  if (f) gzclose(f);
  return out;
}

void write(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/* Loads `path`, expects a ModelError naming it and containing `part`. */
void expect_model_error(const std::string &path, const std::string &part) {
  try {
    emo::EmotionClassifier::load(path);
    ADD_FAILURE() << path << ": loaded";
  } catch (const emo::ModelError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(part), std::string::npos) << "expected \"" << part << "\" in: " << what;
  }
}

std::string replace_first(std::string text, const std::string &from, const std::string &to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(HostileModel, DefaultForestWithASplitOnVariable146IsRefused) {
  const std::string yaml = gunzip(std::string(EMO_TEST_MODEL_DIR) + "/emotion.yml.gz");
  ASSERT_NE(yaml.find("{ var:93,"), std::string::npos);
  const auto dir = emo::test::temp_dir("hostile-forest");
  const std::string path = (dir / "var146.yml").string();
  write(path, replace_first(yaml, "{ var:93,", "{ var:146,"));
  expect_model_error(path, "splits on variable 146, outside [0, 146)");
  std::filesystem::remove_all(dir);
}

TEST(HostileModel, BrokenTreesAndCountsAreRefusedNamingTheFault) {
  cv::Mat features(40, emo::kFeatureLength, CV_32F);
  cv::randu(features, -1.0, 1.0);
  std::vector<int> labels;
  for (int i = 0; i < 40; ++i) labels.push_back(i % 2 ? (features.at<float>(i, 0) > 0) : 0);
  emo::TrainParams p;
  p.trees = 3;
  p.min_sample_count = 2;
  const auto clf = emo::EmotionClassifier::train(features, labels, {"a", "b"}, p);
  const auto dir = emo::test::temp_dir("hostile-forest-small");
  const std::string good = (dir / "good.yml").string();
  clf.save(good);
  EXPECT_NO_THROW(emo::EmotionClassifier::load(good));
  std::stringstream text;
  text << std::ifstream(good).rdbuf();
  const std::string yaml = text.str();
  const std::string path = (dir / "bad.yml").string();
  const auto check = [&](const std::string &from, const std::string &to, const std::string &part) {
    SCOPED_TRACE(from + " -> " + to);
    write(path, replace_first(yaml, from, to));
    expect_model_error(path, part);
  };
  check("{ var:", "{ var:-1, x:", "splits on variable -1");
  check("ntrees: 3", "ntrees: 4", "ntrees is 4 but 3 trees follow");
  check("norm_class_idx: 0", "norm_class_idx: 7", "norm_class_idx 7 is not one of the");
  check("var_count: 146", "var_count: 147", "var_count is 147");
  check("class_labels: [ 0, 1 ]", "class_labels: [ 0, 9 ]", "class 9 has no label");
  // NUL bytes in the YAML made OpenCV's parser throw std::length_error (found by fuzzing):
  // refused before OpenCV reads the file.
  check("var_type: [ 0, 0,", std::string("var_type: [ 0,") + std::string(8, '\0') + " 0,",
        "OpenCV models are 7-bit text");
  // A split node whose second child is gone: the next tree's root would be taken for it.
  const size_t second_tree = yaml.find("nodes:", yaml.find("nodes:") + 1);
  ASSERT_NE(second_tree, std::string::npos);
  const size_t last_node = yaml.rfind("-\n", yaml.rfind("depth:", second_tree));
  const size_t tree1_dash_end = yaml.rfind('\n', second_tree);  // end of the "-" line of tree 1
  const size_t tree1_dash = yaml.rfind('\n', tree1_dash_end - 1);
  const size_t node_start = yaml.rfind('\n', last_node);
  std::string cut = yaml;
  cut.erase(node_start, tree1_dash - node_start);  // tree 0 loses its last node (a leaf)
  write(path, cut);
  expect_model_error(path, "tree 0 ends with a split node lacking a child");
  std::filesystem::remove_all(dir);
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(HostileModel, InflatedDlibTreeCountFailsAtOnceWithBoundedMemory) {
  const std::string good = emo::test::tiny_shape_predictor();
  // The tree count of the first level follows version, initial shape and level count.
  std::ostringstream prefix;
  dlib::serialize(1, prefix);
  dlib::matrix<float, 0, 1> initial(136);
  for (long i = 0; i < initial.size(); ++i) initial(i) = 0.01f * static_cast<float>(i % 50);
  dlib::serialize(initial, prefix);
  dlib::serialize(static_cast<unsigned long>(2), prefix);
  const size_t at = prefix.str().size();
  std::ostringstream three;
  dlib::serialize(static_cast<unsigned long>(3), three);
  ASSERT_EQ(good.substr(at, three.str().size()), three.str()) << "layout assumption broken";

  const auto dir = emo::test::temp_dir("hostile-dlib");
  const std::string ok_path = (dir / "tiny.dat").string();
  write(ok_path, good);
  EXPECT_EQ(emo::Landmarker(ok_path).num_points(), 68);

  for (const unsigned long count : {20000000ul, 1ul << 40}) {
    std::ostringstream inflated;
    dlib::serialize(count, inflated);
    std::string bytes = good;
    bytes.replace(at, three.str().size(), inflated.str());
    const std::string path = (dir / ("count-" + std::to_string(count) + ".dat")).string();
    write(path, bytes);
    const long before = max_rss_kb();
    try {
      emo::Landmarker landmarker(path);
      ADD_FAILURE() << "loaded";
    } catch (const emo::ModelError &e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find("regression trees: " + std::to_string(count) + " declared"),
                std::string::npos)
          << what;
    }
    // 20 million empty dlib trees are ~1 GB; the check comes before any allocation.
    EXPECT_LT(max_rss_kb() - before, 100 * 1024) << "count " << count;
  }
  // Truncated anywhere: an error, never a crash.
  for (size_t len : {size_t(0), size_t(1), at, at + 1, good.size() / 2, good.size() - 1}) {
    const std::string path = (dir / "cut.dat").string();
    write(path, good.substr(0, len));
    EXPECT_THROW(emo::Landmarker landmarker(path), emo::ModelError) << len;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
