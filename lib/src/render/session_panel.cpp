// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the session panel (see emo/render/session_panel.hpp).
#include "emo/render/session_panel.hpp"

#include <algorithm>

namespace emo::render {
namespace {
constexpr std::uint32_t kWhite = 0xFFFFFF;
constexpr std::uint32_t kRecRed = 0xFF3B30;
constexpr std::uint32_t kErrorAmber = 0xFFB347;
}  // namespace

const Rendered &PanelCache::get(std::int64_t track_id, const std::string &key,
                                const std::function<Rendered()> &render) {
  if (entries_.size() > 64) entries_.clear();  // tracks come and go: stay small
  auto &entry = entries_[track_id];
  if (entry.first != key || entry.second.bgra.empty()) entry = {key, render()};
  return entry.second;
}

PlacedPanel render_session_panel(const SessionView &view, std::int64_t running_time,
                                 const cv::Size &frame, PanelPlace place, const cv::Rect &box,
                                 PanelCache *cache) {
  PlacedPanel out;
  const bool under_box = place == PanelPlace::UnderBox;
  const double scale = under_box ? 0.8 : 1.0;
  const double h = frame.height;
  TextBlock status{session_status_line(view, running_time), std::max(12.0, h / 24.0) * scale,
                   kWhite, true};
  if (view.recording) status.first_char_rgb = kRecRed;
  TextBlock reading{session_reading(view), std::max(11.0, h / 30.0) * scale,
                    session_reading_is_error(view) ? kErrorAmber : kWhite};
  reading.max_lines = under_box ? 3 : 6;
  const int margin = std::max(4, frame.height / 40);
  PanelStyle style;
  style.padding = std::max(4, cvRound(status.size_px * 0.4));
  style.max_width = under_box ? std::min(frame.width - 2 * margin, std::max(box.width * 2, 240))
                              : frame.width - 2 * margin;
  if (style.max_width - 2 * style.padding < 8) return out;
  if (cache) {
    const std::string key = status.text + '\x1f' + reading.text + '\x1f' +
                            std::to_string(reading.rgb) + '\x1f' + std::to_string(style.max_width) +
                            'x' + std::to_string(frame.height);
    out.image = cache->get(view.track_id, key, [&] {
      return render_panel({status, reading}, style);
    });
  } else {
    out.image = render_panel({status, reading}, style);
  }
  const cv::Mat &img = out.image.bgra;
  if (img.empty()) return out;
  if (!under_box) {
    out.at = cv::Point(margin, std::max(0, frame.height - margin - img.rows));
    return out;
  }
  const int x =
      std::clamp(box.x + box.width / 2 - img.cols / 2, 0, std::max(0, frame.width - img.cols));
  int y = box.y + box.height + margin / 2;
  if (y + img.rows > frame.height) y = std::max(0, box.y - margin / 2 - img.rows);
  out.at = cv::Point(x, y);
  return out;
}

}  // namespace emo::render
