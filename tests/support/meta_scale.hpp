// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: what a scaling element (videoconvertscale) does to a buffer's metas.
#pragma once

#include <gst/video/video.h>

namespace emo::test {

/// Copies every meta of `src` to `dest` with its transform for a video scale from a
/// `in_width` x `in_height` I420 frame to an `out_width` x `out_height` RGB frame (pixels).
inline void scale_metas(GstBuffer *dest, GstBuffer *src, int in_width, int in_height, int out_width,
                        int out_height) {
  GstVideoInfo in, out;
  gst_video_info_set_format(&in, GST_VIDEO_FORMAT_I420, in_width, in_height);
  gst_video_info_set_format(&out, GST_VIDEO_FORMAT_RGB, out_width, out_height);
  GstVideoMetaTransform trans{&in, &out};
  gpointer state = nullptr;
  GstMeta *m = nullptr;
  while ((m = gst_buffer_iterate_meta(src, &state)))
    m->info->transform_func(dest, m, src, gst_video_meta_transform_scale_get_quark(), &trans);
}

}  // namespace emo::test
