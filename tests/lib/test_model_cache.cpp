// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the process-wide model cache (emo::shared_landmarker, emo::shared_classifier).
#include <gtest/gtest.h>

#include <filesystem>

#include "emo/core/error.hpp"
#include "emo/core/model_cache.hpp"
#include "test_data.hpp"

namespace {

std::string emotion_model() {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return std::string(dir && *dir ? dir : EMO_TEST_MODEL_DIR) + "/emotion.yml.gz";
}

TEST(ModelCache, TwoUsersOfOneLandmarkFileShareOneInstance) {
  const std::string path = emo::Landmarker::kDefaultModel;
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " (libdlib-data) is missing";
  auto a = emo::shared_landmarker(path);
  auto b = emo::shared_landmarker(path);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a.use_count(), 2);
  // The same file through a symbolic link is the same model.
  const auto dir = emo::test::temp_dir("model-cache");
  std::filesystem::create_symlink(path, dir / "link.dat");
  auto c = emo::shared_landmarker((dir / "link.dat").string());
  EXPECT_EQ(a.get(), c.get());
  std::filesystem::remove_all(dir);
}

TEST(ModelCache, AModelIsFreedWithItsLastUser) {
  std::weak_ptr<const emo::EmotionClassifier> weak;
  {
    auto a = emo::shared_classifier(emotion_model());
    auto b = emo::shared_classifier(emotion_model());
    EXPECT_EQ(a.get(), b.get());
    EXPECT_FALSE(a->labels().empty());
    weak = a;
  }
  EXPECT_TRUE(weak.expired());
  auto again = emo::shared_classifier(emotion_model());
  EXPECT_FALSE(again->labels().empty());
}

TEST(ModelCache, DifferentFilesAreDifferentModels) {
  const auto dir = emo::test::temp_dir("model-cache-copy");
  std::filesystem::copy_file(emotion_model(), dir / "copy.yml.gz");
  auto a = emo::shared_classifier(emotion_model());
  auto b = emo::shared_classifier((dir / "copy.yml.gz").string());
  EXPECT_NE(a.get(), b.get());
  std::filesystem::remove_all(dir);
}

TEST(ModelCache, LoadErrorsReachTheCaller) {
  EXPECT_THROW(emo::shared_landmarker("/nonexistent/model.dat"), emo::ModelError);
  EXPECT_THROW(emo::shared_classifier("/nonexistent/emotion.yml.gz"), emo::ModelError);
}

}  // namespace
