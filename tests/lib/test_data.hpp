// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: where the test data lives.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace emo::test {

/// The research data set (docs/testing.md): $EMO_DATA_DIR, else $EMO_SHARED_DATA (its older
/// name), else $EMO_SOURCE_DIR/../shared/data. Only tests of suites named *OnData read it:
/// CTest runs them as a separate entry labelled `data`, and every other test with EMO_DATA_DIR
/// pointing at an empty folder.
inline std::string data_dir() {
  for (const char *var : {"EMO_DATA_DIR", "EMO_SHARED_DATA"})
    if (const char *d = std::getenv(var); d != nullptr && *d != '\0') return d;
  if (const char *s = std::getenv("EMO_SOURCE_DIR"); s != nullptr && *s != '\0')
    return std::string(s) + "/../shared/data";
  return "../shared/data";
}
/// The older name of data_dir().
inline std::string shared_data() { return data_dir(); }

/// Public-domain NASA portrait (Debian package python3-skimage): one frontal face.
inline const char *kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

/// A fresh, empty directory for one test's temporary files.
inline std::filesystem::path temp_dir(const std::string &name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("gst-emo-test-" + name + "-" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace emo::test
