// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: windows per track (see emo/session/track_windows.hpp).
#include "emo/session/track_windows.hpp"

#include <set>

namespace emo {

TrackWindows::TrackWindows(WindowConfig config) : config_(config) {
  config_.track_id = -1;
  WindowAggregator check(config_);  // throws on bad settings
  if (config_.max_gap == 0) config_.max_gap = 2 * config_.sample_interval;
}

void TrackWindows::collect(std::int64_t track_id, std::vector<EmotionWindow> windows,
                           std::vector<TrackWindow> &out) {
  for (EmotionWindow &w : windows) {
    w.index = next_index_++;
    out.push_back({track_id, std::move(w)});
  }
}

void TrackWindows::close(std::map<std::int64_t, Track>::iterator it, WindowEnd why,
                         std::vector<TrackWindow> &out) {
  const std::uint64_t before = it->second.windows.dropped();
  if (std::optional<EmotionWindow> w = it->second.windows.finish(why)) {
    std::vector<EmotionWindow> one;
    one.push_back(std::move(*w));
    collect(it->first, std::move(one), out);
  }
  dropped_ += it->second.windows.dropped() - before;
  forgotten_.push_back(it->first);
  tracks_.erase(it);
}

std::vector<TrackWindow> TrackWindows::add_frame(std::int64_t running_time, std::int64_t duration,
                                                 std::int64_t stream_time,
                                                 const std::vector<FrameFace> &faces) {
  std::vector<TrackWindow> out;
  forgotten_.clear();
  std::set<std::int64_t> here;
  for (const FrameFace &f : faces)
    if (f.track_id >= 0 && !f.label.empty()) here.insert(f.track_id);
  /* Tracks away for longer than max_gap end their window where they were last seen. */
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    auto next = std::next(it);
    if (!here.count(it->first) && running_time - it->second.last_end > config_.max_gap)
      close(it, WindowEnd::Gap, out);
    it = next;
  }
  const std::int64_t end = duration > 0 ? running_time + duration : running_time;
  for (std::int64_t id : here) {
    auto it = tracks_.find(id);
    if (it == tracks_.end()) {
      WindowConfig c = config_;
      c.track_id = id;
      it = tracks_.emplace(id, Track{WindowAggregator(c), end}).first;
    }
    collect(id, it->second.windows.add_frame(running_time, duration, stream_time, faces), out);
    it->second.last_end = end;
  }
  return out;
}

std::vector<TrackWindow> TrackWindows::add_gap(std::int64_t running_time, std::int64_t duration,
                                               std::int64_t stream_time) {
  std::vector<TrackWindow> out;
  forgotten_.clear();
  for (auto &[id, track] : tracks_)
    collect(id, track.windows.add_gap(running_time, duration, stream_time), out);
  return out;
}

std::vector<TrackWindow> TrackWindows::finish(WindowEnd why) {
  std::vector<TrackWindow> out;
  forgotten_.clear();
  while (!tracks_.empty()) close(tracks_.begin(), why, out);
  return out;
}

std::map<std::int64_t, EmotionWindow> TrackWindows::current() const {
  std::map<std::int64_t, EmotionWindow> out;
  for (const auto &[id, track] : tracks_)
    if (std::optional<EmotionWindow> w = track.windows.current()) out.emplace(id, std::move(*w));
  return out;
}

}  // namespace emo
