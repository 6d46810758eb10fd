// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: typed access to the face metadata that the gst-emo elements attach to buffers.
//
// gst-emo uses only the standard GstVideoRegionOfInterestMeta (gst-plugins-base). The layout
// is owned by the shared C library libgstemometa-1.0 (gst/emo/face-meta.h, GObject
// introspection namespace GstEmo-1.0, for Python and other languages); this header is a small
// typed C++ reader and writer that wraps it. The layout (see gst/emo/face-meta.h for
// "object_id" and "detection", which the C library also reads and writes):
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
//                                 A face that gets no emotion (emoclassify's gate, see
//                                 emo/classify/gate.hpp) has label "unknown", class-id -1,
//                                 confidence 0 and its scores kept. emoclassify adds: unsure
//                                 (string: why this frame's evidence gives no emotion, "small",
//                                 "turned", "blurred", "flat"; "" when it gives one - the label
//                                 follows only once the change holds), face-size (gint, pixels,
//                                 the box's shorter side), margin (gdouble, top score minus the
//                                 second), yaw (gdouble, degrees; absent without BlazeFace
//                                 keypoints) and sharpness (gdouble; absent when not measured);
//                                 with its surprise check on, brow-raise (gdouble, inter-ocular
//                                 units: the brows' recent height over the track's baseline,
//                                 emo/classify/surprise_check.hpp; absent when not measured) and
//                                 surprise-vetoed (gboolean, present and TRUE when the top
//                                 score was surprise and the label is the best other class).
//   param structure "tracking"    track-id (guint64: the same face keeps its id from frame to
//                                 frame while it is tracked; ids are never reused in a stream),
//                                 detected (gboolean: TRUE on the frame where a detection
//                                 confirmed the box - with emofacedetect's background detection
//                                 that detection ran on a frame a few frames earlier and was
//                                 carried forward -, FALSE when only the tracker placed it),
//                                 shot-start (gboolean, optional, FALSE when absent: TRUE on
//                                 every face of a frame that starts a shot - the stream's
//                                 first analysed frame or a shot cut's -, where every track
//                                 is new and emofacedetect waited for the frame's detection).
//   param structure "pose"        yaw, pitch, roll (gdouble, degrees): the head pose
//                                 emolandmarks estimates from 68 landmarks (see
//                                 emo/landmarks/head_pose.hpp for the model, camera and signs).
//   param structure "detection"   what the detector said about the face (emofacedetect):
//                                 confidence (gdouble in [0, 1]: the score of the detection
//                                 last associated with the track; absent for the cascade,
//                                 which has no score), n-keypoints (guint: 6 for BlazeFace, 0
//                                 for the cascade), keypoints (GstValueArray of gfloat,
//                                 interleaved x0, y0, ... in frame pixels, in MediaPipe's
//                                 order: right eye, left eye, nose tip, mouth centre, right
//                                 ear tragion, left ear tragion - the person's right and left;
//                                 see emo/detect/blazeface.hpp; between detections they
//                                 follow the tracked box), region (GstValueArray of 4 gint:
//                                 the x, y, w, h the keypoints were placed on, as for
//                                 "landmarks"), model (string: "blazeface-full",
//                                 "blazeface-short" or "cascade": which detector framed the
//                                 box; emolandmarks maps BlazeFace boxes to dlib's framing).
//   param structure "object_id"   id (gint): the track id, as DL Streamer's gvatrack writes it,
//                                 for DL Streamer-style consumers.
//
// Companion meta (GstEmoFaceParamsMeta, API "GstEmoFaceParamsMetaAPI", tags "video",
// "orientation", "size" like the ROI meta, so every element keeps or drops both alike).
//   Why: GStreamer 1.22's GstVideoRegionOfInterestMeta keeps its param structures on a plain
//   copy (GST_META_TRANSFORM_IS_COPY: g_list_copy_deep) but its scale transform
//   (GST_VIDEO_META_TRANSFORM_IS_SCALE, gst-libs/gst/video/gstvideometa.c) builds a new region
//   with the scaled box, id and parent_id only. videoconvertscale (which implements both
//   videoscale and videoconvert in 1.22) calls that scale transform for every meta tagged
//   "size" whenever it is not in passthrough, even when only the format changes, so
//   `videoconvert ! video/x-raw,format=RGB` or any videoscale after emoclassify leaves boxes
//   without "landmarks", "emotion" and "tracking".
//   What: one meta per buffer, attached by add_face(). It holds no state of its own between
//   transforms: its transform (copy and scale) snapshots the source buffer, taking for each
//   "face" region its own param structures and, for any name the region has lost, the copy the
//   companion already carried; on a scale it multiplies the "landmarks" points (and the "detection"
//   keypoints) by the frame's width and height ratios and maps "region" with the ROI meta's own
//   integer formula (x * new_width / old_width, ...), so region and scaled box stay equal. Entries
//   are keyed by ROI id, which is why ids must be unique in a buffer. The region's own structures
//   always win over the carried ones, so writers only write the standard ROI params: the companion
//   is in sync by construction.
//   Reading: read_faces() and find_face_param() fall back on the companion per structure name.
//   Other applications that read the ROI params directly see them only where no scaling
//   element sits between emoclassify and them (the boxes themselves are always scaled right).
//   The meta is registered once per process, by the shared C library.
#pragma once

