// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the session panel emooverlay draws (docs/session-overlay.md): the status line
// ("● REC 17 / 30 s · happiness · analysing…") and under it Gemini's last reading or the
// error state, word-wrapped, sized after the frame so it stays legible from 640x480 to 1080p.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "emo/render/text.hpp"
#include "emo/session/overlay_state.hpp"

namespace emo::render {

/// Where a panel goes.
enum class PanelPlace {
  Bottom,    ///< across the bottom of the frame (the followed face's session)
  UnderBox,  ///< under (or, without room, over) a face's box, at most twice its width
};

/// A panel ready to blend: its image and top-left corner in frame pixels.
struct PlacedPanel {
  Rendered image;
  cv::Point at;
};

/// The panels of the last frames, one per track: a panel is laid out and drawn again only when
/// its text or size changed (the status line changes once a second), else the same image is
/// blended again. Not thread-safe (one streaming thread).
class PanelCache {
 public:
  /// The image for `key` of `track_id`: the cached one, or render()'s, then cached.
  const Rendered &get(std::int64_t track_id, const std::string &key,
                      const std::function<Rendered()> &render);
  void clear() { entries_.clear(); }

 private:
  std::map<std::int64_t, std::pair<std::string, Rendered>> entries_;
};

/// Renders the panel of `view` on a frame of `frame` size at `running_time` (-1: unknown).
/// Sizes: status text frame height / 24 (at least 12 px), reading / 30 (at least 11 px);
/// Bottom: reading up to 6 lines, the panel as wide as the frame less a margin of height / 40;
/// UnderBox (`box` in frame pixels): reading up to 3 lines at 0.8 of those sizes. An empty
/// image when there is nothing to show. With `cache`, an unchanged panel is not rendered again.
PlacedPanel render_session_panel(const SessionView &view, std::int64_t running_time,
                                 const cv::Size &frame, PanelPlace place,
                                 const cv::Rect &box = cv::Rect(), PanelCache *cache = nullptr);

}  // namespace emo::render
