// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: follows face boxes from frame to frame between detections, with stable track ids.
#include "emo/track/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <dlib/matrix.h>
#include <dlib/optimization/max_cost_assignment.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace emo {
namespace {

const cv::Size kWindow(15, 15);
constexpr int kLevels = 3;
constexpr float kMaxForwardBackward = 1.0f;  // tracking pixels
// Largest ratio between a tracked box's mean side and its mean side at the last detection.
constexpr double kMaxSizeDrift = 1.3;
constexpr double kMaxDuplicateIou = 0.5;
// dlib::max_cost_assignment needs integer costs: IoU in millionths.
constexpr double kIouScale = 1e6;

// Median of v (reorders v); v not empty.
float median(std::vector<float> &v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// `box` moved by the motion that took `from` to `to` (centre shift, size ratio).
Box carry(const Box &box, const Box &from, const Box &to) {
  // One scale for both sides, so that a box clipped at the frame edge keeps the aspect ratio.
  const int from_size = from.width + from.height;
  const double sx = from_size > 0 ? static_cast<double>(to.width + to.height) / from_size : 1.0;
  const double sy = sx;
  const double cx = box.x + box.width / 2.0 + (to.x + to.width / 2.0) - (from.x + from.width / 2.0);
  const double cy =
      box.y + box.height / 2.0 + (to.y + to.height / 2.0) - (from.y + from.height / 2.0);
  const double w = box.width * sx;
  const double h = box.height * sy;
  return Box(static_cast<int>(std::lround(cx - w / 2)), static_cast<int>(std::lround(cy - h / 2)),
             static_cast<int>(std::lround(w)), static_cast<int>(std::lround(h)));
}

}  // namespace

void FaceTracker::Track::remember(std::uint64_t frame, const Box &box) {
  history[frame % kHistory] = {frame + 1, box};  // +1: a zero entry means "empty"
}

bool FaceTracker::Track::box_at(std::uint64_t frame, Box &box) const {
  const auto &entry = history[frame % kHistory];
  if (entry.first != frame + 1) return false;
  box = entry.second;
  return true;
}

FaceTracker::FaceTracker(const TrackerParams &params) : params_(params), cuts_(params.shot_cut) {
  params_.grid = std::max(2, params_.grid);
  params_.max_unconfirmed_frames = std::max(0, params_.max_unconfirmed_frames);
  params_.max_lost_frames = std::max(0, params_.max_lost_frames);
  params_.min_hits = std::max(1, params_.min_hits);
}

bool FaceTracker::has_provisional() const {
  return std::any_of(tracks_.begin(), tracks_.end(), [](const Track &t) { return t.provisional; });
}

bool FaceTracker::has_tentative() const {
  return std::any_of(tracks_.begin(), tracks_.end(),
                     [&](const Track &t) { return t.hits < params_.min_hits; });
}

void FaceTracker::reset() {
  tracks_.clear();
  faces_.clear();
  have_prev_ = false;
  cuts_.reset();
  cut_ = false;
  shot_start_ = frame_;  // detections of earlier frames are ignored
}

std::int64_t FaceTracker::time_of(std::uint64_t frame) const {
  const auto &entry = times_[frame % kHistory];
  return entry.first == frame + 1 ? entry.second : kNoTime;
}

std::uint64_t FaceTracker::advance(const cv::Mat &luma, std::int64_t time_ns) {
  if (luma.type() != CV_8UC1 || luma.empty())
    throw std::invalid_argument("FaceTracker::advance: expected a non-empty 8-bit luma image");
  const std::uint64_t frame = frame_++;
  times_[frame % kHistory] = {frame + 1, time_ns};
  // A new frame size (caps change) moves every pixel: the boxes of the old size mean nothing
  // in the new one, so it ends the shot like a cut (the first frame is no cut).
  const bool resized = luma.size() != frame_size_ && frame_size_ != cv::Size();
  if (luma.size() != frame_size_) {
    frame_size_ = luma.size();
    have_prev_ = false;
    cuts_.reset();
  }
  const cv::Mat *input = &luma;
  scale_ = 1.0;
  if (params_.tracking_width > 0 && params_.tracking_width < luma.cols) {
    const int w = params_.tracking_width;
    const int h = std::max(1, static_cast<int>(std::lround(static_cast<double>(luma.rows) * w /
                                                           static_cast<double>(luma.cols))));
    cv::resize(luma, small_, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    input = &small_;
    scale_ = static_cast<double>(luma.cols) / w;
  }
  // A shot cut: the previous shot's faces are gone, and flow across the cut means nothing.
  cut_ = cuts_.next(*input) || resized;
  if (cut_) {
    ++stats_.shot_cuts;
    shot_start_ = frame;
    tracks_.clear();
    have_prev_ = false;
  } else if (cuts_.transition_started()) {
    // The old shot's faces are fading out and the new one's are not there yet: no track
    // outlives the start, none is built until the new shot starts (update() refuses).
    ++stats_.transitions;
    shot_start_ = frame;
    tracks_.clear();
  }
  // Only pay for a pyramid when there is something to follow on the next frame.
  if (!tracks_.empty() || have_prev_) {
    cv::buildOpticalFlowPyramid(*input, cur_pyr_, kWindow, kLevels, true);
    if (have_prev_ && !tracks_.empty()) track_flow();
    std::swap(prev_pyr_, cur_pyr_);
    have_prev_ = true;
  } else {
    // No tracks yet: keep the frame so that a track started on it can be followed.
    cv::buildOpticalFlowPyramid(*input, prev_pyr_, kWindow, kLevels, true);
    have_prev_ = true;
  }
  const Box frame_box(0, 0, frame_size_.width, frame_size_.height);
  for (Track &t : tracks_) {
    t.face.detected = false;
    t.face.box &= frame_box;
    t.remember(frame, t.face.box);
  }
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track &t) {
                                 if (t.face.box.width < 8 || t.face.box.height < 8 ||
                                     t.lost_frames > params_.max_lost_frames) {
                                   ++stats_.lost;
                                   return true;
                                 }
                                 const bool expired =
                                     frame - t.confirmed > static_cast<std::uint64_t>(
                                                               params_.max_unconfirmed_frames) ||
                                     (params_.max_unconfirmed_ns > 0 && time_ns != kNoTime &&
                                      t.confirmed_ns != kNoTime &&
                                      time_ns - t.confirmed_ns > params_.max_unconfirmed_ns);
                                 if (expired) ++stats_.expired;
                                 return expired;
                               }),
                tracks_.end());
  publish();
  return frame;
}

