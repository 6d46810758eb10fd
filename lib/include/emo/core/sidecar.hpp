// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: what model sidecars (emo/classify/cnn_spec.hpp, emo/detect/blazeface_spec.hpp) share:
// the error naming a sidecar field, a reader of JSON members by field path, and the network
// input description (size, layout, colour, normalisation, batch) with the tensor it builds.
// Engine-free: networks are described by emo::TensorInfo (emo/core/tensor.hpp).
// Schema and error messages: docs/sidecar.md.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/error.hpp"
#include "emo/core/tensor.hpp"

namespace cv {
class FileNode;
}

namespace emo {

/// A sidecar that is malformed or does not fit its network. `path()` is the sidecar, `field()`
/// the member at fault as a dotted path ("input.width", "labels", "outputs.scores"); what() is
/// "cannot load model '<sidecar>': <field> ..." e.g. `input.width is 64 but the network's input
/// "input_1" is 1x1x48x48`.
class SidecarError : public ModelError {
 public:
  SidecarError(const std::string &sidecar, const std::string &field, const std::string &message);
  const std::string &field() const noexcept { return field_; }
  /// The sentence without the path, starting with the field.
  const std::string &message() const noexcept { return message_; }

 private:
  std::string field_, message_;
};

/// "1x3x112x112"; a free dimension (-1) prints as "?".
std::string shape_string(const Shape &shape);
/// "\"scores\", \"embedding\"" (the names, quoted, comma-separated; "none" when empty).
std::string tensor_names(const std::vector<TensorInfo> &tensors);
/// The tensor named `name`, or nullptr.
const TensorInfo *find_tensor(const std::vector<TensorInfo> &tensors, const std::string &name);

/// Reads members of a sidecar (cv::FileStorage JSON) by field path, throwing SidecarError
/// naming the field when one is missing, of the wrong type or out of range.
class SidecarReader {
 public:
  explicit SidecarReader(std::string sidecar) : path_(std::move(sidecar)) {}
  const std::string &path() const { return path_; }

  /// Throws SidecarError(path(), field, field + " " + what).
  [[noreturn]] void fail(const std::string &field, const std::string &what) const;

  /// `node[key]` must be an object; `field` names it (e.g. "input").
  void need_map(const cv::FileNode &node, const std::string &field) const;
  double number(const cv::FileNode &parent, const char *key, const std::string &field,
                double fallback, bool required, double lo, double hi) const;
  int integer(const cv::FileNode &parent, const char *key, const std::string &field, int fallback,
              bool required, int lo, int hi) const;
  std::string string(const cv::FileNode &parent, const char *key, const std::string &field,
                     const std::string &fallback, bool required) const;
  /// A string out of `choices` (the message lists them).
  std::string choice(const cv::FileNode &parent, const char *key, const std::string &field,
                     const std::string &fallback, const std::vector<std::string> &choices) const;
  /// A number or an array of numbers (empty when absent).
  std::vector<double> numbers(const cv::FileNode &parent, const char *key,
                              const std::string &field) const;
  /// A non-empty array of non-empty strings, or one string (empty when absent).
  std::vector<std::string> strings(const cv::FileNode &parent, const char *key,
                                   const std::string &field) const;
  /// The ONNX file named by member "model", relative to the sidecar's directory.
  std::string model_path(const cv::FileNode &root) const;

