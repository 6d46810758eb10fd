// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: Pango/Cairo text rendering (see emo/render/text.hpp).
#include "emo/render/text.hpp"

#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace emo::render {
namespace {

struct CairoDeleter {
  void operator()(cairo_surface_t *s) const { cairo_surface_destroy(s); }
  void operator()(cairo_t *c) const { cairo_destroy(c); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, CairoDeleter>;
struct GObjectDeleter {
  void operator()(gpointer p) const { g_object_unref(p); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectDeleter>;
struct FontDeleter {
  void operator()(PangoFontDescription *d) const { pango_font_description_free(d); }
};
using FontPtr = std::unique_ptr<PangoFontDescription, FontDeleter>;

SurfacePtr make_surface(int width, int height) {
  SurfacePtr s(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height));
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error("cairo: cannot make a " + std::to_string(width) + "x" +
                             std::to_string(height) + " image");
  return s;
}

void set_rgb(cairo_t *cr, std::uint32_t rgb, double alpha = 1.0) {
  cairo_set_source_rgba(cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                        (rgb & 0xFF) / 255.0, alpha);
}

/* The surface's pixels as a CV_8UC4 copy (Cairo's ARGB32 is B, G, R, A in memory on a
 * little-endian machine). */
cv::Mat to_mat(cairo_surface_t *s) {
  cairo_surface_flush(s);
  const cv::Mat view(cairo_image_surface_get_height(s), cairo_image_surface_get_width(s), CV_8UC4,
                     cairo_image_surface_get_data(s),
                     static_cast<size_t>(cairo_image_surface_get_stride(s)));
  return view.clone();
}

LayoutPtr block_layout(cairo_t *cr, const TextBlock &block, const std::string &font, int width) {
  if (!(block.size_px > 0)) throw std::invalid_argument("text size must be > 0 pixels");
  LayoutPtr layout(pango_cairo_create_layout(cr));
  FontPtr desc(pango_font_description_from_string(font.c_str()));
  pango_font_description_set_absolute_size(desc.get(), block.size_px * PANGO_SCALE);
  if (block.bold) pango_font_description_set_weight(desc.get(), PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description(layout.get(), desc.get());
  pango_layout_set_width(layout.get(), width * PANGO_SCALE);
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  if (block.max_lines > 0) {
    pango_layout_set_height(layout.get(), -block.max_lines);
    pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  }
  pango_layout_set_text(layout.get(), block.text.c_str(), static_cast<int>(block.text.size()));
  if (block.first_char_rgb && !block.text.empty()) {
    PangoAttrList *attrs = pango_attr_list_new();
    const std::uint32_t c = block.first_char_rgb;
    PangoAttribute *a = pango_attr_foreground_new(static_cast<guint16>(((c >> 16) & 0xFF) * 257),
                                                  static_cast<guint16>(((c >> 8) & 0xFF) * 257),
                                                  static_cast<guint16>((c & 0xFF) * 257));
    a->start_index = 0;
    a->end_index = static_cast<guint>(g_utf8_next_char(block.text.c_str()) - block.text.c_str());
    pango_attr_list_insert(attrs, a);
    pango_layout_set_attributes(layout.get(), attrs);
    pango_attr_list_unref(attrs);
  }
  return layout;
}

void rounded_rectangle(cairo_t *cr, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, w - r, r, r, -M_PI / 2, 0);
  cairo_arc(cr, w - r, h - r, r, 0, M_PI / 2);
  cairo_arc(cr, r, h - r, r, M_PI / 2, M_PI);
  cairo_arc(cr, r, r, r, M_PI, 3 * M_PI / 2);
  cairo_close_path(cr);
}

}  // namespace

Rendered render_panel(const std::vector<TextBlock> &blocks, const PanelStyle &style) {
  const int inner = style.max_width - 2 * style.padding;
  if (style.padding < 0 || inner < 8)
    throw std::invalid_argument("panel width " + std::to_string(style.max_width) +
                                " too small for padding " + std::to_string(style.padding));
  SurfacePtr scratch = make_surface(1, 1);
  ContextPtr measure(cairo_create(scratch.get()));
  std::vector<LayoutPtr> layouts;
  std::vector<int> heights;
  int width = 0, height = 0;
  Rendered out;
  for (const TextBlock &b : blocks) {
    if (b.text.empty()) continue;
    layouts.push_back(block_layout(measure.get(), b, style.font, inner));
    PangoRectangle logical;
    pango_layout_get_pixel_extents(layouts.back().get(), nullptr, &logical);
    width = std::max(width, logical.width);
    heights.push_back(logical.height);
    height += logical.height;
    out.unknown_glyphs += pango_layout_get_unknown_glyphs_count(layouts.back().get());
  }
  if (layouts.empty()) return out;
  const int spacing = std::max(1, style.padding / 2);
  const int w = width + 2 * style.padding;
  const int h = height + 2 * style.padding + spacing * static_cast<int>(layouts.size() - 1);
  SurfacePtr surface = make_surface(w, h);
  ContextPtr cr(cairo_create(surface.get()));
  if (style.background_alpha > 0) {
    set_rgb(cr.get(), style.background, std::clamp(style.background_alpha, 0.0, 1.0));
    rounded_rectangle(cr.get(), w, h, std::min(style.padding, h / 2));
    cairo_fill(cr.get());
  }
  double y = style.padding;
  size_t i = 0;
  for (const TextBlock &b : blocks) {
    if (b.text.empty()) continue;
    set_rgb(cr.get(), b.rgb);
    cairo_move_to(cr.get(), style.padding, y);
    pango_cairo_update_layout(cr.get(), layouts[i].get());
    pango_cairo_show_layout(cr.get(), layouts[i].get());
    y += heights[i] + spacing;
    ++i;
  }
  out.bgra = to_mat(surface.get());
  return out;
}

Rendered render_line(const std::string &text, const std::string &font_description) {
  SurfacePtr scratch = make_surface(1, 1);
  ContextPtr measure(cairo_create(scratch.get()));
  LayoutPtr layout(pango_cairo_create_layout(measure.get()));
  FontPtr desc(pango_font_description_from_string(font_description.c_str()));
  pango_layout_set_font_description(layout.get(), desc.get());
  pango_layout_set_text(layout.get(), text.c_str(), static_cast<int>(text.size()));
  PangoRectangle logical;
  pango_layout_get_pixel_extents(layout.get(), nullptr, &logical);
  Rendered out;
  out.unknown_glyphs = pango_layout_get_unknown_glyphs_count(layout.get());
  SurfacePtr surface = make_surface(std::max(1, logical.width), std::max(1, logical.height));
  ContextPtr cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  pango_cairo_update_layout(cr.get(), layout.get());
  pango_cairo_show_layout(cr.get(), layout.get());
  out.bgra = to_mat(surface.get());
  return out;
}

}  // namespace emo::render