void FaceTracker::track_flow() {
  const int g = params_.grid;
  const size_t per = static_cast<size_t>(g * g);
  prev_pts_.clear();
  for (const Track &t : tracks_) {
    // Central 60 % of the box, in tracking pixels: the face, not the background.
    const float x0 = static_cast<float>((t.face.box.x + 0.2 * t.face.box.width) / scale_);
    const float y0 = static_cast<float>((t.face.box.y + 0.2 * t.face.box.height) / scale_);
    const float sx = static_cast<float>(0.6 * t.face.box.width / scale_ / (g - 1));
    const float sy = static_cast<float>(0.6 * t.face.box.height / scale_ / (g - 1));
    for (int j = 0; j < g; ++j)
      for (int i = 0; i < g; ++i) prev_pts_.emplace_back(x0 + i * sx, y0 + j * sy);
  }
  const cv::TermCriteria term(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 20, 0.03);
  cv::calcOpticalFlowPyrLK(prev_pyr_, cur_pyr_, prev_pts_, cur_pts_, status_, err_, kWindow,
                           kLevels, term);
  cv::calcOpticalFlowPyrLK(cur_pyr_, prev_pyr_, cur_pts_, back_pts_, back_status_, err_, kWindow,
                           kLevels, term);
  for (size_t k = 0; k < tracks_.size(); ++k) {
    Track &t = tracks_[k];
    dx_.clear();
    dy_.clear();
    float mx = 0.f, my = 0.f, nx = 0.f, ny = 0.f;
    for (size_t i = k * per; i < (k + 1) * per; ++i) {
      if (!status_[i] || !back_status_[i]) continue;
      const cv::Point2f fb = back_pts_[i] - prev_pts_[i];
      if (fb.dot(fb) > kMaxForwardBackward * kMaxForwardBackward) continue;
      dx_.push_back(cur_pts_[i].x - prev_pts_[i].x);
      dy_.push_back(cur_pts_[i].y - prev_pts_[i].y);
      mx += prev_pts_[i].x;
      my += prev_pts_[i].y;
      nx += cur_pts_[i].x;
      ny += cur_pts_[i].y;
    }
    const size_t good = dx_.size();
    if (good < std::max<size_t>(4, per / 3)) {
      ++t.lost_frames;  // the box stays where it was
      continue;
    }
    t.lost_frames = 0;
    mx /= good, my /= good, nx /= good, ny /= good;
    ratio_.clear();
    for (size_t i = k * per; i < (k + 1) * per; ++i) {
      if (!status_[i] || !back_status_[i]) continue;
      const cv::Point2f fb = back_pts_[i] - prev_pts_[i];
      if (fb.dot(fb) > kMaxForwardBackward * kMaxForwardBackward) continue;
      const float d0 = std::hypot(prev_pts_[i].x - mx, prev_pts_[i].y - my);
      const float d1 = std::hypot(cur_pts_[i].x - nx, cur_pts_[i].y - ny);
      if (d0 > 1.f) ratio_.push_back(d1 / d0);
    }
    const double s = ratio_.empty() ? 1.0 : std::clamp<double>(median(ratio_), 0.8, 1.25);
    const double shift_x = median(dx_) * scale_;
    const double shift_y = median(dy_) * scale_;
    Box &b = t.face.box;
    const double cx = b.x + b.width / 2.0 + shift_x;
    const double cy = b.y + b.height / 2.0 + shift_y;
    double w = b.width * s, h = b.height * s;
    // Flow cannot grow or shrink a face without bound: between detections the box stays within
    // kMaxSizeDrift of its size at the last detection (faces do not change size that fast; a
    // runaway scale estimate made 400 px boxes out of 150 px faces on the dinner clip).
    const double side = (w + h) / 2.0;
    if (t.detected_side > 0 && side > 0) {
      const double k =
          std::clamp(side, t.detected_side / kMaxSizeDrift, t.detected_side * kMaxSizeDrift) / side;
      w *= k;
      h *= k;
    }
    b = Box(static_cast<int>(std::lround(cx - w / 2)), static_cast<int>(std::lround(cy - h / 2)),
            static_cast<int>(std::lround(w)), static_cast<int>(std::lround(h)));
  }
}