 private:
  std::string path_;
};

/// Opens a sidecar and checks its "format" and "version" (1); calls `read` with the root.
/// Throws ModelError for a missing/unreadable file, SidecarError for a bad member.
void read_sidecar(const std::string &path, const char *format,
                  const std::function<void(const SidecarReader &, const cv::FileNode &)> &read);

/// Memory order of an image tensor.
enum class TensorLayout { kNCHW, kNHWC };
/// Channels of the network's input, in order.
enum class InputColour { kGrey, kRGB, kBGR };

/// The network's image input as a sidecar's "input" object describes it:
///   "name"        ONNX input name; "" = the network's only input
///   "width", "height"  pixels (1 .. 4096)
///   "layout"      "nchw" (default) | "nhwc"
///   "color"       "grey" | "rgb" | "bgr"
///   normalisation, per channel c: value = pixel * scale[c] + offset[c], pixel in 0..255;
///                 given as "scale"/"offset" (numbers, or one per channel) or as
///                 "mean"/"std" (value = (pixel - mean) / std; numbers or one per channel)
///   "batch"       "free" (the network takes any N), a number n (n faces per call), or absent
///                 (read from the network: its first dimension)
struct InputSpec {
  std::string name;
  int width = 0, height = 0;
  TensorLayout layout = TensorLayout::kNCHW;
  InputColour colour = InputColour::kGrey;
  std::array<double, 3> scale{1, 1, 1}, offset{0, 0, 0};  ///< per channel, in `colour` order
  int batch = 0;  ///< 0: read from the network; -1: "free"; n > 0: fixed

  int channels() const { return colour == InputColour::kGrey ? 1 : 3; }
  /// "nchw" / "nhwc", "grey" / "rgb" / "bgr".
  static const char *name_of(TensorLayout layout);
  static const char *name_of(InputColour colour);

  /// Reads `parent[key]` (an object; `key` is also its field path, e.g. "input").
  /// `square_size` true: one member "size" gives width = height (the detector's S) instead of
  /// "width" and "height".
  static InputSpec read(const SidecarReader &r, const cv::FileNode &parent, const char *key,
                        bool square_size);

  /// The network input this spec describes, out of `inputs`; throws SidecarError naming
  /// `field`.name when it is absent or ambiguous.
  const TensorInfo &pick(const std::string &sidecar, const std::string &field,
                         const std::vector<TensorInfo> &inputs) const;
  /// Checks rank 4, layout, channels, width, height and batch against `input` (a free
  /// dimension fits any value); throws SidecarError naming the field (`field`.width,
  /// `field`.layout, ...).
  void check(const std::string &sidecar, const std::string &field, const TensorInfo &input) const;
  /// The network's batch for `input`: 0 when free (any N), else its fixed first dimension; a
  /// sidecar "batch" n > 0 wins over a free dimension.
  int batch_of(const TensorInfo &input) const;

  /// Packs 8-bit images into one float32 tensor [N, C, H, W] (nchw) or [N, H, W, C] (nhwc),
  /// N = max(images.size(), pad_to) (the padding is zeros). Each image is CV_8UC1 (grey) or CV_8UC3
  /// in BGR order (OpenCV's; RGB when `rgb_images`), converted to `colour` (to grey by
  /// cv::COLOR_BGR2GRAY or COLOR_RGB2GRAY, grey to rgb/bgr by repeating it) and resized
  /// (INTER_AREA) to width x height when its size differs; then value = pixel * scale[c] +
  /// offset[c] (cv::Mat::convertTo, float arithmetic). All images of one call must have the same
  /// size. Throws std::invalid_argument for an empty image, another type or mixed sizes.
  Tensor tensor(const std::vector<cv::Mat> &images, int pad_to = 0, bool rgb_images = false) const;
  /// The same into `out`, reusing its storage (no allocation when its size is unchanged).
  void fill(const std::vector<cv::Mat> &images, Tensor &out, int pad_to = 0,
            bool rgb_images = false) const;
};

/// The message of a sidecar whose input an engine refused when it ran the network on it
/// (OpenCV 4.6 does not report the declared input shape): "input.width, input.height,
/// input.color and input.layout (64x64, "grey", "nchw") do not fit the network 'm.onnx': it
/// fails on such an input (<why>)"; `square`: "input.size, ..." (a detector's).
std::string probe_failure(const InputSpec &input, const std::string &onnx, const std::string &why,
                          bool square = false);

}  // namespace emo
