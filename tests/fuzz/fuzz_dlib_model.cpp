// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the dlib shape_predictor reader (lib/src/landmarks/ert_model.cpp) on any bytes.
// Invariants: dlib::serialization_error or a model that fits a face, never a crash, a
// sanitizer report or an allocation beyond libFuzzer's -rss_limit_mb / -malloc_limit_mb.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include <opencv2/core.hpp>

#include "ert_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char *>(data), size));
  try {
    const emo::detail::ErtModel model(in, size);
    const cv::Mat image(64, 64, CV_8UC1, cv::Scalar(100));
    std::vector<emo::Point> points;
    model.fit(dlib::cv_image<unsigned char>(image), dlib::rectangle(8, 8, 55, 55), points);
  } catch (const dlib::serialization_error &) {
  } catch (const std::runtime_error &) {  // I/O errors
  }
  return 0;
}
