// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: labelled image folders, identities, label mapping, face preparation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"

namespace emo_tools {

/// One labelled image of a training folder.
struct Sample {
  std::string path;   ///< file to read
  std::string label;  ///< class name after --map
  std::string group;  ///< identity (see identity_of), for grouped cross-validation
  bool whole_image;   ///< true: the image is a face crop; false: detect the largest face
};

/// Identity of the person in a file, from its name (directories are ignored):
/// - CK+ `S010_004_00000017.png` -> `S010` (the subject id before the first '_');
/// - LFW-style `First_Last_0001.jpg` -> `First_Last` (the extension and a trailing
///   `_<digits>` are removed), which also covers `Name_12.jpg` -> `Name`;
/// - anything else: the name without its extension (one identity per file).
std::string identity_of(const std::string &path);

/// `--map` rules: raw folder label -> class name (e.g. happiness -> HAPPY). Labels without a
/// rule keep their folder name.
using LabelMap = std::map<std::string, std::string>;

/// Parses "a=B,c=D" into `map`. Returns false (and sets `error`) on a malformed rule.
bool parse_label_map(const std::string &text, LabelMap &map, std::string &error);

/// Splits "a,b,c" into its non-empty, trimmed parts.
std::vector<std::string> split_list(const std::string &text);

/// Lists `dir`/<label>/<file> (sorted, hidden files skipped). Labels are mapped with `map`;
/// when `allowed` is non-empty, samples whose mapped label is not in it are left out and
/// counted in `excluded`. Throws std::runtime_error when `dir` is not a directory.
std::vector<Sample> scan_folder(const std::string &dir, bool whole_image, const LabelMap &map,
                                const std::vector<std::string> &allowed, int &excluded);

/// A face crop prepared for landmark fitting.
struct WholeFace {
  cv::Mat image;          ///< upscaled (and, for a negative inset, padded) grayscale image
  emo::Box box;           ///< face box in `image`
  emo::Box original_box;  ///< the same box in the pixels of the input image
};

/// Treats the whole grayscale image as a face crop: upscales it (cubic) so its shorter side is
/// at least `upscale` pixels, then takes the box inset by `inset` x side on every side
/// (negative: the box grows beyond the image, which is padded by edge replication).
WholeFace prepare_whole_face(const cv::Mat &gray, int upscale, double inset);

/// An image prepared for face detection.
struct DetectImage {
  cv::Mat image;       ///< the image to detect on (and fit landmarks on)
  double scale = 1.0;  ///< image pixels per input pixel
  int pad = 0;         ///< border added on every side, in image pixels
  /// Maps a box of `image` back to input pixels.
  emo::Box to_input(const emo::Box &b) const;
};

/// Small images (shorter side < `upscale`, typically tight face crops that a cascade misses)
/// are upscaled (cubic) so that side reaches `upscale` and padded by 25 % of it per side with
/// replicated edges, giving the cascade the margin it needs. Larger images are used as is.
DetectImage prepare_for_detection(const cv::Mat &gray, int upscale);

}  // namespace emo_tools
