// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: one loaded model per file, shared by every user in the process.
#include "emo/core/model_cache.hpp"

#include "emo/classify/emotion_model.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <tuple>

namespace emo {
namespace {

// (canonical path, size, modification time); the plain path when the file cannot be resolved
// (the loader then reports the error).
using Key = std::tuple<std::string, std::uintmax_t, std::filesystem::file_time_type::rep>;

Key key_of(const std::string &path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  if (ec) return {path, 0, 0};
  const std::uintmax_t size = fs::file_size(canonical, ec);
  const auto mtime = fs::last_write_time(canonical, ec);
  return {canonical.string(), ec ? 0 : size, ec ? 0 : mtime.time_since_epoch().count()};
}

template <typename Model, typename Load>
std::shared_ptr<const Model> shared(const std::string &path, Load load) {
  static std::mutex mutex;
  static std::map<Key, std::weak_ptr<const Model>> cache;
  const Key key = key_of(path);
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
