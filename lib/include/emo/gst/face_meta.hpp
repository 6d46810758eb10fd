// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: typed access to the face metadata that the gst-emo elements attach to buffers.
//
// gst-emo uses only the standard GstVideoRegionOfInterestMeta (gst-plugins-base), so any
// application can read it without this header (for example from Python through GObject
// introspection). This header is a small typed C++ reader and writer over that layout:
//
//   GstVideoRegionOfInterestMeta  roi_type "face", id unique in the stream, parent_id -1,
//                                 x, y, w, h: the face box in frame pixels.
//   param structure "landmarks"   n-points (guint), points (GstValueArray of gfloat,
//                                 interleaved x0, y0, x1, y1, ... in frame pixels),
//                                 region (GstValueArray of 4 gint: the x, y, w, h the points
//                                 were fitted in; lets a reader follow a rescaled ROI),
//                                 backend (string: "dlib-ert" or "opencv-lbf").
//   param structure "emotion"     label (string), class-id (gint), confidence (gdouble in
//                                 [0, 1]), labels (GstValueArray of strings), scores
//                                 (GstValueArray of gdouble, same order as labels).
//   param structure "tracking"    track-id (guint64: the same face keeps its id from frame to
//                                 frame while it is tracked; ids are never reused in a stream),
//                                 detected (gboolean: TRUE when the box comes from a detection
//                                 on this frame, FALSE when it was carried by the tracker).
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emo/classifier.hpp"
#include "emo/geometry.hpp"

namespace emo::gst {

/// The `roi_type` of every region gst-emo attaches.
constexpr const char *kFaceRoiType = "face";
constexpr const char *kLandmarksParam = "landmarks";
constexpr const char *kEmotionParam = "emotion";
constexpr const char *kTrackingParam = "tracking";

/// Everything gst-emo knows about one face on one frame.
struct Face {
  GstVideoRegionOfInterestMeta *meta = nullptr;  ///< the region itself (owned by the buffer)
  int id = 0;                                    ///< ROI id, unique in the stream
  Box box;                                       ///< frame pixels
  std::vector<Point> landmarks;       ///< frame pixels, empty when emolandmarks has not run;
                                      ///< mapped to the current box if the region was rescaled
  std::optional<Prediction> emotion;  ///< set when emoclassify has run
  std::int64_t track_id = -1;         ///< stable across frames; -1 when the face is untracked
  bool detected = true;               ///< false when the tracker, not a detection, placed the box
};

/// All face regions of a buffer, in meta order. Never throws; malformed structures are
/// skipped field by field (a face without valid landmarks has empty `landmarks`).
std::vector<Face> read_faces(GstBuffer *buffer);

/// Attaches a face region to a writable buffer. Returns the new meta (owned by the buffer).
GstVideoRegionOfInterestMeta *add_face(GstBuffer *buffer, const Box &box, int id);

/// Stores landmarks (frame pixels) on a face region, replacing earlier ones.
void set_landmarks(GstVideoRegionOfInterestMeta *meta, const std::vector<Point> &points,
                   const char *backend);

/// Stores an emotion prediction on a face region, replacing an earlier one.
void set_emotion(GstVideoRegionOfInterestMeta *meta, const Prediction &prediction,
                 const std::vector<std::string> &labels);

/// Stores the track of a face region (see "tracking" above), replacing an earlier one.
void set_tracking(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id, bool detected);

/// Reads the landmarks of one region (empty when absent or malformed).
std::vector<Point> get_landmarks(const GstVideoRegionOfInterestMeta *meta);

/// Reads the emotion of one region.
std::optional<Prediction> get_emotion(const GstVideoRegionOfInterestMeta *meta);

}  // namespace emo::gst