// Optimal assignment of detections to tracks: fills track_of_det_, track_used_, overlap_.
void FaceTracker::assign(const std::vector<Box> &detections, std::uint64_t frame, bool late) {
  const size_t nd = detections.size(), nt = tracks_.size();
  track_of_det_.assign(nd, -1);
  track_used_.assign(nt, false);
  overlap_.assign(nd, 0.0);
  if (nd == 0 || nt == 0) return;
  // Square matrix (dlib's requirement) of scaled IoU on the detection's frame, rows =
  // detections, columns = tracks; 0 = cannot match (padding, IoU below min_iou, a track born
  // after the detection's frame).
  const long n = static_cast<long>(std::max(nd, nt));
  dlib::matrix<long> cost(n, n);
  cost = 0;
  Box then;
  for (size_t t = 0; t < nt; ++t) {
    if (tracks_[t].born > frame && late) continue;  // did not exist yet
    if (!tracks_[t].box_at(frame, then)) then = tracks_[t].face.box;
    for (size_t d = 0; d < nd; ++d) {
      const double overlap = iou(detections[d], then);
      if (overlap >= params_.min_iou)
        cost(static_cast<long>(d), static_cast<long>(t)) =
            std::max(1L, std::lround(overlap * kIouScale));
    }
  }
  const std::vector<long> match = dlib::max_cost_assignment(cost);
  for (size_t d = 0; d < nd; ++d) {
    const long t = match[d];
    if (t >= static_cast<long>(nt) || cost(static_cast<long>(d), t) == 0) continue;
    track_of_det_[d] = static_cast<int>(t);
    track_used_[static_cast<size_t>(t)] = true;
    const Track &track = tracks_[static_cast<size_t>(t)];
    if (!track.box_at(frame, then)) then = track.face.box;
    overlap_[d] = iou(detections[d], then);
    ++stats_.matched;
    stats_.matched_iou_sum += overlap_[d];
  }
}

bool FaceTracker::update(const std::vector<Box> &detections, std::uint64_t frame) {
  return update(detections, frame, {});
}

