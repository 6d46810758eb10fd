// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: how many copies of each model file a process holds, and how many users share them.
#include "emo/core/model_usage.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

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

namespace detail {

std::vector<ModelUsage> merge_usage(std::vector<ModelUsage> rows,
                                    std::vector<ModelUsage> authoritative) {
  for (ModelUsage &a : authoritative) {
    a.path = canonical(a.path);
    auto same = std::find_if(rows.begin(), rows.end(),
                             [&a](const ModelUsage &r) { return r.path == a.path; });
    if (same != rows.end())
      *same = a;
    else
      rows.push_back(a);
  }
  std::sort(rows.begin(), rows.end(),
            [](const ModelUsage &x, const ModelUsage &y) { return x.path < y.path; });
  return rows;
}

}  // namespace detail

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

std::vector<ModelUsage> model_usage() {
  // Elements register the loaded copy they hold: for ONNX networks that is the session shared
  // through emo::Network::load()'s cache, so its sharing shows here without a second source.
  return detail::merge_usage(registered(), {});
}

ModelUsage model_usage(const std::string &path) {
  const std::string key = canonical(path);
  for (const ModelUsage &row : model_usage())
    if (row.path == key) return row;
  return {key, 0, 0};
}

}  // namespace emo
