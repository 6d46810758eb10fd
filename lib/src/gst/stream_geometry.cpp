// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: tells when a stream's pixels move (see stream_geometry.hpp).
#include "emo/gst/stream_geometry.hpp"

#include <cstring>

namespace emo::gst {

bool StreamGeometry::caps(const GstVideoInfo &info) {
  const gint width = GST_VIDEO_INFO_WIDTH(&info), height = GST_VIDEO_INFO_HEIGHT(&info);
  gint par_n = GST_VIDEO_INFO_PAR_N(&info), par_d = GST_VIDEO_INFO_PAR_D(&info);
  if (par_n <= 0 || par_d <= 0) par_n = par_d = 1;
  const GstVideoInterlaceMode interlace = GST_VIDEO_INFO_INTERLACE_MODE(&info);
  const GstVideoMultiviewMode multiview = GST_VIDEO_INFO_MULTIVIEW_MODE(&info);
  const gint views = GST_VIDEO_INFO_VIEWS(&info);
  // 4:3 and 8:6 are the same aspect: compare the cross products.
  const bool moved =
      have_caps_ && (width != width_ || height != height_ ||
                     static_cast<gint64>(par_n) * par_d_ != static_cast<gint64>(par_n_) * par_d ||
                     interlace != interlace_ || multiview != multiview_ || views != views_);
  have_caps_ = true;
  width_ = width;
  height_ = height;
  par_n_ = par_n;
  par_d_ = par_d;
  interlace_ = interlace;
  multiview_ = multiview;
  views_ = views;
  return moved;
}

bool StreamGeometry::tags(const GstTagList *tags) {
  gchar *orientation = nullptr;
  if (!tags || !gst_tag_list_get_string(tags, GST_TAG_IMAGE_ORIENTATION, &orientation))
    return false;
  const bool changed = std::strncmp(orientation, orientation_, sizeof(orientation_) - 1) != 0;
  g_strlcpy(orientation_, orientation, sizeof(orientation_));
  g_free(orientation);
  return changed && have_caps_;
}

void StreamGeometry::reset() {
  have_caps_ = false;
  g_strlcpy(orientation_, "rotate-0", sizeof(orientation_));
}

}  // namespace emo::gst
