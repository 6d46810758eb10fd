// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: small faces, by running a detector on overlapping tiles of the frame as well.
#include "emo/detect/tiled.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "emo/detect/blazeface.hpp"

namespace emo::detect {
namespace {

// Bytes per pixel of plane 0 of a packed format, 1 for planar ones.
int packed_bytes(PixelFormat f) {
  switch (f) {
    case PixelFormat::kYUY2:
      return 2;
    case PixelFormat::kBGR:
    case PixelFormat::kRGB:
      return 3;
    case PixelFormat::kBGRx:
    case PixelFormat::kRGBx:
    case PixelFormat::kBGRA:
    case PixelFormat::kRGBA:
      return 4;
    default:
      return 1;
  }
}

bool half_chroma(PixelFormat f) { return f == PixelFormat::kI420 || f == PixelFormat::kNV12; }

// Rows of plane i of a frame.
int plane_rows(const FrameView &f, int i) {
  return i > 0 && half_chroma(f.format) ? (f.height + 1) / 2 : f.height;
}

}  // namespace

Box crop_region(const FrameView &frame, const Box &region) {
  Box r = region & Box(0, 0, frame.width, frame.height);
  if (half_chroma(frame.format) || frame.format == PixelFormat::kYUY2) {
    r.x &= ~1;
    r.width &= ~1;
    if (half_chroma(frame.format)) {
      r.y &= ~1;
      r.height &= ~1;
    }
  }
  return r;
}

FrameView crop_view(const FrameView &frame, const Box &region) {
  const Box r = crop_region(frame, region);
  if (r.width <= 0 || r.height <= 0) throw std::invalid_argument("crop_view: empty region");
  FrameView v = frame;
  v.width = r.width;
  v.height = r.height;
  const int bpp = packed_bytes(frame.format);
  for (int i = 0; i < 3; ++i) {
    if (frame.planes[i] == nullptr) continue;
    const bool chroma = i > 0 && half_chroma(frame.format);
    const int y = chroma ? r.y / 2 : r.y;
    // NV12's second plane interleaves U and V: 2 bytes per chroma pixel, x / 2 pixels in.
    const int x_bytes = chroma ? (frame.format == PixelFormat::kNV12 ? r.x : r.x / 2) : r.x * bpp;
    v.planes[i] = frame.planes[i] + static_cast<std::ptrdiff_t>(y) * frame.strides[i] + x_bytes;
  }
  if (!frame.luma.empty()) v.luma = frame.luma(r);
  return v;
}

std::vector<Box> frame_tiles(int width, int height, int columns, double overlap) {
  std::vector<Box> tiles;
  if (columns < 2 || width < 1 || height < 1) return tiles;
  overlap = std::max(0.0, overlap);
  const int rows =
      std::max(1, static_cast<int>(std::lround(columns * static_cast<double>(height) / width)));
  const auto side = [overlap](int total, int n) {
    return std::min(total,
                    static_cast<int>(std::ceil(total / static_cast<double>(n) * (1.0 + overlap))));
  };
  const int tw = side(width, columns), th = side(height, rows);
  const auto at = [](int total, int tile, int n, int i) {
    return n < 2 ? 0
                 : static_cast<int>(std::lround(static_cast<double>(total - tile) * i / (n - 1)));
  };
  for (int j = 0; j < rows; ++j)
    for (int i = 0; i < columns; ++i)
      tiles.emplace_back(at(width, tw, columns, i), at(height, th, rows, j), tw, th);
  return tiles;
}

TiledDetector::TiledDetector(std::unique_ptr<Detector> inner, int columns, double overlap)
    : inner_(std::move(inner)), columns_(columns), overlap_(overlap) {
  if (!inner_) throw std::invalid_argument("TiledDetector: no detector");
}

void TiledDetector::prepare(const FrameView &frame, const DetectorParams &params) {
  copy_ = frame;
  for (int i = 0; i < 3; ++i) {
    if (frame.planes[i] == nullptr) continue;
    const size_t bytes = static_cast<size_t>(frame.strides[i]) * plane_rows(frame, i);
    planes_[i].resize(bytes);
    std::memcpy(planes_[i].data(), frame.planes[i], bytes);
    copy_.planes[i] = planes_[i].data();
  }
  if (!frame.luma.empty()) {
    frame.luma.copyTo(luma_);
    copy_.luma = luma_;
  }
  params_ = params;
  prepared_ = true;
}

std::vector<FaceDetection> merge_views(const std::vector<FaceDetection> &frame_pass,
                                       const std::vector<FaceDetection> &tile_pass,
                                       const std::vector<cv::Rect2f> &tile_insides,
                                       float frame_score) {
  using T = TiledDetector;
  const auto overlaps = [](const FaceDetection &f, const std::vector<FaceDetection> &pass,
                           float min_score) {
    return std::any_of(pass.begin(), pass.end(), [&](const FaceDetection &d) {
      return d.score >= min_score && iou(d.box, f.box) > kSuppressionIou;
    });
  };
  std::vector<FaceDetection> all;
  for (FaceDetection f : frame_pass) {
    if (f.score >= frame_score) {
      // Refinement: a box inside a tile that the tile does not find again, while the tile finds
      // a face well inside it: the frame pass took a head (the hair, the back of it) for a face.
      const bool in_tile = std::any_of(
          tile_insides.begin(), tile_insides.end(),
          [&](const cv::Rect2f &r) { return (r & f.box).area() >= f.box.area() * 0.999f; });
      if (in_tile && !overlaps(f, tile_pass, 0.0f)) {
        const FaceDetection *best = nullptr;
        for (const FaceDetection &t : tile_pass) {
          const cv::Point2f c(t.box.x + t.box.width / 2, t.box.y + t.box.height / 2);
          if (f.box.contains(c) && t.box.area() <= T::kRefineArea * f.box.area() &&
              (best == nullptr || t.score > best->score))
            best = &t;
        }
        if (best != nullptr) {
          const float score = std::max(f.score, best->score);
          f = *best;
          f.score = score;
        }
      }
      all.push_back(std::move(f));
    } else if (f.score >= T::kAgreeFrameScore && overlaps(f, tile_pass, T::kAgreeTileScore)) {
      all.push_back(std::move(f));  // both looks agree below their own thresholds
    }
  }
  for (const FaceDetection &t : tile_pass)
    if (t.score >= T::kMinTileScore ||
        (t.score >= T::kAgreeTileScore && overlaps(t, frame_pass, T::kAgreeFrameScore)))
      all.push_back(t);
  std::vector<FaceDetection> faces = weighted_nms(std::move(all), kSuppressionIou);
  // Two views when each pass found the face at its own threshold (a shot's first frame
  // confirms such a face at once); a face kept by agreement or refinement has one.
  for (FaceDetection &f : faces)
    f.views = std::max(1, (overlaps(f, frame_pass, frame_score) ? 1 : 0) +
                              (overlaps(f, tile_pass, T::kMinTileScore) ? 1 : 0));
  return faces;
}

void TiledDetector::run(std::vector<FaceDetection> &faces) {
  if (!prepared_) throw std::invalid_argument("TiledDetector: no frame prepared");
  prepared_ = false;
  // Both passes report down to kLowScore; merge_views() keeps what passes its rules.
  float frame_score = static_cast<float>(params_.score_threshold);
  if (frame_score < 0) {
    const auto *blazeface = dynamic_cast<const BlazeFace *>(inner_.get());
    frame_score = blazeface != nullptr ? blazeface->default_threshold() : 0.0f;
  }
  DetectorParams inner = params_;
  inner.max_faces = 0;
  inner.score_threshold = std::min(frame_score, kLowScore);
  inner_->prepare(copy_, inner);
  inner_->run(frame_);
  // A close-up (a face of the frame pass at least kCloseUp of the frame's short side, scored
  // kCloseUpScore or more) has no faces too small for the frame pass: the tiles are skipped
  // unless asked for.
  const float close_up = kCloseUp * static_cast<float>(std::min(copy_.width, copy_.height));
  const bool wide =
      params_.all_tiles || std::none_of(frame_.begin(), frame_.end(), [&](const FaceDetection &d) {
        return d.score >= std::max(frame_score, kCloseUpScore) &&
               std::max(d.box.width, d.box.height) >= close_up;
      });
  constexpr float kEdge = 2.0f;  // frame pixels
  constexpr int kMinTile = 16;   // frame pixels
  tiles_.clear();
  insides_.clear();
  const std::vector<Box> tiles =
      wide ? frame_tiles(copy_.width, copy_.height, columns_, overlap_) : std::vector<Box>{};
  for (const Box &t : tiles) {
    const Box r = crop_region(copy_, t);  // the view's own origin (rounded for chroma)
    if (r.width < kMinTile || r.height < kMinTile) continue;  // a tiny frame: no face in a tile
    const FrameView view = crop_view(copy_, r);
    const auto ox = static_cast<float>(r.x), oy = static_cast<float>(r.y);
    inner_->prepare(view, inner);
    inner_->run(part_);
    const float x1 = ox + view.width, y1 = oy + view.height;
    // The tile less its inner edges (a frame edge is no cut).
    const float in_x0 = ox > 0 ? ox + kEdge : 0.0f, in_y0 = oy > 0 ? oy + kEdge : 0.0f;
    const float in_x1 = x1 < copy_.width ? x1 - kEdge : static_cast<float>(copy_.width);
    const float in_y1 = y1 < copy_.height ? y1 - kEdge : static_cast<float>(copy_.height);
    insides_.emplace_back(in_x0, in_y0, in_x1 - in_x0, in_y1 - in_y0);
    for (FaceDetection &d : part_) {
      d.box.x += ox;
      d.box.y += oy;
      for (Point &p : d.keypoints) p = Point(p.x + ox, p.y + oy);
      const bool cut = (ox > 0 && d.box.x <= in_x0) || (oy > 0 && d.box.y <= in_y0) ||
                       (x1 < copy_.width && d.box.x + d.box.width >= in_x1) ||
                       (y1 < copy_.height && d.box.y + d.box.height >= in_y1);
      if (!cut) tiles_.push_back(std::move(d));
    }
  }
  faces = merge_views(frame_, tiles_, insides_, frame_score);
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection &a, const FaceDetection &b) {
    return a.box.area() > b.box.area();
  });
  if (params_.max_faces > 0 && faces.size() > static_cast<size_t>(params_.max_faces))
    faces.resize(static_cast<size_t>(params_.max_faces));
}

}  // namespace emo::detect
