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
/// network's input on its own: two tiles of 800 x 720 show a 55 px face at 18 px. A tile's
/// detection that touches one of the tile's inner edges (not a frame edge) is dropped, as the
/// face goes on outside the tile and is whole in the frame pass or the neighbouring tile. Both
/// passes report down to kLowScore; merge_views() keeps and merges them.
///
/// Each face's FaceDetection::views tells whether the frame pass, the tiles or both found it.
/// The tiles are searched only when the frame pass found no face of kCloseUp of the frame's
/// short side or more with a score of kCloseUpScore or more (110 px at 720p): a shot with a
/// face that large (a close-up, two people talking) has no face too small for the frame pass,
/// and most of a film's shots are such. DetectorParams::all_tiles searches them anyway (a
/// shot's first frame: see views). The wide shots of the dinner clip have faces of 50-95 px,
/// its two-shots 115-165 px.
///
/// Cost: one inner detection per tile on top of the frame's (a 256 x 256 input per tile for
/// BlazeFace against 256 x 192 for the 16:9 frame). prepare() copies the frame (its planes,
/// about 1.4 MB for 720p I420) so that run() can prepare the inner detector once per region
/// on another thread. Not thread-safe, like any Detector.
class TiledDetector : public Detector {
 public:
  static constexpr float kCloseUp = 0.15f;  ///< of the frame's short side
  /// Smallest score of a close-up that skips the tiles. On the dinner clip (every 12th frame)
  /// faces of 110 px or more scored 0.77-0.98, except boxes the frame pass put around a whole
  /// head in the wide shots (0.59-0.73: frames 36, 48, 96, the back of the grandmother's head
  /// taken in), whose tiles must run to correct them (merge_views()).
  static constexpr float kCloseUpScore = 0.75f;
  /// Smallest score of a tile's detection on its own (the frame pass keeps the detector's
  /// threshold): enlarged, textures pass for small faces more often. On the dinner clip's
  /// wide shots (bench/RESULTS.md) the tiles' detections at 0.52-0.7 added false faces (a
  /// wheelchair's wheel at 0.68, confirmed run after run) and one true one.
  static constexpr float kMinTileScore = 0.7f;
  /// Two looks that agree (IoU > kSuppressionIou): a frame-pass detection of kAgreeFrameScore
  /// or more and a tile detection of kAgreeTileScore or more make a face though each is under
  /// its own threshold. On the dinner clip the father looking down in the wide shots scored
  /// 0.44-0.46 and 0.55-0.62; the backs of heads that the frame pass scored 0.40-0.45 got
  /// 0.33-0.39 from the tiles, the wheel nothing from the frame pass.
  static constexpr float kAgreeFrameScore = 0.40f, kAgreeTileScore = 0.50f;
  /// Both passes report down to this score (the smaller of the two agreement scores).
  static constexpr float kLowScore = 0.40f;
  /// Refinement (merge_views()): a tile detection replaces a frame-pass box that contains its
  /// centre when it is at most this share of that box's area.
  static constexpr float kRefineArea = 0.5f;

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
  std::vector<FaceDetection> part_, frame_, tiles_;
  std::vector<cv::Rect2f> insides_;
};

/// The faces of TiledDetector's two passes, in frame pixels: `frame_pass` (the whole frame)
/// and `tile_pass` (every tile, detections cut by an inner tile edge removed), both down to
/// TiledDetector::kLowScore; `tile_insides` are the tiles searched less their inner edges
/// (empty when none was). Rules, in this order:
///  - a frame-pass detection of `frame_score` or more is kept. When it lies inside a tile,
///    no tile detection overlaps it (IoU > kSuppressionIou) and it contains the centre of a
///    tile detection of at most kRefineArea of its area, the best scored such detection
///    replaces it (score: the larger of the two): the frame pass saw a whole head where the
///    tile, at 1.6x the scale, sees the face (the dinner clip's frame 96: a 159 px box around
///    the grandmother's hair and face, the tile's 64 px box on her face);
///  - a tile detection of kMinTileScore or more is kept;
///  - a frame-pass detection of kAgreeFrameScore or more and a tile detection of
///    kAgreeTileScore or more that overlap are both kept (two looks agree);
///  - what is kept is merged by BlazeFace's weighted non-maximum suppression (IoU >=
///    kSuppressionIou). FaceDetection::views is 2 when detections of both passes at their own
///    thresholds (frame_score, kMinTileScore) overlap the face, else 1.
std::vector<FaceDetection> merge_views(const std::vector<FaceDetection> &frame_pass,
                                       const std::vector<FaceDetection> &tile_pass,
                                       const std::vector<cv::Rect2f> &tile_insides,
                                       float frame_score);

}  // namespace emo::detect
