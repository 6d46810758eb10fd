// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the emotion model loader (EmotionClassifier::load: the header checks,
// lib/src/classify/forest_check.cpp, then OpenCV's RTrees reader and a prediction) on any file. The
// bytes go to a temporary .yml file, as a user's model would. Invariants: a ModelError or
// ModelMismatch, or a model that predicts; never a crash or another exception.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "emo/classify/classifier.hpp"
#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"

namespace {
const std::string &model_path() {
  static const std::string path = [] {
    const char *dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/emo-fuzz-forest-" +
           std::to_string(::getpid()) + ".yml";
  }();
  return path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string &path = model_path();
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const emo::EmotionClassifier model = emo::EmotionClassifier::load(path);
    const std::vector<float> zeros(emo::kFeatureLength, 0.f), ones(emo::kFeatureLength, 1.f);
    model.predict(zeros);
    model.predict(ones);
  } catch (const emo::ModelError &) {
  } catch (const emo::ModelMismatch &) {
  }
  std::remove(path.c_str());
  return 0;
}
