// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the upstream event by which emolandmarks tells emofacedetect where the landmarks are.
//
// After fitting the faces of a frame, emolandmarks sends one GST_EVENT_CUSTOM_UPSTREAM event
// (not serialized: it travels upstream at once, from the streaming thread of emolandmarks) whose
// structure is
//
//   "emo-landmark-boxes"  pts (guint64: the PTS of the buffer the landmarks were fitted on,
//                              nanoseconds),
//                         track-ids (GstValueArray of guint64: the "tracking" track-id of each
//                              face that has one and got landmarks),
//                         boxes (GstValueArray of gint, 4 per face in the order of track-ids:
//                              x, y, w, h of landmark_extent() of the face's landmarks, frame
//                              pixels).
//
// emofacedetect consumes it (it is not forwarded further upstream) and moves its tracked boxes
// to follow the landmarks (emo::FaceTracker::follow_landmarks); an element that does not know
// it passes it upstream, where the source drops it.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <vector>

#include "emo/core/geometry.hpp"

namespace emo::gst {

constexpr const char *kLandmarkBoxesEvent = "emo-landmark-boxes";

/// One face of an "emo-landmark-boxes" event.
struct LandmarkBox {
  std::uint64_t track_id = 0;
  Box extent;  ///< bounding box of the landmarks, frame pixels
};

/// The bounding box (frame pixels) of landmarks; empty for no points. With the 68 points of
/// the iBUG 300-W layout (dlib's default model) the jaw line (points 0-16) is left out: it is
/// placed mostly by the shape prior and follows the fitting box more than the face (on the
/// dinner clip the inner points gave tracked boxes a higher IoU with the next detection).
Box landmark_extent(const std::vector<Point> &points);

/// A new "emo-landmark-boxes" upstream event (floating reference, for gst_pad_push_event).
GstEvent *make_landmark_boxes_event(GstClockTime pts, const std::vector<LandmarkBox> &faces);

/// True when `event` is an "emo-landmark-boxes" event (whether well formed or not).
bool is_landmark_boxes_event(GstEvent *event);

/// Reads an "emo-landmark-boxes" event into `pts` and `faces` (cleared first; capacity kept).
/// False, with `faces` empty, when it is not one or is malformed (a missing field, arrays of
/// mismatched lengths, a box that is not 4 ints with positive width and height).
bool parse_landmark_boxes_event(GstEvent *event, GstClockTime &pts,
                                std::vector<LandmarkBox> &faces);

}  // namespace emo::gst