#include <gst/emo/face-meta.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emo/classify/classifier.hpp"
#include "emo/classify/gate.hpp"
#include "emo/core/geometry.hpp"

namespace emo::gst {

/// The `roi_type` of every region gst-emo attaches.
constexpr const char *kFaceRoiType = "face";
constexpr const char *kLandmarksParam = "landmarks";
constexpr const char *kEmotionParam = "emotion";
constexpr const char *kTrackingParam = "tracking";
constexpr const char *kDetectionParam = "detection";
constexpr const char *kObjectIdParam = "object_id";

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
  bool shot_start = false;            ///< the frame starts a shot (first frame, shot cut)
  /// The class names of `emotion`, in the order of its scores; empty when absent.
  std::vector<std::string> emotion_labels;
  /// "detection": the detector's confidence in [0, 1] (-1 when absent: cascade, or no
  /// structure), its keypoints (frame pixels, mapped to the current box like `landmarks`) and
  /// its model tag ("blazeface-full", "blazeface-short", "cascade"; empty when absent).
  double confidence = -1;
  std::vector<Point> keypoints;
  std::string detector_model;
  /// "pose": the head pose in degrees (yaw, pitch, roll), when emolandmarks set one.
  std::optional<cv::Vec3d> pose;
  /// What emoclassify's gate saw (the "emotion" structure's unsure, face-size, yaw, sharpness
  /// and margin; NaN / -1 when absent); set when the structure has an "unsure" field.
  struct Gate {
    std::string unsure;  ///< "" when the face passed; else "small", "turned", "blurred", "flat"
    FaceQuality quality;
    double margin = std::nan("");
  };
  std::optional<Gate> gate;
};

/// All face regions of a buffer, in meta order. Never throws; malformed structures are
/// skipped field by field (a face without valid landmarks has empty `landmarks`). Structures a
/// region has lost in a scaling element are read from the companion meta (see above).
std::vector<Face> read_faces(GstBuffer *buffer);

/// Attaches a face region to a writable buffer, and the companion meta when the buffer has
/// none yet. Returns the new meta (owned by the buffer).
GstVideoRegionOfInterestMeta *add_face(GstBuffer *buffer, const Box &box, int id);

/// Stores landmarks (frame pixels) on a face region, replacing earlier ones.
void set_landmarks(GstVideoRegionOfInterestMeta *meta, const std::vector<Point> &points,
                   const char *backend);

/// Stores an emotion prediction on a face region, replacing an earlier one.
void set_emotion(GstVideoRegionOfInterestMeta *meta, const Prediction &prediction,
                 const std::vector<std::string> &labels);

/// Adds what emoclassify's gate saw to the region's "emotion" structure (see above): `unsure`
/// ("" when the face passed), the measures of `quality` (NaN ones are left out) and `margin`.
/// Does nothing when the region has no "emotion" structure.
void set_emotion_gate(GstVideoRegionOfInterestMeta *meta, const char *unsure,
                      const FaceQuality &quality, double margin);

/// Adds emoclassify's surprise check to the "emotion" structure (see above): `brow_raise`
/// (left out when NaN) and, when `surprise_vetoed`, surprise-vetoed TRUE. Does nothing when the
/// region has no "emotion" structure.
void set_emotion_brows(GstVideoRegionOfInterestMeta *meta, double brow_raise, bool surprise_vetoed);

/// Stores the track of a face region (see "tracking" above), replacing an earlier one.
void set_tracking(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id, bool detected,
                  bool shot_start = false);

/// Stores what the detector said about a face region (see "detection" above), replacing an
/// earlier one: `confidence` < 0 writes no confidence field (the cascade has none).
void set_detection(GstVideoRegionOfInterestMeta *meta, double confidence,
                   const std::vector<Point> &keypoints, const char *model);

/// Stores the head pose of a face region ("pose": yaw, pitch, roll in degrees), replacing an
/// earlier one.
void set_pose(GstVideoRegionOfInterestMeta *meta, double yaw, double pitch, double roll);

/// Stores DL Streamer's "object_id" structure (id = track id, as gint), replacing an earlier one.
void set_object_id(GstVideoRegionOfInterestMeta *meta, std::uint64_t track_id);

/// Reads the landmarks of one region (empty when absent or malformed).
std::vector<Point> get_landmarks(const GstVideoRegionOfInterestMeta *meta);

/// Reads the emotion of one region.
std::optional<Prediction> get_emotion(const GstVideoRegionOfInterestMeta *meta);

/// The companion meta (opaque; see "Companion meta" above).
using FaceParamsMeta = GstEmoFaceParamsMeta;
GType face_params_meta_api_get_type();
const GstMetaInfo *face_params_meta_get_info();

/// The companion meta of a buffer, or nullptr.
FaceParamsMeta *get_face_params_meta(GstBuffer *buffer);

/// The companion meta of a buffer, added when missing (the buffer must then be writable).
FaceParamsMeta *ensure_face_params_meta(GstBuffer *buffer);

/// The param structure `name` of face region `roi`: the region's own, else the one `carrier`
/// (the buffer's companion meta, may be nullptr) holds for the region's id; nullptr if none.
/// Owned by the buffer's metas.
const GstStructure *find_face_param(const FaceParamsMeta *carrier,
                                    const GstVideoRegionOfInterestMeta *roi, const char *name);

}  // namespace emo::gst
