// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::EmotionClassifier: training, prediction, save and load.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "emo/classify/classifier.hpp"
#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"
#include "test_data.hpp"

namespace {

// Class c has features [30 c, 30 c + 30) near 1 and every other feature near 0: separable, and
// visible to most trees although each split only tries sqrt(146) = 12 features.
constexpr int kBlock = 30;

void add_to_block(std::vector<float> &f, int cls, float amount) {
  for (int k = 0; k < kBlock; ++k) f[static_cast<size_t>(kBlock * cls + k)] += amount;
}

std::vector<float> sample_of(int cls, cv::RNG &rng) {
  std::vector<float> f(emo::kFeatureLength);
  for (float &v : f) v = static_cast<float>(rng.gaussian(0.1));
  add_to_block(f, cls, 1.f);
  return f;
}

struct DataSet {
  cv::Mat features;
  std::vector<int> labels;
};

DataSet make_data(const std::vector<int> &classes, int per_class, uint64 seed) {
  cv::RNG rng(seed);
  DataSet d;
  for (int i = 0; i < per_class; ++i)
    for (int c : classes) {
      d.features.push_back(cv::Mat(sample_of(c, rng)).reshape(1, 1));
      d.labels.push_back(c);
    }
  return d;
}

const std::vector<std::string> kNames = {"anger", "happiness", "neutral"};

emo::TrainParams small_forest() {
  emo::TrainParams p;
  p.trees = 40;
  return p;
}

void expect_valid(const emo::Prediction &p, size_t classes) {
  ASSERT_EQ(p.scores.size(), classes);
  EXPECT_NEAR(std::accumulate(p.scores.begin(), p.scores.end(), 0.0), 1.0, 1e-5);
  ASSERT_GE(p.class_id, 0);
  ASSERT_LT(static_cast<size_t>(p.class_id), classes);
  EXPECT_EQ(p.confidence, p.scores[static_cast<size_t>(p.class_id)]);
  for (float s : p.scores) EXPECT_LE(s, p.confidence);
}

TEST(EmotionClassifier, LearnsASeparableProblem) {
  const DataSet d = make_data({0, 1, 2}, 20, 1);
  ASSERT_EQ(d.features.rows, 60);
  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  EXPECT_FALSE(clf.empty());
  EXPECT_EQ(clf.labels(), kNames);
  EXPECT_EQ(clf.feature_version(), emo::kFeatureVersion);
  EXPECT_EQ(clf.landmark_count(), emo::kFeatureLandmarks);
  cv::RNG rng(99);  // fresh samples, not the training ones
  for (int i = 0; i < 30; ++i) {
    const int c = i % 3;
    const emo::Prediction p = clf.predict(sample_of(c, rng));
    expect_valid(p, 3);
    EXPECT_EQ(p.class_id, c);
    EXPECT_EQ(p.label, kNames[static_cast<size_t>(c)]);
    EXPECT_GT(p.confidence, 0.5f);
  }
}

TEST(EmotionClassifier, MapsVotesToLabelIdsWhenAClassIsAbsent) {
  // Four labels, but no training sample of class 1: vote columns are classes 0, 2, 3.
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  const DataSet d = make_data({0, 2, 3}, 15, 2);
  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, names, small_forest());
  cv::RNG rng(5);
  for (int c : {0, 2, 3}) {
    const emo::Prediction p = clf.predict(sample_of(c, rng));
    expect_valid(p, 4);
    EXPECT_EQ(p.class_id, c);
    EXPECT_EQ(p.label, names[static_cast<size_t>(c)]);
    EXPECT_EQ(p.scores[1], 0.f);
  }
}

TEST(EmotionClassifier, TrainingIsReproducible) {
  const DataSet d = make_data({0, 1, 2}, 10, 3);
  const auto a = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  const auto b = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  cv::RNG rng(11);
  for (int i = 0; i < 10; ++i) {
    const auto f = sample_of(i % 3, rng);
    EXPECT_EQ(a.predict(f).scores, b.predict(f).scores);
  }
}

