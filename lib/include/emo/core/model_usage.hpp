// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: how many copies of each model file a process holds, and how many users share them.
#pragma once

#include <string>
#include <vector>

namespace emo {

/// The sharing of one model file in this process (a snapshot).
struct ModelUsage {
  std::string path;  ///< canonical path of the file (symbolic links and `..` resolved)
  int loaded = 0;    ///< distinct loaded copies of the file alive now (1 = shared by all)
  int users = 0;     ///< users (e.g. elements) holding one of these copies now
};

/// Registers one user of one loaded copy of a model file for its lifetime (RAII).
///
/// `model` identifies the loaded copy (the address of the loaded object: two users of one
/// copy pass the same address, a user with its own copy passes its own); it is only compared,
/// never dereferenced. `path` is the file the copy was read from. Thread-safe. Users are
/// typically an element's streaming state: the registration lives as long as it holds the
/// model (built in start(), dropped in stop()).
class ModelUse {
 public:
  ModelUse(const std::string &path, const void *model);
  ~ModelUse();
  ModelUse(const ModelUse &) = delete;
  ModelUse &operator=(const ModelUse &) = delete;

 private:
  std::string path_;
  const void *model_;
};

/// Every model file with at least one registered user, sorted by path. The ONNX networks'
/// users register the session they share (emo::Network::load()'s cache), so one session
/// counts as one loaded copy.
std::vector<ModelUsage> model_usage();

/// The row of one file (`path` canonicalised as above); loaded = users = 0 when nothing holds it.
ModelUsage model_usage(const std::string &path);

}  // namespace emo
