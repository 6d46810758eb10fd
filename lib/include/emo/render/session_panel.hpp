// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the session panel emooverlay draws (docs/session-overlay.md): the status line
// ("● REC 17 / 30 s · happiness · analysing…") and under it Gemini's last reading or the
// error state, word-wrapped, sized after the frame so it stays legible from 640x480 to 1080p.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>

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

/// Renders the panel of `view` on a frame of `frame` size at `running_time` (-1: unknown).
/// Sizes: status text frame height / 24 (at least 12 px), reading / 30 (at least 11 px);
/// Bottom: reading up to 6 lines, the panel as wide as the frame less a margin of height / 40;
/// UnderBox (`box` in frame pixels): reading up to 3 lines at 0.8 of those sizes. An empty
/// image when there is nothing to show.
PlacedPanel render_session_panel(const SessionView &view, std::int64_t running_time,
                                 const cv::Size &frame, PanelPlace place,
                                 const cv::Rect &box = cv::Rect());

}  // namespace emo::render
