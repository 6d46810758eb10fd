// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: errors thrown by the library.
#include "emo/core/error.hpp"

namespace emo {
namespace {

std::string model_error_message(const std::string &path, const std::string &package,
                                const std::string &reason) {
  std::string msg = "cannot load model '" + path + "'";
  if (!reason.empty()) msg += ": " + reason;
  if (!package.empty()) msg += " (the file is shipped by the Debian package '" + package + "')";
  return msg;
}

}  // namespace

ModelError::ModelError(const std::string &path, const std::string &package,
                       const std::string &reason)
    : std::runtime_error(model_error_message(path, package, reason)),
      path_(path),
      package_(package) {}

}  // namespace emo
