// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: forgetting lost tracks, shared by the per-track states of emo/classify (the label
// hysteresis, the surprise check). Private to the library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace emo::detail {

/// Erases the entries of `tracks` (a map whose values have a `last_frame`, the frame count when
/// the track was last updated) not updated for more than `max_missed` frames before `frame`.
template <typename Map>
void forget_missed_tracks(Map &tracks, std::uint64_t frame, int max_missed) {
  const auto limit = static_cast<std::uint64_t>(std::max(max_missed, 0)) + 1;
  for (auto it = tracks.begin(); it != tracks.end();)
    it = frame - it->second.last_frame > limit ? tracks.erase(it) : std::next(it);
}

}  // namespace emo::detail
