// SPDX-License-Identifier: LGPL-2.1-or-later
#include "dataset.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace fs = std::filesystem;

namespace emo_tools {

namespace {

bool all_digits(const std::string &s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string trim(const std::string &s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string identity_of(const std::string &path) {
  const std::string stem = fs::path(path).stem().string();
  // CK+: S<digits>_<sequence>_<frame>
  if (stem.size() > 1 && stem[0] == 'S') {
    const auto u = stem.find('_');
    if (u != std::string::npos && all_digits(stem.substr(1, u - 1))) return stem.substr(0, u);
  }
  // LFW-style: <name>_<digits>
  const auto u = stem.rfind('_');
  if (u != std::string::npos && u > 0 && all_digits(stem.substr(u + 1))) return stem.substr(0, u);
  return stem;
}

std::vector<std::string> split_list(const std::string &text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = trim(text.substr(start, end - start));
    if (!part.empty()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

bool parse_label_map(const std::string &text, LabelMap &map, std::string &error) {
  for (const auto &rule : split_list(text)) {
    const auto eq = rule.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == rule.size()) {
      error = "bad --map rule '" + rule + "' (expected from=TO)";
      return false;
    }
    map[trim(rule.substr(0, eq))] = trim(rule.substr(eq + 1));
  }
  return true;
}

std::vector<Sample> scan_folder(const std::string &dir, bool whole_image, const LabelMap &map,
                                const std::vector<std::string> &allowed, int &excluded) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": not a directory");
  std::vector<fs::path> label_dirs;
  for (const auto &e : fs::directory_iterator(dir)) {
    if (e.is_directory() && e.path().filename().string()[0] != '.') label_dirs.push_back(e.path());
  }
  std::sort(label_dirs.begin(), label_dirs.end());
  std::vector<Sample> out;
  for (const auto &ld : label_dirs) {
    std::string label = ld.filename().string();
    if (auto it = map.find(label); it != map.end()) label = it->second;
    std::vector<fs::path> files;
    for (const auto &e : fs::directory_iterator(ld)) {
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), label) == allowed.end()) {
      excluded += static_cast<int>(files.size());
      continue;
    }
    for (const auto &f : files) out.push_back({f.string(), label, identity_of(f), whole_image});
  }
  return out;
}

WholeFace prepare_whole_face(const cv::Mat &gray, int upscale, double inset) {
  WholeFace out;
  const int side = std::min(gray.cols, gray.rows);
  const double scale = side > 0 && side < upscale ? double(upscale) / side : 1.0;
  if (scale > 1.0) {
    cv::resize(gray, out.image, cv::Size(), scale, scale, cv::INTER_CUBIC);
  } else {
    out.image = gray;
  }
  const int w = out.image.cols, h = out.image.rows;
  const int dx = static_cast<int>(std::lround(inset * w));
  const int dy = static_cast<int>(std::lround(inset * h));
  if (dx < 0 || dy < 0) {
    const int px = std::max(0, -dx), py = std::max(0, -dy);
    cv::Mat padded;
    cv::copyMakeBorder(out.image, padded, py, py, px, px, cv::BORDER_REPLICATE);
    out.image = padded;
    out.box = emo::Box(0, 0, padded.cols, padded.rows);
  } else {
    out.box = emo::Box(dx, dy, std::max(1, w - 2 * dx), std::max(1, h - 2 * dy));
  }
  const double ox = inset * gray.cols, oy = inset * gray.rows;
  out.original_box = emo::Box(static_cast<int>(std::lround(ox)), static_cast<int>(std::lround(oy)),
                              static_cast<int>(std::lround(gray.cols - 2 * ox)),
                              static_cast<int>(std::lround(gray.rows - 2 * oy)));
  return out;
}

emo::Box DetectImage::to_input(const emo::Box &b) const {
  return emo::Box(static_cast<int>(std::lround((b.x - pad) / scale)),
                  static_cast<int>(std::lround((b.y - pad) / scale)),
                  static_cast<int>(std::lround(b.width / scale)),
                  static_cast<int>(std::lround(b.height / scale)));
}

DetectImage prepare_for_detection(const cv::Mat &gray, int upscale) {
  DetectImage out;
  const int side = std::min(gray.cols, gray.rows);
  if (side <= 0 || side >= upscale) {
    out.image = gray;
    return out;
  }
  out.scale = double(upscale) / side;
  cv::Mat big;
  cv::resize(gray, big, cv::Size(), out.scale, out.scale, cv::INTER_CUBIC);
  out.pad = upscale / 4;
  cv::copyMakeBorder(big, out.image, out.pad, out.pad, out.pad, out.pad, cv::BORDER_REPLICATE);
  return out;
}

void add_detection_margin(DetectImage &img) {
  const int p = static_cast<int>(std::lround(0.3 * std::min(img.image.cols, img.image.rows)));
  cv::Mat padded;
  cv::copyMakeBorder(img.image, padded, p, p, p, p, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  img.image = padded;
  img.pad += p;
}

}  // namespace emo_tools
