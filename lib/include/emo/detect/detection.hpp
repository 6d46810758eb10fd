// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: what a face detector returns, the frames it reads, and the interface that lets
// emofacedetect, its detection thread and the tools use any detector alike.
//
// Detectors (one place for all of them):
//   emo/detect/blazeface.hpp  MediaPipe BlazeFace CNN through ONNX Runtime (the default)
//   emo/detector.hpp          OpenCV Haar/LBP cascade (emo::FaceDetector)
// make_detector() picks one from a model file name.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/detect/detector.hpp"
#include "emo/core/geometry.hpp"

namespace emo::detect {

/// Raw video layouts a detector reads (the formats emofacedetect accepts; GStreamer names).
enum class PixelFormat {
  kGray8,  ///< one 8-bit luma plane
  kI420,   ///< planar Y, U, V; chroma at half width and height
  kNV12,   ///< planar Y, interleaved UV at half width and height
  kYUY2,   ///< packed Y0 U Y1 V, 2 bytes per pixel
  kBGR,
  kRGB,  ///< packed 3 bytes per pixel
  kBGRx,
  kRGBx,
  kBGRA,
  kRGBA,  ///< packed 4 bytes per pixel (x and A are ignored)
};

/// One video frame, not owned: plane pointers and row strides (bytes) as GStreamer maps them.
/// `luma` is the frame's 8-bit luma at full resolution (CV_8UC1; the Y plane itself for
/// GRAY8/I420/NV12), which the cascade and the tracker use; it may be empty for BlazeFace.
struct FrameView {
  PixelFormat format = PixelFormat::kGray8;
  int width = 0, height = 0;  ///< pixels
  std::array<const std::uint8_t *, 3> planes{};
  std::array<int, 3> strides{};
  cv::Mat luma;

  /// A frame over an 8-bit BGR (CV_8UC3), RGB-order or gray (CV_8UC1) cv::Mat (stills,
  /// tests). `rgb` tells the channel order of a 3-channel image. `image` must outlive the view.
  static FrameView from_mat(const cv::Mat &image, bool rgb = false);
};

/// The 6 keypoints of a BlazeFace detection, in MediaPipe's order (FaceKeypoint in
/// mediapipe/modules/face_detection): "right" and "left" are the person's own, so on a
/// non-mirrored picture of a face looking at the camera the right eye is on the image's left.
enum Keypoint : int {
  kRightEye = 0,
  kLeftEye = 1,
  kNoseTip = 2,
  kMouthCentre = 3,
  kRightEarTragion = 4,
  kLeftEarTragion = 5,
  kNumKeypoints = 6,
};

/// One detected face. Coordinates are frame pixels (origin at the top-left corner of the
/// full-resolution frame, x right, y down; sub-pixel, may lie slightly outside the frame).
struct FaceDetection {
  cv::Rect2f box;   ///< the face box
  float score = 1;  ///< detection confidence in [0, 1] (the cascade has none: 1)
  /// Keypoints (see Keypoint); empty for the cascade, kNumKeypoints for BlazeFace.
  std::vector<Point> keypoints;
  /// Independent looks of the network that found this face on the frame: 1 for a plain
  /// detector; emo::detect::TiledDetector counts its whole-frame pass and its tile pass (two
  /// inputs at different scales), so 2 means both found it.
  int views = 1;

  /// The box rounded to whole pixels and clipped to a width x height frame (may be empty).
  Box pixel_box(int width, int height) const;
};

/// Intersection over union of two float boxes, in [0, 1] (0 when either is empty).
float iou(const cv::Rect2f &a, const cv::Rect2f &b);

/// A face detector: the cascade or BlazeFace. Detection is split in two so that it can run on
/// another thread: prepare() copies from the frame what run() needs (the cascade: the luma;
/// BlazeFace: a small letterboxed RGB image) and returns, then run() detects on that copy.
/// One instance is not thread-safe: prepare() and run() must not overlap.
class Detector {
 public:
  virtual ~Detector() = default;
  /// Model tag written into the metadata: "blazeface-full", "blazeface-short" or "cascade".
  virtual const char *model_name() const = 0;
  /// Copies what run() needs out of `frame`; the frame may be unmapped afterwards.
  virtual void prepare(const FrameView &frame, const DetectorParams &params) = 0;
  /// Detects on the prepared copy: faces in frame pixels, largest first, at most
  /// params.max_faces (0 = all), none smaller than params.min_size on either side.
  /// Throws std::invalid_argument when nothing was prepared, cv::Exception on OpenCV errors.
  virtual void run(std::vector<FaceDetection> &faces) = 0;
  /// Identifies the loaded copy of the model file, for emo::ModelUse (never dereferenced):
  /// the shared network when the model is one (every BlazeFace of a file shares one ONNX
  /// Runtime session, emo::Network::load), otherwise this detector.
  virtual const void *loaded_model() const { return this; }
  /// prepare() then run().
  std::vector<FaceDetection> detect(const FrameView &frame, const DetectorParams &params);
};

/// The cascade (emo::FaceDetector) as a Detector: prepare() copies the frame's luma.
class CascadeDetector : public Detector {
 public:
  explicit CascadeDetector(const std::string &model_path) : cascade_(model_path) {}
  const char *model_name() const override { return "cascade"; }
  void prepare(const FrameView &frame, const DetectorParams &params) override;
  void run(std::vector<FaceDetection> &faces) override;

 private:
  FaceDetector cascade_;
  cv::Mat luma_;
  DetectorParams params_;
  bool prepared_ = false;
};

/// True when `path` names a BlazeFace ONNX model (ends in ".onnx", any case).
bool is_onnx_model(const std::string &path);

/// Loads the detector for a model file: a ".onnx" file, or a ".json" sidecar of one
/// (emo/detect/blazeface_spec.hpp), is a BlazeFace-family network (emo::detect::BlazeFace),
/// anything else an OpenCV cascade XML. Throws emo::ModelError
/// naming the path when the file is missing or not a model of that kind.
std::unique_ptr<Detector> make_detector(const std::string &model_path);

/// The pixel_box() of each face, in the same order (detectors return no face whose pixel box
/// is empty).
std::vector<Box> pixel_boxes(const std::vector<FaceDetection> &faces, int width, int height);

/// Remembers, per track, the confidence and keypoints of the detection last associated with
/// it, with the keypoints relative to the detection's box (fractions of its width and height)
/// so that they follow the tracked box between detections. Used by emofacedetect around
/// emo::FaceTracker, which tracks boxes only. Not thread-safe.
class DetectionMemory {
 public:
  struct Entry {
    float score = 1;
    bool has_score = false;        ///< false for the cascade (no score)
    std::vector<Point> keypoints;  ///< relative to the box: (x - box.x) / box.width, ...
  };
  /// After the tracker associated `detections` (frame pixels): for each tracked face
  /// (track id, box) that a detection confirmed, remembers the detection whose box overlaps
  /// its box most (intersection over union >= 0.3). `has_score` tells whether the detector
  /// scores its faces. Tracks not in `confirmed` are left as they are.
  void update(const std::vector<FaceDetection> &detections,
              const std::vector<std::pair<std::uint64_t, Box>> &confirmed, bool has_score);
  /// The entry of a track, or nullptr.
  const Entry *find(std::uint64_t track_id) const;
  /// The keypoints of an entry placed on `box` (frame pixels).
  static std::vector<Point> place(const Entry &entry, const Box &box);
  /// Forgets tracks that are not in `alive` (ids of the current faces).
  void keep_only(const std::vector<std::uint64_t> &alive);
  void clear() { entries_.clear(); }

 private:
  std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace emo::detect
