/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-emo face metadata: a small C library (libgstemometa-1.0) to read and write, from any
 * language (GObject introspection: GstEmo-1.0), the faces that the gst-emo elements attach to
 * buffers.
 *
 * Layout (standard GstVideoRegionOfInterestMeta, so readers of the plain meta see it too):
 *
 *   GstVideoRegionOfInterestMeta  roi_type "face", id unique in the stream, parent_id -1,
 *                                 x, y, w, h: the face box in frame pixels.
 *   param structure "landmarks"   n-points (guint), points (GstValueArray of gfloat,
 *                                 interleaved x0, y0, x1, y1, ... in frame pixels), region
 *                                 (GstValueArray of 4 gint: the x, y, w, h the points were
 *                                 fitted in), backend (string: "dlib-ert" or "opencv-lbf").
 *   param structure "emotion"     label (string), class-id (gint), confidence (gdouble in
 *                                 [0, 1]), labels (GstValueArray of strings), scores
 *                                 (GstValueArray of gdouble, same order as labels).
 *                                 A face that gets no emotion (emoclassify's gate: too
 *                                 small, turned, blurred, scores too flat) has label
 *                                 "unknown", class-id -1, confidence 0, its scores kept;
 *                                 emoclassify adds unsure (string: "small", "turned",
 *                                 "blurred", "flat", "" when the frame's evidence was good),
 *                                 face-size (gint, px), margin (gdouble), yaw (gdouble,
 *                                 degrees) and sharpness (gdouble), the last two when
 *                                 measured; see docs/emotion-labels.md.
 *   param structure "tracking"    track-id (guint64, stable while the face is tracked, never
 *                                 reused in a stream), detected (gboolean: a detection
 *                                 confirmed the box, rather than the tracker alone),
 *                                 shot-start (gboolean, optional, FALSE when absent: the
 *                                 frame starts a shot, the stream's first analysed frame or a
 *                                 shot cut's; every track on it is new).
 *   param structure "object_id"   id (gint): the track id again, as Intel DL Streamer's
 *                                 gvatrack writes it (read when "tracking" is absent).
 *   param structure "detection"   confidence (gdouble in [0, 1]), n-keypoints (guint),
 *                                 keypoints (GstValueArray of gfloat, interleaved x, y in frame
 *                                 pixels), model (string): what the face detector reported.
 *   param structure "pose"        yaw, pitch, roll (gdouble, degrees): the head pose emolandmarks
 *                                 estimates from the 68 landmarks (cv::solvePnP on a generic 3D
 *                                 face model, camera from the frame size; emo/landmarks/
 *                                 head_pose.hpp). 0, 0, 0 faces the camera; yaw > 0 turns
 *                                 towards the image's right, pitch > 0 tilts down, roll > 0 leans
 *                                 clockwise. Not rescaled (angles).
 *
 * Companion meta (GstEmoFaceParamsMeta, API "GstEmoFaceParamsMetaAPI", tags "video",
 * "orientation", "size"): GStreamer 1.22's region meta loses its param structures in a scale
 * transform (videoscale, and videoconvert whenever it is not in passthrough). One companion per
 * buffer, attached by gst_emo_buffer_add_face(), carries them keyed by ROI id and rescales the
 * "landmarks" points/region and the "detection" keypoints; every reader here falls back on it
 * per structure name. Readers of the plain region meta see the structures only where no
 * scaling element sits between the analysis and them.
 *
 * Coordinates are frame pixels of the buffer they are read from. Nothing here blocks or keeps
 * global state besides the meta registration (once per process).
 */
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GST_EMO_FACE_ROI_TYPE:
 *
 * The roi_type of every region gst-emo attaches.
 */
#define GST_EMO_FACE_ROI_TYPE "face"

/* ---- the companion meta ---- */

/**
 * GstEmoFaceParamsMeta: (skip)
 *
 * Opaque companion meta (see the top of this header).
 */
typedef struct _GstEmoFaceParamsMeta GstEmoFaceParamsMeta;

/**
 * gst_emo_face_params_meta_api_get_type: (skip)
 */
GType gst_emo_face_params_meta_api_get_type(void);
/**
 * gst_emo_face_params_meta_get_info: (skip)
 */
const GstMetaInfo *gst_emo_face_params_meta_get_info(void);
/**
 * gst_emo_buffer_get_face_params_meta: (skip)
 *
 * Returns: the companion meta of @buffer, or %NULL.
 */
GstEmoFaceParamsMeta *gst_emo_buffer_get_face_params_meta(GstBuffer *buffer);
/**
 * gst_emo_buffer_ensure_face_params_meta: (skip)
 *
 * Returns: the companion meta of @buffer, added when missing (@buffer must then be writable).
 */
GstEmoFaceParamsMeta *gst_emo_buffer_ensure_face_params_meta(GstBuffer *buffer);
/**
 * gst_emo_face_params_meta_find_param: (skip)
 * @carrier: (nullable): the buffer's companion meta
 * @roi: a face region of the same buffer
 * @name: a param structure name
 *
 * Returns: (nullable): the region's own structure @name, else the one @carrier holds for the
 * region's id; owned by the metas.
 */
const GstStructure *gst_emo_face_params_meta_find_param(const GstEmoFaceParamsMeta *carrier,
                                                        const GstVideoRegionOfInterestMeta *roi,
                                                        const gchar *name);

/* ---- writing (on a writable buffer, e.g. in an element's transform_ip) ---- */

/**
 * gst_emo_buffer_add_face:
 * @buffer: a writable buffer
 * @x: left edge, frame pixels (negative values are clamped to 0)
 * @y: top edge, frame pixels (clamped to 0)
 * @width: width in pixels (clamped to 0)
 * @height: height in pixels (clamped to 0)
 * @id: ROI id, unique in the stream
 *
 * Attaches a face region (and the companion meta when the buffer has none yet).
 *
 * Returns: (transfer none) (nullable): the new region, owned by @buffer.
 */
GstVideoRegionOfInterestMeta *gst_emo_buffer_add_face(GstBuffer *buffer, gint x, gint y, gint width,
                                                      gint height, gint id);

/**
 * gst_emo_face_meta_set_landmarks:
 * @roi: a face region
 * @coords: (array length=n_coords): interleaved x, y in frame pixels
 * @n_coords: number of floats in @coords (twice the number of points; must be even)
 * @backend: (nullable): what fitted them, e.g. "dlib-ert"
 *
 * Stores landmarks on @roi (with the region they were fitted in: the region's current box),
 * replacing earlier ones.
 */
void gst_emo_face_meta_set_landmarks(GstVideoRegionOfInterestMeta *roi, const gfloat *coords,
                                     guint n_coords, const gchar *backend);

/**
 * gst_emo_face_meta_set_emotion:
 * @roi: a face region
 * @label: the class name
 * @class_id: its index in @labels
 * @confidence: its score, in [0, 1]
 * @labels: (array zero-terminated=1) (nullable): every class name of the model
 * @scores: (array length=n_scores) (nullable): one score per class, in the order of @labels
 * @n_scores: number of scores
 *
 * Stores an emotion on @roi, replacing an earlier one.
 */
void gst_emo_face_meta_set_emotion(GstVideoRegionOfInterestMeta *roi, const gchar *label,
                                   gint class_id, gdouble confidence, const gchar *const *labels,
                                   const gdouble *scores, guint n_scores);

/**
 * gst_emo_face_meta_set_tracking:
 * @roi: a face region
 * @track_id: the face's track id
 * @detected: %TRUE when a detection confirmed the box on this frame
 *
 * Stores the "tracking" structure and DL Streamer's "object_id" (id = @track_id, as gint) on
 * @roi, replacing earlier ones.
 */
void gst_emo_face_meta_set_tracking(GstVideoRegionOfInterestMeta *roi, guint64 track_id,
                                    gboolean detected);

/**
 * gst_emo_face_meta_set_shot_start:
 * @roi: a face region with a "tracking" structure (gst_emo_face_meta_set_tracking())
 * @shot_start: %TRUE when the frame starts a shot (the stream's first frame, a shot cut)
 *
 * Sets the "shot-start" field of the region's "tracking" structure.
 */
void gst_emo_face_meta_set_shot_start(GstVideoRegionOfInterestMeta *roi, gboolean shot_start);

/**
 * gst_emo_face_meta_set_pose:
 * @roi: a face region
 * @yaw: degrees, > 0 turned towards the image's right
 * @pitch: degrees, > 0 tilted down
 * @roll: degrees, > 0 leaning clockwise
 *
 * Stores the "pose" structure on @roi, replacing an earlier one.
 */
void gst_emo_face_meta_set_pose(GstVideoRegionOfInterestMeta *roi, gdouble yaw, gdouble pitch,
                                gdouble roll);

/**
 * gst_emo_face_meta_set_detection:
 * @roi: a face region
 * @confidence: the detector's score, in [0, 1]; negative: none (a cascade has no score), no
 *   "confidence" field is written
 * @keypoints: (array length=n_coords) (nullable): interleaved x, y in frame pixels
 * @n_coords: number of floats in @keypoints (twice the number of keypoints; must be even)
 * @model: (nullable): which detector model found the face
 *
 * Stores the "detection" structure on @roi, replacing an earlier one; its "region" field is
 * @roi's box now, so that readers map the keypoints onto a rescaled box.
 */
void gst_emo_face_meta_set_detection(GstVideoRegionOfInterestMeta *roi, gdouble confidence,
                                     const gfloat *keypoints, guint n_coords, const gchar *model);

/**
 * gst_emo_face_meta_set_object_id:
 * @roi: a face region
 * @id: the object id (gst-emo writes the track id)
 *
 * Stores DL Streamer's "object_id" structure (field "id", gint) on @roi, replacing an earlier
 * one. gst_emo_face_meta_set_tracking() writes it too.
 */
void gst_emo_face_meta_set_object_id(GstVideoRegionOfInterestMeta *roi, gint id);

/* ---- reading ---- */

/**
 * GstEmoFace:
 *
 * A snapshot of one face of one buffer (copied out of the metadata, so it stays valid after the
 * buffer is gone). Read it with the gst_emo_face_get_*() functions.
 */
typedef struct _GstEmoFace GstEmoFace;

#define GST_EMO_TYPE_FACE (gst_emo_face_get_type())
GType gst_emo_face_get_type(void);

/**
 * gst_emo_face_new_from_meta:
 * @buffer: (nullable): the buffer @roi belongs to (for the companion meta); %NULL reads the
 *   region's own structures only
 * @roi: one of its regions
 *
 * Reads one region. Malformed structures are skipped field by field.
 *
 * Returns: (transfer full) (nullable): the face, or %NULL when @roi is not a face region.
 */
GstEmoFace *gst_emo_face_new_from_meta(GstBuffer *buffer, GstVideoRegionOfInterestMeta *roi);

/**
 * gst_emo_buffer_get_faces:
 * @buffer: a buffer
 *
 * Returns: (transfer full) (element-type GstEmoFace): every face region of @buffer, in meta
 * order (an empty array when there is none). The array has no free function: a C caller frees
 * each face with gst_emo_face_free() and then the array (or sets gst_emo_face_free() as its
 * free function first).
 */
GPtrArray *gst_emo_buffer_get_faces(GstBuffer *buffer);

/**
 * gst_emo_face_copy:
 * @face: a face
 *
 * Returns: (transfer full): a copy of @face.
 */
GstEmoFace *gst_emo_face_copy(const GstEmoFace *face);
/**
 * gst_emo_face_free:
 * @face: (transfer full): a face
 */
void gst_emo_face_free(GstEmoFace *face);

/**
 * gst_emo_face_get_id:
 * @face: a face
 *
 * Returns: the ROI id, unique in the stream.
 */
gint gst_emo_face_get_id(const GstEmoFace *face);
/**
 * gst_emo_face_get_box:
 * @face: a face
 * @x: (out) (optional): left edge, frame pixels
 * @y: (out) (optional): top edge
 * @width: (out) (optional): width
 * @height: (out) (optional): height
 */
void gst_emo_face_get_box(const GstEmoFace *face, gint *x, gint *y, gint *width, gint *height);

/**
 * gst_emo_face_get_landmarks:
 * @face: a face
 * @n_coords: (out): number of floats (twice the number of points; 0 without landmarks)
 *
 * Returns: (array length=n_coords) (transfer none) (nullable): interleaved x, y in frame
 * pixels, mapped into the region's current box when it was rescaled since the fit.
 */
const gfloat *gst_emo_face_get_landmarks(const GstEmoFace *face, guint *n_coords);
/**
 * gst_emo_face_get_landmarks_backend:
 * @face: a face
 *
 * Returns: (nullable): e.g. "dlib-ert".
 */
const gchar *gst_emo_face_get_landmarks_backend(const GstEmoFace *face);

/**
 * gst_emo_face_has_emotion:
 * @face: a face
 *
 * Returns: %TRUE when an "emotion" structure is present.
 */
gboolean gst_emo_face_has_emotion(const GstEmoFace *face);
/**
 * gst_emo_face_get_emotion_label:
 * @face: a face
 *
 * Returns: (nullable): the label, %NULL without emotion.
 */
const gchar *gst_emo_face_get_emotion_label(const GstEmoFace *face);
/**
 * gst_emo_face_get_emotion_class_id:
 * @face: a face
 *
 * Returns: the class index, -1 when unknown.
 */
gint gst_emo_face_get_emotion_class_id(const GstEmoFace *face);
/**
 * gst_emo_face_get_emotion_confidence:
 * @face: a face
 *
 * Returns: the label's score in [0, 1] (0 when absent).
 */
gdouble gst_emo_face_get_emotion_confidence(const GstEmoFace *face);
/**
 * gst_emo_face_get_emotion_labels:
 * @face: a face
 *
 * Returns: (array zero-terminated=1) (transfer none): the model's class names (empty without).
 */
const gchar *const *gst_emo_face_get_emotion_labels(const GstEmoFace *face);
/**
 * gst_emo_face_get_emotion_scores:
 * @face: a face
 * @n_scores: (out): number of scores
 *
 * Returns: (array length=n_scores) (transfer none) (nullable): per-class scores, in the order
 * of the labels.
 */
const gdouble *gst_emo_face_get_emotion_scores(const GstEmoFace *face, guint *n_scores);

/**
 * gst_emo_face_get_track_id:
 * @face: a face
 *
 * Returns: the track id, -1 when the face is untracked.
 */
gint64 gst_emo_face_get_track_id(const GstEmoFace *face);
/**
 * gst_emo_face_is_detected:
 * @face: a face
 *
 * Returns: %FALSE when only the tracker placed the box.
 */
gboolean gst_emo_face_is_detected(const GstEmoFace *face);
/**
 * gst_emo_face_is_shot_start:
 * @face: a face
 *
 * Returns: %TRUE when the face's frame starts a shot ("shot-start" of "tracking").
 */
gboolean gst_emo_face_is_shot_start(const GstEmoFace *face);

/**
 * gst_emo_face_has_detection:
 * @face: a face
 *
 * Returns: %TRUE when a "detection" structure is present.
 */
gboolean gst_emo_face_has_detection(const GstEmoFace *face);
/**
 * gst_emo_face_get_detection_confidence:
 * @face: a face
 *
 * Returns: the detector's score, -1 when absent.
 */
gdouble gst_emo_face_get_detection_confidence(const GstEmoFace *face);
/**
 * gst_emo_face_get_keypoints:
 * @face: a face
 * @n_coords: (out): number of floats (twice the number of keypoints)
 *
 * Returns: (array length=n_coords) (transfer none) (nullable): the detector's keypoints,
 * interleaved x, y in frame pixels.
 */
const gfloat *gst_emo_face_get_keypoints(const GstEmoFace *face, guint *n_coords);
/**
 * gst_emo_face_get_detection_model:
 * @face: a face
 *
 * Returns: (nullable): the detector's model name.
 */
const gchar *gst_emo_face_get_detection_model(const GstEmoFace *face);

/**
 * gst_emo_face_has_pose:
 * @face: a face
 *
 * Returns: %TRUE when a "pose" structure is present.
 */
gboolean gst_emo_face_has_pose(const GstEmoFace *face);
/**
 * gst_emo_face_get_pose:
 * @face: a face
 * @yaw: (out) (optional): degrees, > 0 turned towards the image's right
 * @pitch: (out) (optional): degrees, > 0 tilted down
 * @roll: (out) (optional): degrees, > 0 leaning clockwise
 *
 * The head pose of the face (all 0 without a "pose" structure).
 *
 * Returns: %TRUE when the face has a pose.
 */
gboolean gst_emo_face_get_pose(const GstEmoFace *face, gdouble *yaw, gdouble *pitch, gdouble *roll);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GstEmoFace, gst_emo_face_free)

G_END_DECLS
