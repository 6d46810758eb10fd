// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: text on video with a real text renderer (Pango for layout and shaping, Cairo for
// pixels, as GStreamer's textoverlay), so accents, ¿ ¡ ñ and non-Latin scripts come out right;
// OpenCV's Hershey fonts have ASCII only. Used by emooverlay for the session panel.
// No GStreamer types: the result is an image, blended onto frames by emo/render/frame.hpp.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace emo::render {

/// A run of text in a panel: UTF-8 plain text (not markup), its pixel size and colour.
struct TextBlock {
  std::string text;
  double size_px = 16.0;         ///< font size in pixels (em height), > 0
  std::uint32_t rgb = 0xFFFFFF;  ///< 0xRRGGBB
  bool bold = false;
  int max_lines = 0;                 ///< > 0: at most this many lines, the last ends in "…"
  std::uint32_t first_char_rgb = 0;  ///< non-0: colour of the first character (the REC dot)
};

/// A panel: blocks one under the other, word-wrapped to `max_width` pixels (on spaces, or
/// anywhere in a word longer than a line), on a rounded rectangle of `background` at
/// `background_alpha` with `padding` pixels around the text.
struct PanelStyle {
  int max_width = 600;                  ///< width of the panel at most, pixels, > 2 * padding
  int padding = 8;                      ///< pixels
  std::string font = "DejaVu Sans";     ///< a Pango font family list (fontconfig names)
  std::uint32_t background = 0x000000;  ///< 0xRRGGBB
  double background_alpha = 0.6;        ///< [0, 1]; 0: no background
};

/// A rendered image: premultiplied BGRA (Cairo's ARGB32 on a little-endian machine, which is
/// what GstVideoOverlayRectangle takes), CV_8UC4, its size the text's ink and padding.
struct Rendered {
  cv::Mat bgra;
  int unknown_glyphs = 0;  ///< characters the font could not draw (Pango's count): 0 is right
};

/// Renders the blocks of a panel. An empty list, or blocks of empty text only, give an empty
/// image. Throws std::invalid_argument for a size <= 0 or a width too small for the padding,
/// std::runtime_error when Cairo cannot make the image.
Rendered render_panel(const std::vector<TextBlock> &blocks, const PanelStyle &style);

/// Renders `text` in white on transparent with a Pango font description such as
/// "DejaVu Sans 20" (points at 96 dpi, as `pango-view`), without wrapping or padding, at the
/// layout's logical size: the same pixels as `pango-view --font=FONT --margin=0` gives as grey
/// levels (the tests compare them).
Rendered render_line(const std::string &text, const std::string &font_description);

}  // namespace emo::render