bool FaceTracker::update(const std::vector<Box> &detections, std::uint64_t frame,
                         const std::vector<bool> &confirmed_now) {
  if (frame_ == 0) return false;
  const std::uint64_t current = frame_ - 1;
  if (frame > current) frame = current;
  if (frame < shot_start_ || cuts_.in_transition()) {  // another shot, or a blend of two
    ++stats_.stale_detections;
    return false;
  }
  const bool late = frame != current;
  const std::int64_t frame_ns = time_of(frame);
  assign(detections, frame, late);

  const Box frame_box(0, 0, frame_size_.width, frame_size_.height);
  const size_t old_count = tracks_.size();
  Box then;
  for (size_t d = 0; d < detections.size(); ++d) {
    const int t = track_of_det_[d];
    if (t >= 0) {
      Track &track = tracks_[static_cast<size_t>(t)];
      if (!track.box_at(frame, then)) then = track.face.box;
      track.face.box = carry(detections[d], then, track.face.box) & frame_box;
      track.face.detected = true;
      track.detected_side = (track.face.box.width + track.face.box.height) / 2.0;
      if (frame >= track.confirmed) {
        track.confirmed = frame;
        track.confirmed_ns = frame_ns;
      }
      track.lost_frames = 0;
      track.hits = std::min(track.hits + 1, params_.min_hits);
      track.provisional = false;
      track.remember(current, track.face.box);
      continue;
    }
    const Box box = detections[d] & frame_box;
    if (box.width <= 0 || box.height <= 0) continue;
    // A detection that overlaps a current box strongly is that face (e.g. a track whose box
    // drifted since the detection's frame): no duplicate track.
    bool duplicate = false;
    for (size_t k = 0; k < old_count && !duplicate; ++k)
      duplicate = !track_used_[k] && iou(box, tracks_[k].face.box) >= kMaxDuplicateIou;
    if (duplicate) continue;
    Track track;
    ++stats_.new_tracks;
    track.face.track_id = next_id_++;
    track.face.box = box;
    track.face.detected = true;
    track.detected_side = (box.width + box.height) / 2.0;
    track.born = frame;
    track.provisional = d < confirmed_now.size() && confirmed_now[d];
    track.hits = track.provisional ? params_.min_hits : 1;
    track.confirmed = frame;
    track.confirmed_ns = frame_ns;
    track.remember(frame, box);
    track.remember(current, box);
    tracks_.push_back(track);
  }
  // SORT: a tentative track that this detection run missed is dropped (it existed on the
  // detection's frame; tracks born by this run are not judged by it).
  tracks_.erase(
      std::remove_if(tracks_.begin(), tracks_.begin() + static_cast<std::ptrdiff_t>(old_count),
                     [&](const Track &t) {
                       const bool drop = (t.hits < params_.min_hits || t.provisional) &&
                                         !t.face.detected && t.born < frame;
                       if (drop) ++stats_.unconfirmed;
                       return drop;
                     }),
      tracks_.begin() + static_cast<std::ptrdiff_t>(old_count));
  // Two tracks on one face (boxes that came to overlap): keep the older one.
  for (size_t a = 0; a < tracks_.size(); ++a)
    for (size_t b = a + 1; b < tracks_.size();)
      if (iou(tracks_[a].face.box, tracks_[b].face.box) >= kMaxDuplicateIou) {
        if (tracks_[b].face.detected) tracks_[a].face.detected = true;
        tracks_[a].hits = std::max(tracks_[a].hits, tracks_[b].hits);
        if (tracks_[b].confirmed > tracks_[a].confirmed) {
          tracks_[a].confirmed = tracks_[b].confirmed;
          tracks_[a].confirmed_ns = tracks_[b].confirmed_ns;
        }
        tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(b));
      } else {
        ++b;
      }
  publish();
  return true;
}

FollowResult FaceTracker::follow_landmarks(std::uint64_t track_id, const Box &extent,
                                           std::uint64_t frame) {
  const auto result = [this](FollowResult r) {
    ++stats_.follow[static_cast<size_t>(r)];
    return r;
  };
  if (frame_ == 0 || frame != frame_ - 1) return result(FollowResult::kStale);
  const auto it = std::find_if(tracks_.begin(), tracks_.end(),
                               [&](const Track &t) { return t.face.track_id == track_id; });
  if (it == tracks_.end()) return result(FollowResult::kUnknownTrack);
  Track &t = *it;
  if (extent.width <= 0 || extent.height <= 0) return result(FollowResult::kRejected);
  const double ecx = extent.x + extent.width / 2.0, ecy = extent.y + extent.height / 2.0;
  // One size for both sides (mean of width and height), so that the box keeps the
  // detection's aspect ratio: a fit that stretches one way must not stretch the box.
  const double esize = (extent.width + extent.height) / 2.0;
  const Box &box = t.face.box;
  if (t.face.detected) {
    const Box frame_box(0, 0, frame_size_.width, frame_size_.height);
    const bool clipped = box.x <= 0 || box.y <= 0 || box.br().x >= frame_box.br().x ||
                         box.br().y >= frame_box.br().y;
    if (!clipped) {
      t.off_x = (box.x + box.width / 2.0 - ecx) / esize;
      t.off_y = (box.y + box.height / 2.0 - ecy) / esize;
      t.scale_w = box.width / esize;
      t.scale_h = box.height / esize;
      t.calibrated = true;
    }
    return result(FollowResult::kCalibrated);
  }
  if (!t.calibrated) return result(FollowResult::kNotCalibrated);
  const double w = t.scale_w * esize, h = t.scale_h * esize;
  const double cx = ecx + t.off_x * esize, cy = ecy + t.off_y * esize;
  const Box target(static_cast<int>(std::lround(cx - w / 2)),
                   static_cast<int>(std::lround(cy - h / 2)), static_cast<int>(std::lround(w)),
                   static_cast<int>(std::lround(h)));
  if (iou(target, box) < params_.min_follow_iou) return result(FollowResult::kRejected);
  t.face.box = target & Box(0, 0, frame_size_.width, frame_size_.height);
  t.remember(frame, t.face.box);
  publish();
  return result(FollowResult::kFollowed);
}

void FaceTracker::publish() {
  faces_.clear();
  for (const Track &t : tracks_)
    if (t.hits >= params_.min_hits) faces_.push_back(t.face);
}

}  // namespace emo
