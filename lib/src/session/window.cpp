// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the window aggregator (see emo/session/session.hpp for the rules).
#include <algorithm>
#include <stdexcept>

#include "emo/session/session.hpp"

namespace emo {

const FrameFace *select_primary(const std::vector<FrameFace> &faces, std::int64_t track_id) {
  const FrameFace *best = nullptr;
  for (const FrameFace &face : faces) {
    if (face.label.empty() || face.label == kUnknownEmotion) continue;
    if (track_id >= 0) {
      if (face.track_id == track_id) return &face;
    } else if (!best || face.area > best->area) {
      best = &face;
    }
  }
  return best;
}

namespace {

/// Whether the face the window follows is on the frame without an emotion.
bool unsure_on(const std::vector<FrameFace> &faces, std::int64_t track_id) {
  return std::any_of(faces.begin(), faces.end(), [&](const FrameFace &f) {
    return f.label == kUnknownEmotion && (track_id < 0 || f.track_id == track_id);
  });
}

}  // namespace

const char *to_string(WindowEnd end) {
  switch (end) {
    case WindowEnd::Full:
      return "full";
    case WindowEnd::Gap:
      return "gap";
    case WindowEnd::Flush:
      return "flush";
    case WindowEnd::Segment:
      return "segment";
    case WindowEnd::Eos:
      return "eos";
  }
  return "unknown";
}

WindowAggregator::WindowAggregator(WindowConfig config) : config_(config) {
  if (config_.window <= 0) throw std::invalid_argument("the window length must be positive");
  if (config_.sample_interval <= 0 || config_.sample_interval > config_.window)
    throw std::invalid_argument("the sample interval must be positive and at most the window");
  if (config_.min_window < 0 || config_.min_window > config_.window)
    throw std::invalid_argument("the minimum window must be between 0 and the window");
  if (config_.max_gap < 0) throw std::invalid_argument("the maximum gap must not be negative");
  if (config_.max_gap == 0) config_.max_gap = 2 * config_.sample_interval;
  const std::int64_t n = (config_.window + config_.sample_interval - 1) / config_.sample_interval;
  samples_.resize(static_cast<size_t>(n));
}

void WindowAggregator::open(std::int64_t start, std::int64_t running_time,
                            std::int64_t stream_time) {
  open_ = true;
  start_ = start;
  stream_start_ = stream_time >= 0 ? stream_time - (running_time - start) : -1;
  if (stream_start_ < -1) stream_start_ = -1;
  for (Sample &s : samples_) {
    s.votes.clear();
    s.unsure = 0;
  }
  frames_ = face_frames_ = unsure_frames_ = 0;
}

EmotionWindow WindowAggregator::summarise(std::int64_t end, WindowEnd why) const {
  EmotionWindow w;
  w.index = next_index_;
  w.start = start_;
  w.end = end;
  w.stream_start = stream_start_;
  w.sample_interval = config_.sample_interval;
  w.frames = frames_;
  w.face_frames = face_frames_;
  w.unsure_frames = unsure_frames_;
  w.closed_by = why;
  const std::int64_t si = config_.sample_interval;
  const size_t n = std::min(samples_.size(), static_cast<size_t>((end - start_ + si - 1) / si));
  std::vector<std::pair<std::string, int>> labels;  // samples per face label, first seen first
  for (size_t k = 0; k < n; ++k) {
    const Sample &s = samples_[k];
    std::string label = kNoFace;
    int best = 0;
    for (const auto &[name, votes] : s.votes)
      if (votes > best) best = votes, label = name;
    if (best == 0 && s.unsure > 0) label = kUnknownEmotion;
    w.timeline.push_back(label);
    ++w.counts[label];
    if (label == kNoFace || label == kUnknownEmotion) continue;
    auto it = std::find_if(labels.begin(), labels.end(),
                           [&](const auto &entry) { return entry.first == label; });
    if (it == labels.end())
      labels.emplace_back(label, 1);
    else
      ++it->second;
  }
  int best = 0, faces = 0;
  for (const auto &[name, count] : labels) {
    faces += count;
    if (count > best) best = count, w.dominant = name;
  }
  w.face_share = n ? static_cast<double>(faces) / static_cast<double>(n) : 0.0;
  return w;
}

EmotionWindow WindowAggregator::close(std::int64_t end, WindowEnd why) {
  EmotionWindow w = summarise(end, why);
  ++next_index_;
  open_ = false;
  return w;
}

std::optional<EmotionWindow> WindowAggregator::current() const {
  if (!open_) return std::nullopt;
  return summarise(std::max(start_, std::min(last_end_, start_ + config_.window)), WindowEnd::Full);
}

std::vector<EmotionWindow> WindowAggregator::advance(std::int64_t running_time,
                                                     std::int64_t stream_time) {
  std::vector<EmotionWindow> out;
  if (open_ && (running_time < last_start_ || running_time - last_end_ > config_.max_gap)) {
    if (auto w = finish(WindowEnd::Gap)) out.push_back(std::move(*w));
  }
  if (!open_) {
    open(running_time, running_time, stream_time);
    return out;
  }
  while (running_time >= start_ + config_.window) {
    const std::int64_t next = start_ + config_.window;
    out.push_back(close(next, WindowEnd::Full));
    open(next, running_time, stream_time);
  }
  return out;
}

std::vector<EmotionWindow> WindowAggregator::add_frame(std::int64_t running_time,
                                                       std::int64_t duration,
                                                       std::int64_t stream_time,
                                                       const std::vector<FrameFace> &faces) {
  std::vector<EmotionWindow> out = advance(running_time, stream_time);
  Sample &sample = samples_[static_cast<size_t>((running_time - start_) / config_.sample_interval)];
  ++frames_;
  if (const FrameFace *face = select_primary(faces, config_.track_id)) {
    ++face_frames_;
    auto it = std::find_if(sample.votes.begin(), sample.votes.end(),
                           [&](const auto &entry) { return entry.first == face->label; });
    if (it == sample.votes.end())
      sample.votes.emplace_back(face->label, 1);
    else
      ++it->second;
  } else if (unsure_on(faces, config_.track_id)) {
    ++unsure_frames_;
    ++sample.unsure;
  }
  last_start_ = running_time;
  last_end_ = duration > 0 ? running_time + duration : running_time;
  return out;
}

std::vector<EmotionWindow> WindowAggregator::add_gap(std::int64_t running_time,
                                                     std::int64_t duration,
                                                     std::int64_t stream_time) {
  std::vector<EmotionWindow> out = advance(running_time, stream_time);
  last_start_ = running_time;
  last_end_ = duration > 0 ? running_time + duration : running_time;
  /* A long gap covers whole windows: close those it fills completely (all "none"). */
  while (last_end_ > start_ + config_.window) {
    const std::int64_t next = start_ + config_.window;
    out.push_back(close(next, WindowEnd::Full));
    open(next, running_time, stream_time);
  }
  return out;
}

std::optional<EmotionWindow> WindowAggregator::finish(WindowEnd why) {
  if (!open_) return std::nullopt;
  const std::int64_t end = std::min(last_end_, start_ + config_.window);
  if (end <= start_ || end - start_ < config_.min_window) {
    open_ = false;
    ++dropped_;
    return std::nullopt;
  }
  return close(end, why);
}

}  // namespace emo
