// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-render: text rendered with Pango/Cairo, accents included, checked pixel by pixel against
// the same string rendered independently by `pango-view` (Pango's own command-line renderer);
// panels word-wrapped to a width; blending and pixelating on frames of several formats.
#include <gtest/gtest.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <string>

#include "emo/render/frame.hpp"
#include "emo/render/session_panel.hpp"
#include "emo/render/text.hpp"

namespace {

const std::string kSpanish = "¿Cómo te sientes? ¡Año nuevo, pingüino!";
const std::string kFont = "DejaVu Sans 20";

/* `text` rendered by pango-view as white on black grey levels (CV_8U). */
cv::Mat pango_view(const std::string &text, const std::string &font) {
  gchar *dir = g_dir_make_tmp("emo-render-XXXXXX", nullptr);
  const std::string png = std::string(dir) + "/text.png";
  const std::string font_arg = "--font=" + font, text_arg = "--text=" + text,
                    out_arg = "--output=" + png;
  const gchar *argv[] = {EMO_PANGO_VIEW,
                         "-q",
                         "--margin=0",
                         "--background=black",
                         "--foreground=white",
                         font_arg.c_str(),
                         text_arg.c_str(),
                         out_arg.c_str(),
                         nullptr};
  gint status = 0;
  GError *error = nullptr;
  const bool ran = g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr, G_SPAWN_DEFAULT,
                                nullptr, nullptr, nullptr, nullptr, &status, &error);
  EXPECT_TRUE(ran) << (error ? error->message : "");
  if (error) g_error_free(error);
  EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr));
  cv::Mat grey = cv::imread(png, cv::IMREAD_GRAYSCALE);
  g_unlink(png.c_str());
  g_rmdir(dir);
  g_free(dir);
  return grey;
}

cv::Mat alpha(const cv::Mat &bgra) {
  cv::Mat a;
  cv::extractChannel(bgra, a, 3);
  return a;
}

TEST(RenderTest, SpanishTextMatchesPangoViewPixels) {
  const emo::render::Rendered ours = emo::render::render_line(kSpanish, kFont);
  EXPECT_EQ(ours.unknown_glyphs, 0);
  const cv::Mat reference = pango_view(kSpanish, kFont);
  ASSERT_FALSE(reference.empty());
  const cv::Mat a = alpha(ours.bgra);
  ASSERT_EQ(a.size(), reference.size());
  cv::Mat diff;
  cv::absdiff(a, reference, diff);
  const double ink = cv::countNonZero(reference > 64);
  EXPECT_GT(ink, 500);  // the string is really there
  EXPECT_LT(cv::mean(diff)[0], 2.0);
  EXPECT_LT(cv::countNonZero(diff > 48), 0.01 * ink);
}

/* The accented letter differs from the plain one above the letters only (an accent, a tilde,
 * a diaeresis), and ¿¡ differ from ?! (a real glyph, not a missing-glyph box). */
TEST(RenderTest, AccentsAndInvertedMarksAreDrawn) {
  for (const auto &[accented, plain] :
       std::vector<std::pair<std::string, std::string>>{{"Cómo", "Como"},
                                                        {"Año", "Ano"},
                                                        {"pingüino", "pinguino"},
                                                        {"¿Qué", "?Que"},
                                                        {"¡Sí", "!Si"}}) {
    SCOPED_TRACE(accented);
    const emo::render::Rendered a = emo::render::render_line(accented, kFont);
    const emo::render::Rendered b = emo::render::render_line(plain, kFont);
    EXPECT_EQ(a.unknown_glyphs, 0);
    ASSERT_EQ(a.bgra.size(), b.bgra.size());
    cv::Mat diff;
    cv::absdiff(alpha(a.bgra), alpha(b.bgra), diff);
    EXPECT_GT(cv::countNonZero(diff > 64), 10);
  }
  const emo::render::Rendered o = emo::render::render_line("Como", kFont);
  const emo::render::Rendered oo = emo::render::render_line("Cómo", kFont);
  cv::Mat diff;
  cv::absdiff(alpha(o.bgra), alpha(oo.bgra), diff);
  const cv::Rect where = cv::boundingRect(diff > 64);
  // The acute accent sits above the x-height: in the upper half of the line.
  EXPECT_LT(where.y + where.height, o.bgra.rows / 2 + 2);
}

TEST(RenderTest, PanelWrapsToItsWidthAndCapsItsLines) {
  const std::string reading =
      "Parece que hoy estás más tranquilo que ayer; me alegra verte sonreír cuando hablas de tu "
      "nuevo trabajo. ¿Qué es lo que más te ilusiona?";
  emo::render::PanelStyle style;
  style.max_width = 300;
  emo::render::TextBlock status{"\u25CF REC 17 / 30 s \u00B7 happiness", 20, 0xFFFFFF, true};
  status.first_char_rgb = 0xFF3B30;
  emo::render::TextBlock text{reading, 16};
  const emo::render::Rendered one = emo::render::render_panel({status}, style);
  const emo::render::Rendered both = emo::render::render_panel({status, text}, style);
  EXPECT_EQ(both.unknown_glyphs, 0);
  EXPECT_LE(both.bgra.cols, 300);
  EXPECT_GT(both.bgra.rows, one.bgra.rows + 4 * 16);  // several lines
  text.max_lines = 2;
  const emo::render::Rendered capped = emo::render::render_panel({status, text}, style);
  EXPECT_LT(capped.bgra.rows, both.bgra.rows);
  EXPECT_GT(capped.bgra.rows, one.bgra.rows + 2 * 16);
  // The REC dot is red: some pixel of the first line has red far above green.
  cv::Mat bgr;
  cv::cvtColor(both.bgra, bgr, cv::COLOR_BGRA2BGR);
  std::vector<cv::Mat> ch;
  cv::split(bgr, ch);
  EXPECT_GT(cv::countNonZero((ch[2] > 200) & (ch[1] < 100)), 20);
  EXPECT_TRUE(emo::render::render_panel({}, style).bgra.empty());
  style.max_width = 10;
  EXPECT_THROW(emo::render::render_panel({status}, style), std::invalid_argument);
}

