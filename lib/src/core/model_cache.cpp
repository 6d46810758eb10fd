// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: one loaded model per file, shared by every user in the process.
#include "emo/core/model_cache.hpp"

#include "emo/classify/emotion_model.hpp"
#include "file_key.hpp"

#include <map>
#include <mutex>

namespace emo {
namespace {

using Key = detail::FileKey;

template <typename Model, typename Load>
std::shared_ptr<const Model> shared(const std::string &path, Load load) {
  static std::mutex mutex;
  static std::map<Key, std::weak_ptr<const Model>> cache;
  const Key key = detail::file_key(path);
  // Held while loading, so that concurrent first users of one file load it once.
  std::lock_guard<std::mutex> lock(mutex);
  if (std::shared_ptr<const Model> model = cache[key].lock()) return model;
  auto model = std::make_shared<const Model>(load(path));
  cache[key] = model;
  for (auto it = cache.begin(); it != cache.end();)  // forget freed models
    it = it->second.expired() ? cache.erase(it) : std::next(it);
  return model;
}

}  // namespace

std::shared_ptr<const Landmarker> shared_landmarker(const std::string &path) {
  return shared<Landmarker>(path, [](const std::string &p) { return Landmarker(p); });
}

std::shared_ptr<const EmotionClassifier> shared_classifier(const std::string &path) {
  return shared<EmotionClassifier>(path,
                                   [](const std::string &p) { return EmotionClassifier::load(p); });
}

std::shared_ptr<const EmotionModel> shared_emotion_model(const std::string &path) {
  return shared<EmotionModel>(path, [](const std::string &p) { return EmotionModel::load(p); });
}

}  // namespace emo