TEST(EmotionClassifier, SaveAndLoadGiveIdenticalPredictions) {
  const DataSet d = make_data({0, 1, 2}, 20, 4);
  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  const auto dir = emo::test::temp_dir("classifier-save");
  const std::string path = (dir / "model.yml.gz").string();
  clf.save(path);
  ASSERT_TRUE(std::filesystem::exists(path));
  std::ifstream raw(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  raw.read(reinterpret_cast<char *>(magic), 2);
  EXPECT_EQ(magic[0], 0x1f);  // gzip
  EXPECT_EQ(magic[1], 0x8b);

  const auto loaded = emo::EmotionClassifier::load(path);
  EXPECT_EQ(loaded.labels(), kNames);
  EXPECT_EQ(loaded.feature_version(), emo::kFeatureVersion);
  EXPECT_EQ(loaded.landmark_count(), emo::kFeatureLandmarks);
  cv::RNG rng(12);
  for (int i = 0; i < 30; ++i) {
    // Include ambiguous samples so that the score vectors are not all one-hot.
    auto f = sample_of(i % 3, rng);
    if (i % 2) add_to_block(f, (i + 1) % 3, 0.8f);
    const emo::Prediction a = clf.predict(f), b = loaded.predict(f);
    EXPECT_EQ(a.class_id, b.class_id);
    EXPECT_EQ(a.label, b.label);
    EXPECT_EQ(a.scores, b.scores);
  }
  std::filesystem::remove_all(dir);
}

// Writes a model header (no forest) with cv::FileStorage.
void write_header(const std::string &path, int version, int landmarks, int length) {
  cv::FileStorage fs(path, cv::FileStorage::WRITE);
  fs << "format"
     << "gst-emo-emotion-model";
  fs << "feature_version" << version << "landmark_count" << landmarks;
  fs << "landmark_layout"
     << "ibug-68"
     << "feature_length" << length;
  fs << "labels"
     << "["
     << "a"
     << "b"
     << "]";
}

TEST(EmotionClassifier, VersionOrLandmarkMismatchIsRejected) {
  const auto dir = emo::test::temp_dir("classifier-mismatch");
  const std::string header_ok = (dir / "ok.yml").string();
  write_header(header_ok, emo::kFeatureVersion, emo::kFeatureLandmarks, emo::kFeatureLength);
  EXPECT_THROW(emo::EmotionClassifier::load(header_ok), emo::ModelError);  // no forest
  const std::string bad_version = (dir / "version.yml").string();
  write_header(bad_version, emo::kFeatureVersion + 1, emo::kFeatureLandmarks, emo::kFeatureLength);
  EXPECT_THROW(emo::EmotionClassifier::load(bad_version), emo::ModelMismatch);
  const std::string bad_count = (dir / "count.yml").string();
  write_header(bad_count, emo::kFeatureVersion, 5, emo::kFeatureLength);
  try {
    emo::EmotionClassifier::load(bad_count);
    FAIL() << "no exception";
  } catch (const emo::ModelMismatch &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("landmark count is 5"), std::string::npos) << what;
    EXPECT_NE(what.find("expected 68"), std::string::npos) << what;
  }

  // A real, complete model whose feature version is edited.
  const DataSet d = make_data({0, 1}, 10, 6);
  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, {"a", "b"}, small_forest());
  const std::string real = (dir / "real.yml").string();
  clf.save(real);
  EXPECT_NO_THROW(emo::EmotionClassifier::load(real));
  std::stringstream text;
  text << std::ifstream(real).rdbuf();
  std::string yaml = text.str();
  const std::string key = "feature_version: " + std::to_string(emo::kFeatureVersion);
  const size_t at = yaml.find(key);
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, key.size(), "feature_version: 999");
  std::ofstream(real) << yaml;
  EXPECT_THROW(emo::EmotionClassifier::load(real), emo::ModelMismatch);
  std::filesystem::remove_all(dir);
}

TEST(EmotionClassifier, LabelsMustCoverTheForestsClasses) {
  const DataSet d = make_data({0, 1, 2}, 10, 7);
  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  const auto dir = emo::test::temp_dir("classifier-labels");
  const std::string path = (dir / "model.yml").string();
  clf.save(path);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string yaml = text.str();
  const size_t at = yaml.find("neutral");  // drop the third label
  ASSERT_NE(at, std::string::npos);
  const size_t line = yaml.rfind('\n', at);
  yaml.erase(line, yaml.find('\n', at) - line);
  std::ofstream(path) << yaml;
  try {
    emo::EmotionClassifier::load(path);
    FAIL() << "no exception";
  } catch (const emo::ModelError &e) {
    EXPECT_NE(std::string(e.what()).find("no label"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(EmotionClassifier, MissingOrForeignFileIsAModelError) {
  try {
    emo::EmotionClassifier::load("/nonexistent/emotion.yml.gz");
    FAIL() << "no exception";
  } catch (const emo::ModelError &e) {
    EXPECT_EQ(e.path(), "/nonexistent/emotion.yml.gz");
    EXPECT_NE(std::string(e.what()).find("/nonexistent/emotion.yml.gz"), std::string::npos);
  }
  const auto dir = emo::test::temp_dir("classifier-foreign");
  const std::string other = (dir / "other.yml").string();
  {
    cv::FileStorage fs(other, cv::FileStorage::WRITE);
    fs << "format"
       << "something-else";
  }
  EXPECT_THROW(emo::EmotionClassifier::load(other), emo::ModelError);
  const std::string garbage = (dir / "garbage.yml").string();
  std::ofstream(garbage) << "\x01\x02 not yaml {{{";
  EXPECT_THROW(emo::EmotionClassifier::load(garbage), emo::ModelError);
  std::filesystem::remove_all(dir);
}

TEST(EmotionClassifier, RejectsBadInput) {
  const DataSet d = make_data({0, 1, 2}, 5, 8);
  EXPECT_THROW(emo::EmotionClassifier::train(d.features.colRange(0, 10), d.labels, kNames),
               std::invalid_argument);
  EXPECT_THROW(emo::EmotionClassifier::train(d.features, {0, 1}, kNames), std::invalid_argument);
  auto bad_labels = d.labels;
  bad_labels[0] = 3;
  EXPECT_THROW(emo::EmotionClassifier::train(d.features, bad_labels, kNames),
               std::invalid_argument);

  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  EXPECT_THROW(clf.predict(std::vector<float>(10)), emo::ModelMismatch);
  EXPECT_THROW(emo::EmotionClassifier{}.predict(std::vector<float>(emo::kFeatureLength)),
               std::logic_error);
}

TEST(EmotionClassifier, PredictIsThreadSafe) {
  const DataSet d = make_data({0, 1, 2}, 20, 9);
  const auto clf = emo::EmotionClassifier::train(d.features, d.labels, kNames, small_forest());
  cv::RNG rng(13);
  std::vector<std::vector<float>> samples;
  for (int i = 0; i < 200; ++i) samples.push_back(sample_of(i % 3, rng));
  std::vector<emo::Prediction> expected;
  for (const auto &s : samples) expected.push_back(clf.predict(s));
  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (size_t i = 0; i < samples.size(); ++i)
          mismatches[static_cast<size_t>(t)] +=
              clf.predict(samples[i]).scores != expected[i].scores;
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(mismatches[0] + mismatches[1], 0);
}

}  // namespace
