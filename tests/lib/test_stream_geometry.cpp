// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::gst::StreamGeometry: which caps and tag changes move a stream's pixels.
#include <gtest/gtest.h>

#include "emo/gst/stream_geometry.hpp"

namespace {

GstVideoInfo info_of(const char *caps_string) {
  GstCaps *caps = gst_caps_from_string(caps_string);
  GstVideoInfo info;
  EXPECT_TRUE(caps && gst_video_info_from_caps(&info, caps)) << caps_string;
  if (caps) gst_caps_unref(caps);
  return info;
}

bool orientation(emo::gst::StreamGeometry &g, const char *value) {
  GstTagList *tags = gst_tag_list_new(GST_TAG_IMAGE_ORIENTATION, value, nullptr);
  const bool moved = g.tags(tags);
  gst_tag_list_unref(tags);
  return moved;
}

TEST(StreamGeometry, SizeAspectAndInterlacingMovePixelsFormatAndRateDoNot) {
  gst_init(nullptr, nullptr);
  emo::gst::StreamGeometry g;
  const char *base = "video/x-raw,format=I420,width=640,height=480,framerate=25/1";
  EXPECT_FALSE(g.caps(info_of(base)));  // the first caps
  EXPECT_FALSE(g.caps(info_of(base)));
  EXPECT_FALSE(g.caps(info_of("video/x-raw,format=YUY2,width=640,height=480,framerate=30/1")));
  EXPECT_FALSE(
      g.caps(info_of("video/x-raw,format=GRAY8,width=640,height=480,"
                     "pixel-aspect-ratio=2/2")));  // 1:1 written otherwise
  EXPECT_TRUE(g.caps(info_of("video/x-raw,format=GRAY8,width=1280,height=720")));
  EXPECT_TRUE(g.caps(info_of("video/x-raw,format=GRAY8,width=1280,height=721")));
  EXPECT_TRUE(
      g.caps(info_of("video/x-raw,format=GRAY8,width=1280,height=721,"
                     "pixel-aspect-ratio=4/3")));
  EXPECT_FALSE(
      g.caps(info_of("video/x-raw,format=GRAY8,width=1280,height=721,"
                     "pixel-aspect-ratio=8/6")));
  EXPECT_TRUE(
      g.caps(info_of("video/x-raw,format=GRAY8,width=1280,height=721,"
                     "pixel-aspect-ratio=4/3,interlace-mode=interleaved")));
  g.reset();  // a new stream: its first caps are no change
  EXPECT_FALSE(g.caps(info_of(base)));
}

TEST(StreamGeometry, ANewImageOrientationMovesPixels) {
  gst_init(nullptr, nullptr);
  emo::gst::StreamGeometry g;
  EXPECT_FALSE(orientation(g, "rotate-0"));  // before any caps
  g.caps(info_of("video/x-raw,format=I420,width=640,height=480"));
  EXPECT_FALSE(orientation(g, "rotate-0"));  // the default, said again
  EXPECT_TRUE(orientation(g, "rotate-90"));
  EXPECT_FALSE(orientation(g, "rotate-90"));
  GstTagList *other = gst_tag_list_new(GST_TAG_TITLE, "no orientation", nullptr);
  EXPECT_FALSE(g.tags(other));  // other tags change nothing
  gst_tag_list_unref(other);
  EXPECT_TRUE(orientation(g, "flip-rotate-90"));
  EXPECT_FALSE(g.tags(nullptr));
}

}  // namespace
