// SPDX-License-Identifier: LGPL-2.1-or-later
#include "emo/core/model_path.hpp"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#ifndef EMO_MODEL_INSTALL_DIR
#error "EMO_MODEL_INSTALL_DIR must be defined (lib/CMakeLists.txt)"
#endif
#ifndef EMO_MODEL_SOURCE_DIR
#error "EMO_MODEL_SOURCE_DIR must be defined (lib/CMakeLists.txt)"
#endif
#ifndef EMO_BUILD_DIR
#error "EMO_BUILD_DIR must be defined (lib/CMakeLists.txt)"
#endif

namespace emo {
namespace {

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string real(const std::string &path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

bool under(const std::string &path, const std::string &dir) {
  return !dir.empty() && path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

/* The file of the module (shared object or executable) this code is linked into. */
std::string module_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&module_path), &info) && info.dli_fname && *info.dli_fname) {
    const std::string path = real(info.dli_fname);
    if (!path.empty()) return path;
  }
  return real("/proc/self/exe");  // the main program (dladdr may give its bare argv[0])
}

std::string env_dir() {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return dir && *dir ? std::string(dir) : std::string();
}

bool in_build_tree(const std::string &module) {
  const std::string build = real(EMO_BUILD_DIR);
  return under(module, build.empty() ? std::string(EMO_BUILD_DIR) : build);
}

std::string dirname(const std::string &path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

ModelLocation find_model(const std::string &name) {
  const std::string env = env_dir();
  if (!env.empty()) return {env + "/" + name, ModelSource::kEnvironment};
  const std::string module = module_path();
  const bool build_tree = in_build_tree(module);
  const ModelLocation source{std::string(EMO_MODEL_SOURCE_DIR) + "/" + name,
                             ModelSource::kBuildTree};
  if (build_tree && exists(source.path)) return source;
  const ModelLocation installed{std::string(EMO_MODEL_INSTALL_DIR) + "/" + name,
                                ModelSource::kInstalled};
  if (exists(installed.path)) return installed;
  if (!module.empty()) {
    std::string dir = dirname(module);
    for (int up = 0; up < 3; ++up) {
      dir = dirname(dir);
      const std::string candidate = dir + "/share/gst-emo/models/" + name;
      if (exists(candidate)) return {candidate, ModelSource::kRelocated};
    }
  }
  return build_tree ? source : installed;
}

std::string default_model_path(const std::string &name) { return find_model(name).path; }

bool is_project_model_path(const std::string &path) {
  std::vector<std::string> dirs = {EMO_MODEL_INSTALL_DIR, EMO_MODEL_SOURCE_DIR};
  const std::string env = env_dir();
  if (!env.empty()) dirs.push_back(env);
  for (const std::string &dir : dirs)
    if (under(path, dir)) return true;
  return path.find("/share/gst-emo/models/") != std::string::npos;
}

std::string model_source_hint(const std::string &path) {
  const bool fetched =
      path.find("/blazeface/") != std::string::npos || path.find("/human/") != std::string::npos;
  const std::string env = env_dir();
  if (!env.empty() && under(path, env))
    return "GST_EMO_MODEL_DIR is set to '" + env + "'; unset it to use gst-emo's own models";
  if (under(path, EMO_MODEL_SOURCE_DIR))
    return fetched ? "fetched into the source tree by tools/fetch-models.sh (run by tools/setup.sh)"
                   : "committed in the source tree's models/ directory";
  return fetched ? "installed by 'cmake --install' after tools/fetch-models.sh fetched it"
                 : "gst-emo installs its own models with 'cmake --install'";
}

}  // namespace emo
