// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: blending and pixelating on GstVideoFrames (see emo/render/frame.hpp).
#include "emo/render/frame.hpp"

#include <algorithm>
#include <cstring>

namespace emo::render {

bool blend(GstVideoFrame *frame, const cv::Mat &bgra, int x, int y) {
  if (bgra.empty() || bgra.type() != CV_8UC4) return false;
  const cv::Rect inside =
      cv::Rect(x, y, bgra.cols, bgra.rows) &
      cv::Rect(0, 0, GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
  if (inside.empty()) return true;  // nothing of it is on the frame
  const cv::Mat part = bgra(inside - cv::Point(x, y));
  const gsize row = static_cast<gsize>(part.cols) * 4;
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, row * part.rows, nullptr);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
    gst_buffer_unref(buffer);
    return false;
  }
  for (int r = 0; r < part.rows; ++r) std::memcpy(map.data + row * r, part.ptr(r), row);
  gst_buffer_unmap(buffer, &map);
  /* GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB is BGRA in memory on little-endian machines, as
   * Cairo's ARGB32; the premultiplied flag says so for the alpha. */
  gst_buffer_add_video_meta(buffer, GST_VIDEO_FRAME_FLAG_NONE,
                            GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, part.cols, part.rows);
  GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw(
      buffer, inside.x, inside.y, static_cast<guint>(part.cols), static_cast<guint>(part.rows),
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref(buffer);
  GstVideoOverlayComposition *composition = gst_video_overlay_composition_new(rect);
  gst_video_overlay_rectangle_unref(rect);
  const bool ok = gst_video_overlay_composition_blend(composition, frame);
  gst_video_overlay_composition_unref(composition);
  return ok;
}

bool pixelate(GstVideoFrame *frame, const cv::Rect &region, int block) {
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  if (GST_VIDEO_FORMAT_INFO_IS_TILED(finfo) || GST_VIDEO_FORMAT_INFO_HAS_PALETTE(finfo) ||
      GST_VIDEO_FORMAT_INFO_IS_COMPLEX(finfo))
    return false;
  for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS(finfo); ++c)
    if (GST_VIDEO_FORMAT_INFO_DEPTH(finfo, c) != 8) return false;
  const cv::Rect r =
      region & cv::Rect(0, 0, GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
  if (r.empty()) return true;
  block = std::max(2, block + (block & 1));  // even: chroma blocks line up with luma ones
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(frame); ++p) {
    /* The plane's widest pixel: a macro-pixel for packed 4:2:2 (YUY2's U: 4 bytes for 2
     * pixels), the interleaved chroma pair for NV12, the whole pixel for packed RGB. */
    int comp = -1;
    for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS(finfo); ++c)
      if (GST_VIDEO_FORMAT_INFO_PLANE(finfo, c) == p &&
          (comp < 0 ||
           GST_VIDEO_FORMAT_INFO_PSTRIDE(finfo, c) > GST_VIDEO_FORMAT_INFO_PSTRIDE(finfo, comp)))
        comp = static_cast<int>(c);
    if (comp < 0) continue;
    const int pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE(finfo, comp);
    if (pstride < 1 || pstride > 4) return false;
    const int wsub = GST_VIDEO_FORMAT_INFO_W_SUB(finfo, comp);
    const int hsub = GST_VIDEO_FORMAT_INFO_H_SUB(finfo, comp);
    cv::Mat plane(GST_VIDEO_FRAME_COMP_HEIGHT(frame, comp), GST_VIDEO_FRAME_COMP_WIDTH(frame, comp),
                  CV_8UC(pstride), GST_VIDEO_FRAME_PLANE_DATA(frame, p),
                  static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(frame, p)));
    /* Cells on the frame's grid of `block` pixels, mapped to the plane (rounded outwards). */
    for (int y0 = r.y - r.y % block; y0 < r.y + r.height; y0 += block) {
      for (int x0 = r.x - r.x % block; x0 < r.x + r.width; x0 += block) {
        const cv::Rect cell = cv::Rect(x0, y0, block, block) & r;
        const int px0 = cell.x >> wsub, py0 = cell.y >> hsub;
        const int px1 = -((-(cell.x + cell.width)) >> wsub);
        const int py1 = -((-(cell.y + cell.height)) >> hsub);
        const cv::Rect pcell =
            cv::Rect(px0, py0, px1 - px0, py1 - py0) & cv::Rect(0, 0, plane.cols, plane.rows);
        if (pcell.empty()) continue;
        cv::Mat roi = plane(pcell);
        roi.setTo(cv::mean(roi));
      }
    }
  }
  return true;
}

}  // namespace emo::render
