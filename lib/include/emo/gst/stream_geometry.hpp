// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: tells when a stream's pixels move (a caps change of frame size, pixel aspect ratio,
// interlacing or views, or a new image orientation): per-face state must end then, like at a
// shot cut.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

namespace emo::gst {

/// The geometry of a video stream's pixels, as the caps and the stream's tags give it.
///
/// A change of any of these moves every pixel, so that boxes, tracks and per-face state of
/// the frames before it mean nothing in the frames after it: frame width and height (pixels),
/// pixel aspect ratio, interlace mode, multiview mode and number of views (caps), and the
/// image orientation (GST_TAG_IMAGE_ORIENTATION: "rotate-90", "flip-rotate-0", ...; a stream
/// without one is "rotate-0"). The pixel format, colorimetry and frame rate move no pixel
/// and are no change. Not thread-safe: used by one element's streaming thread.
class StreamGeometry {
 public:
  /// Records the caps of the frames that follow. True when they move the pixels of the frames
  /// before them (never for the first caps of a stream).
  bool caps(const GstVideoInfo &info);
  /// Records a tag list of the stream (GST_EVENT_TAG); tag lists without an image orientation
  /// change nothing. True when the orientation differs from the stream's previous one and
  /// frames were seen since (caps recorded).
  bool tags(const GstTagList *tags);
  /// A new stream (STREAM_START): its first caps and orientation are no change.
  void reset();

 private:
  bool have_caps_ = false;
  gint width_ = 0, height_ = 0, par_n_ = 1, par_d_ = 1, views_ = 1;
  GstVideoInterlaceMode interlace_ = GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;
  GstVideoMultiviewMode multiview_ = GST_VIDEO_MULTIVIEW_MODE_NONE;
  gchar orientation_[32] = "rotate-0";
};

}  // namespace emo::gst
