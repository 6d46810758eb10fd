// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: a session per person (emosession follow=all): one WindowAggregator per track, fed
// only the frames its face is on, so each person gets their own windows. No GStreamer types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "emo/session/session.hpp"

namespace emo {

/// A window of one track, numbered across every track of the run (`window.index` is unique in
/// the run, so (session, index) stays a record's key).
struct TrackWindow {
  std::int64_t track_id = -1;
  EmotionWindow window;
};

/// Windows per track. A track opens its first window on the first frame its labelled face is
/// on; the frames it is missing from are not fed to it, so its samples there are "none" and,
/// when it has been away for more than `max_gap` (twice the sample interval by default), its
/// window is closed there (closed_by "gap"; kept when at least min_window long, as any partial
/// window: a track seen for less than min_window makes no window) and the track is forgotten
/// (a track coming back later opens a new window). Untracked faces (track id -1) are ignored.
/// Not thread-safe.
class TrackWindows {
 public:
  /// `config.track_id` is ignored. Throws std::invalid_argument like WindowAggregator.
  explicit TrackWindows(WindowConfig config);

  std::vector<TrackWindow> add_frame(std::int64_t running_time, std::int64_t duration,
                                     std::int64_t stream_time, const std::vector<FrameFace> &faces);
  std::vector<TrackWindow> add_gap(std::int64_t running_time, std::int64_t duration,
                                   std::int64_t stream_time);
  /// Closes every track's window (flush, segment, EOS) and forgets the tracks.
  std::vector<TrackWindow> finish(WindowEnd why);

  /// The open window so far of each followed track (its `index` is the track's own count).
  std::map<std::int64_t, EmotionWindow> current() const;
  /// Tracks forgotten by the last call (gone for longer than max_gap, or finish()).
  const std::vector<std::int64_t> &forgotten() const { return forgotten_; }
  std::uint64_t dropped() const { return dropped_; }  ///< windows shorter than min_window

 private:
  struct Track {
    WindowAggregator windows;
    std::int64_t last_end = 0;  ///< end of the last frame the face was on
  };
  void collect(std::int64_t track_id, std::vector<EmotionWindow> windows,
               std::vector<TrackWindow> &out);
  void close(std::map<std::int64_t, Track>::iterator it, WindowEnd why,
             std::vector<TrackWindow> &out);

  WindowConfig config_;
  std::map<std::int64_t, Track> tracks_;
  std::vector<std::int64_t> forgotten_;
  std::uint64_t next_index_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace emo