/* A frame of `format` (`w` x `h`) filled with mid grey, mapped for writing. */
struct TestFrame {
  TestFrame(GstVideoFormat format, int w, int h) {
    gst_init(nullptr, nullptr);  // idempotent
    gst_video_info_set_format(&info, format, w, h);
    buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
    gst_buffer_memset(buffer, 0, 128, GST_VIDEO_INFO_SIZE(&info));
    EXPECT_TRUE(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READWRITE));
  }
  ~TestFrame() {
    gst_video_frame_unmap(&frame);
    gst_buffer_unref(buffer);
  }
  cv::Mat plane0() {
    return cv::Mat(GST_VIDEO_FRAME_HEIGHT(&frame),
                   GST_VIDEO_FRAME_WIDTH(&frame) * GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, 0), CV_8UC1,
                   GST_VIDEO_FRAME_PLANE_DATA(&frame, 0), GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0));
  }
  GstVideoInfo info;
  GstBuffer *buffer;
  GstVideoFrame frame;
};

TEST(RenderTest, BlendDrawsOnlyInsideItsRectangleOnEveryFormat) {
  emo::render::PanelStyle style;
  style.max_width = 200;
  const emo::render::Rendered panel = emo::render::render_panel({{"Año ñ", 24}}, style);
  for (GstVideoFormat f : {GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_BGRx,
                           GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_GRAY8}) {
    SCOPED_TRACE(gst_video_format_to_string(f));
    TestFrame t(f, 320, 240);
    const cv::Mat before = t.plane0().clone();
    ASSERT_TRUE(emo::render::blend(&t.frame, panel.bgra, 40, 30));
    cv::Mat changed = t.plane0() != before;
    const int ps = GST_VIDEO_FRAME_COMP_PSTRIDE(&t.frame, 0);
    const cv::Rect inside(40 * ps, 30, panel.bgra.cols * ps, panel.bgra.rows);
    EXPECT_GT(cv::countNonZero(changed(inside)), 100);
    // 4:2:2 packing: the macro-pixel at an odd right edge is repacked whole.
    changed(cv::Rect(inside.x, inside.y, inside.width + 2 * ps, inside.height)).setTo(0);
    EXPECT_EQ(cv::countNonZero(changed), 0);
    // Partly outside the frame: clipped, no crash.
    EXPECT_TRUE(emo::render::blend(&t.frame, panel.bgra, -50, 220));
  }
}

TEST(RenderTest, PixelateAveragesBlocksInsideTheRegionOnly) {
  for (GstVideoFormat f : {GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_BGRx,
                           GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_GRAY8}) {
    SCOPED_TRACE(gst_video_format_to_string(f));
    TestFrame t(f, 320, 240);
    cv::Mat p0 = t.plane0();
    cv::randu(p0, 0, 256);
    const cv::Mat before = p0.clone();
    const cv::Rect region(64, 48, 96, 80);
    ASSERT_TRUE(emo::render::pixelate(&t.frame, region, 16));
    const int ps = GST_VIDEO_FRAME_COMP_PSTRIDE(&t.frame, 0);
    cv::Mat changed = p0 != before;
    const cv::Rect inside(region.x * ps, region.y, region.width * ps, region.height);
    EXPECT_GT(cv::countNonZero(changed(inside)), inside.area() / 2);
    changed(inside).setTo(0);
    EXPECT_EQ(cv::countNonZero(changed), 0);
    if (ps == 1) {  // one 16 x 16 block is flat
      cv::Mat block = p0(cv::Rect(64, 48, 16, 16));
      double lo, hi;
      cv::minMaxLoc(block, &lo, &hi);
      EXPECT_EQ(lo, hi);
    }
  }
  TestFrame t(GST_VIDEO_FORMAT_v210, 48, 16);
  EXPECT_FALSE(emo::render::pixelate(&t.frame, cv::Rect(0, 0, 16, 16), 8));
}

}  // namespace

namespace {

TEST(RenderTest, PanelCacheRendersAgainOnlyWhenTheTextChanges) {
  emo::SessionView view;
  view.recording = true;
  view.window_length = 30 * emo::kSecond;
  view.elapsed = 3 * emo::kSecond + 100;
  view.dominant = "happiness";
  emo::render::PanelCache cache;
  const cv::Size frame(640, 480);
  using emo::render::PanelPlace;
  const auto a = emo::render::render_session_panel(view, -1, frame, PanelPlace::Bottom, {}, &cache);
  const auto b = emo::render::render_session_panel(view, -1, frame, PanelPlace::Bottom, {}, &cache);
  ASSERT_FALSE(a.image.bgra.empty());
  EXPECT_EQ(a.image.bgra.data, b.image.bgra.data) << "the same text is not rendered again";
  view.elapsed = 4 * emo::kSecond;  // "REC 4 / 30 s"
  const auto c = emo::render::render_session_panel(view, -1, frame, PanelPlace::Bottom, {}, &cache);
  EXPECT_NE(c.image.bgra.data, a.image.bgra.data);
  // Same pixels as without the cache.
  const auto d = emo::render::render_session_panel(view, -1, frame, PanelPlace::Bottom);
  EXPECT_EQ(cv::norm(c.image.bgra, d.image.bgra, cv::NORM_INF), 0.0);
  EXPECT_EQ(c.at, d.at);
}

}  // namespace
