// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: errors thrown by the library.
#pragma once

#include <stdexcept>
#include <string>

namespace emo {

/// A model file is missing, unreadable or malformed.
///
/// `path()` is the file that was asked for; `package()` is the Debian package that ships it
/// (empty for the project's own models, which `cmake --install` puts in place).
/// `what()` is a full sentence naming both, fit for a GST_ELEMENT_ERROR debug string.
class ModelError : public std::runtime_error {
 public:
  ModelError(const std::string &path, const std::string &package, const std::string &reason);
  const std::string &path() const noexcept { return path_; }
  const std::string &package() const noexcept { return package_; }

 private:
  std::string path_;
  std::string package_;
};

/// A model was read but does not fit this build or this input: an emotion model trained on a
/// different landmark count or feature version, or features of the wrong length.
class ModelMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace emo
