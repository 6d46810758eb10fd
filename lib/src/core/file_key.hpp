// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the identity of a model file for the process-wide caches (internal).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <tuple>

namespace emo::detail {

/// (canonical path, size, modification time) of a file; the plain path and zeros when the
/// file cannot be resolved (its loader then reports the error).
using FileKey = std::tuple<std::string, std::uintmax_t, std::filesystem::file_time_type::rep>;

inline FileKey file_key(const std::string &path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path canonical = fs::canonical(path, ec);
  if (ec) return {path, 0, 0};
  const std::uintmax_t size = fs::file_size(canonical, ec);
  const auto mtime = fs::last_write_time(canonical, ec);
  return {canonical.string(), ec ? 0 : size, ec ? 0 : mtime.time_since_epoch().count()};
}

}  // namespace emo::detail
