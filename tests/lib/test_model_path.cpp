// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::find_model(): GST_EMO_MODEL_DIR overrides; a build-tree binary (this test) finds the
// source tree's models, the committed ones and those tools/fetch-models.sh fetched, with no
// environment variable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <glib.h>

#include "emo/core/model_path.hpp"

namespace {

// Sets or unsets GST_EMO_MODEL_DIR for one test, restoring it afterwards.
class ModelDirEnv {
 public:
  explicit ModelDirEnv(const char *value) {
    const char *old = std::getenv("GST_EMO_MODEL_DIR");
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
      g_setenv("GST_EMO_MODEL_DIR", value, TRUE);
    else
      g_unsetenv("GST_EMO_MODEL_DIR");
  }
  ~ModelDirEnv() {
    if (had_)
      g_setenv("GST_EMO_MODEL_DIR", old_.c_str(), TRUE);
    else
      g_unsetenv("GST_EMO_MODEL_DIR");
  }

 private:
  bool had_ = false;
  std::string old_;
};

const std::string kSourceModels = EMO_TEST_MODEL_DIR;

}  // namespace

TEST(ModelPath, BuildTreeFindsTheSourceTreesModelsWithoutEnvironment) {
  ModelDirEnv env(nullptr);
  for (const char *name :
       {"emotion.yml.gz", "happy-sad.yml.gz",
        "blazeface/face_detection_front_128x128_barracuda.onnx",
        "blazeface/face_detection_back_256x256_barracuda.onnx",
        "blazeface/face_detection_front_128_rect.onnx",
        "blazeface/face_detection_back_256_rect.onnx", "human/emotion.json", "human/emotion.bin"}) {
    SCOPED_TRACE(name);
    const emo::ModelLocation where = emo::find_model(name);
    EXPECT_EQ(where.path, kSourceModels + "/" + name);
    EXPECT_EQ(where.source, emo::ModelSource::kBuildTree);
    EXPECT_TRUE(g_file_test(where.path.c_str(), G_FILE_TEST_IS_REGULAR))
        << "missing: run tools/fetch-models.sh";
    EXPECT_TRUE(emo::is_project_model_path(where.path));
  }
  // A model that exists nowhere: the build tree's path, so that the error names it.
  EXPECT_EQ(emo::default_model_path("nope.onnx"), kSourceModels + "/nope.onnx");
  EXPECT_NE(emo::model_source_hint(kSourceModels + "/blazeface/x.onnx").find("fetch-models.sh"),
            std::string::npos);
  EXPECT_FALSE(emo::is_project_model_path("/home/someone/my-model.yml.gz"));
}

TEST(ModelPath, EnvironmentOverridesEverything) {
  ModelDirEnv env("/tmp/elsewhere");
  const emo::ModelLocation where = emo::find_model("emotion.yml.gz");
  EXPECT_EQ(where.path, "/tmp/elsewhere/emotion.yml.gz");  // even though it does not exist
  EXPECT_EQ(where.source, emo::ModelSource::kEnvironment);
  EXPECT_NE(emo::model_source_hint(where.path).find("GST_EMO_MODEL_DIR"), std::string::npos);
}
