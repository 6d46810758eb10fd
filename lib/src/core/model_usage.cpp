// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: how many copies of each model file a process holds, and how many users share them.
#include "emo/core/model_usage.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <system_error>

namespace emo {
namespace {

std::string canonical(const std::string &path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

struct Registry {
  std::mutex mutex;
  std::multiset<std::pair<std::string, const void *>> uses;  // (path, loaded copy)
};

Registry &registry() {
  static Registry r;  // built on first use
  return r;
}

std::vector<ModelUsage> registered() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::map<std::string, std::pair<std::set<const void *>, int>> by_path;
  for (const auto &[path, model] : r.uses) {
    auto &[copies, users] = by_path[path];
    copies.insert(model);
    ++users;
  }
  std::vector<ModelUsage> rows;
  for (const auto &[path, v] : by_path)
    rows.push_back({path, static_cast<int>(v.first.size()), v.second});
  return rows;
}

}  // namespace

ModelUse::ModelUse(const std::string &path, const void *model)
    : path_(canonical(path)), model_(model) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.uses.emplace(path_, model_);
}

ModelUse::~ModelUse() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.uses.find({path_, model_});
  if (it != r.uses.end()) r.uses.erase(it);
}

std::vector<ModelUsage> model_usage() { return registered(); }

ModelUsage model_usage(const std::string &path) {
  const std::string key = canonical(path);
  for (const ModelUsage &row : model_usage())
    if (row.path == key) return row;
  return {key, 0, 0};
}

}  // namespace emo
