// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: small faces, by running a detector on overlapping tiles of the frame as well.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "emo/detect/detection.hpp"

namespace emo::detect {

/// A region of `frame` as a frame of its own, without copying: the plane pointers are moved
/// to the region's top-left corner (luma too, when present). `region` is clipped to the frame;
/// for formats with chroma at half resolution (I420, NV12) and YUY2 its x, y, width and height
/// are rounded down to even numbers. Coordinates on the returned view are relative to the
/// region: add its (x, y) for frame pixels. Throws std::invalid_argument on an empty result.
FrameView crop_view(const FrameView &frame, const Box &region);
/// The region crop_view() takes: `region` clipped and rounded as described there.
Box crop_region(const FrameView &frame, const Box &region);

/// The tiles of a width x height frame: `columns` (>= 2) overlapping tiles across, and
/// rows = max(1, round(columns * height / width)) down, each `overlap` (fraction of the tile
/// pitch, >= 0) wider and higher than the pitch, clipped to the frame; evenly spread, the
/// first and last touching the frame's edges. 1280 x 720 with 2 columns and overlap 0.25:
/// two tiles of 800 x 720 at x = 0 and 480. Fewer than 2 columns: none.
std::vector<Box> frame_tiles(int width, int height, int columns, double overlap = 0.25);

/// Runs a detector on the whole frame and, to find faces too small for the whole frame's
/// network input (BlazeFace full range sees a 1280 x 720 frame at 256 x 144: a 55 px face
/// is 11 px there), on overlapping tiles of it (frame_tiles()), each letterboxed into the
/// network's input on its own: two tiles of 800 x 720 show a 55 px face at 18 px. The
/// detections of the tiles (score >= kMinTileScore) and of the frame are merged by BlazeFace's
/// weighted non-maximum suppression (IoU >= 0.3); a tile's
/// detection that touches one of the tile's inner edges (not a frame edge) is dropped, as the
/// face goes on outside the tile and is whole in the frame pass or the neighbouring tile.
///
/// Each face's FaceDetection::views tells whether the frame pass, the tiles or both found it.
/// The tiles are searched only when the frame pass found no face of kCloseUp of the frame's
/// short side or more (110 px at 720p): a shot with a face that large (a close-up, two people
/// talking) has no face too small for the frame pass, and most of a film's shots are such.
/// DetectorParams::all_tiles searches them anyway (a shot's first frame: see views).
/// The wide shots of the dinner clip have faces of 50-95 px, its two-shots 115-165 px.
///
/// Cost: one inner detection per tile on top of the frame's (a 256 x 256 input per tile for
/// BlazeFace against 256 x 192 for the 16:9 frame). prepare() copies the frame (its planes,
/// about 1.4 MB for 720p I420) so that run() can prepare the inner detector once per region
/// on another thread. Not thread-safe, like any Detector.
class TiledDetector : public Detector {
 public:
  static constexpr float kCloseUp = 0.15f;  ///< of the frame's short side
  /// Smallest score of a tile's detection (the frame pass keeps the detector's threshold):
  /// enlarged, textures pass for small faces more often. On the dinner clip's wide shots
  /// (bench/RESULTS.md) the tiles' detections at 0.52-0.7 added false faces (a wheelchair's
  /// wheel, confirmed run after run) and one true one.
  static constexpr float kMinTileScore = 0.7f;

  /// Takes over `inner`; `columns` as frame_tiles() (< 2: the whole frame only).
  TiledDetector(std::unique_ptr<Detector> inner, int columns, double overlap = 0.25);
  const char *model_name() const override { return inner_->model_name(); }
  const void *loaded_model() const override { return inner_->loaded_model(); }
  void prepare(const FrameView &frame, const DetectorParams &params) override;
  void run(std::vector<FaceDetection> &faces) override;

 private:
  std::unique_ptr<Detector> inner_;
  int columns_;
  double overlap_;
  FrameView copy_;
  std::array<std::vector<std::uint8_t>, 3> planes_;
  cv::Mat luma_;
  DetectorParams params_;
  bool prepared_ = false;
  std::vector<FaceDetection> part_, all_, frame_, tiles_;
};

}  // namespace emo::detect
