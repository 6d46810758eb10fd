// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: drawing on a mapped GstVideoFrame of any raw format GStreamer can blend on:
// images blended with GStreamer's own video-blend (GstVideoOverlayComposition), and regions
// pixelated for privacy, plane by plane at each plane's subsampling.
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

namespace emo::render {

/// Blends `bgra` (premultiplied BGRA, emo/render/text.hpp) with its top-left corner at (x, y)
/// frame pixels; parts outside the frame are clipped. Returns false when GStreamer cannot blend
/// on this format (nothing is drawn then). The frame must be mapped for writing.
bool blend(GstVideoFrame *frame, const cv::Mat &bgra, int x, int y);

/// Pixelates `region` (frame pixels, clipped to the frame) into square blocks of about
/// `block` pixels (>= 2): each block takes the mean of its pixels, on every plane, so colour
/// and luma are both averaged. Works on packed, planar and semi-planar formats whose planes
/// hold whole 8-bit pixels or macro-pixels (RGB/BGR variants, I420, YV12, NV12, NV21, Y42B,
/// Y444, YUY2, UYVY, GRAY8, ...); returns false, changing nothing, for others (e.g. 10-bit).
bool pixelate(GstVideoFrame *frame, const cv::Rect &region, int block);

}  // namespace emo::render
