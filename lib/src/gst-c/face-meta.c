/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-emo face metadata, C library: writers, the companion meta and the reader (layout in
 * gst/emo/face-meta.h). */
#include "gst/emo/face-meta.h"

#include <string.h>

#define LANDMARKS "landmarks"
#define EMOTION "emotion"
#define TRACKING "tracking"
#define OBJECT_ID "object_id"
#define DETECTION "detection"
#define POSE "pose"

/* ---- helpers ---- */

static gboolean is_face(const GstVideoRegionOfInterestMeta *roi) {
  const gchar *type = g_quark_to_string(roi->roi_type);
  return type != NULL && strcmp(type, GST_EMO_FACE_ROI_TYPE) == 0;
}

static const GstStructure *find_in(GList *params, const gchar *name) {
  for (GList *l = params; l != NULL; l = l->next)
    if (l->data != NULL && gst_structure_has_name(l->data, name)) return l->data;
  return NULL;
}

/* Removes (and frees) every param structure called `name` from a region. */
static void remove_param(GstVideoRegionOfInterestMeta *roi, const gchar *name) {
  GList *l = roi->params;
  while (l != NULL) {
    GList *next = l->next;
    if (l->data != NULL && gst_structure_has_name(l->data, name)) {
      gst_structure_free(l->data);
      roi->params = g_list_delete_link(roi->params, l);
    }
    l = next;
  }
}

static void replace_param(GstVideoRegionOfInterestMeta *roi, GstStructure *s) {
  remove_param(roi, gst_structure_get_name(s));
  gst_video_region_of_interest_meta_add_param(roi, s);
}

static void append_float(GValue *array, gfloat f) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, G_TYPE_FLOAT);
  g_value_set_float(&v, f);
  gst_value_array_append_and_take_value(array, &v);
}

static void set_float_array(GstStructure *s, const gchar *field, const gfloat *values, guint n) {
  GValue array = G_VALUE_INIT;
  g_value_init(&array, GST_TYPE_ARRAY);
  for (guint i = 0; values != NULL && i < n; ++i) append_float(&array, values[i]);
  gst_structure_take_value(s, field, &array);
}

/* The numeric array `field` of `s` as doubles (a new GArray), or NULL when absent or not all
 * numbers. */
static GArray *number_array(const GstStructure *s, const gchar *field) {
  const GValue *array = gst_structure_get_value(s, field);
  if (array == NULL || !GST_VALUE_HOLDS_ARRAY(array)) return NULL;
  const guint n = gst_value_array_get_size(array);
  GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(gdouble), n);
  for (guint i = 0; i < n; ++i) {
    const GValue *v = gst_value_array_get_value(array, i);
    gdouble d;
    if (G_VALUE_HOLDS_FLOAT(v))
      d = g_value_get_float(v);
    else if (G_VALUE_HOLDS_DOUBLE(v))
      d = g_value_get_double(v);
    else if (G_VALUE_HOLDS_INT(v))
      d = g_value_get_int(v);
    else if (G_VALUE_HOLDS_UINT(v))
      d = g_value_get_uint(v);
    else {
      g_array_unref(out);
      return NULL;
    }
    g_array_append_val(out, d);
  }
  return out;
}

/* The string array `field` of `s` as a NULL-terminated vector, or NULL when absent or not all
 * strings. */
static gchar **string_array(const GstStructure *s, const gchar *field) {
  const GValue *array = gst_structure_get_value(s, field);
  if (array == NULL || !GST_VALUE_HOLDS_ARRAY(array)) return NULL;
  const guint n = gst_value_array_get_size(array);
  GStrvBuilder *b = g_strv_builder_new();
  for (guint i = 0; i < n; ++i) {
    const GValue *v = gst_value_array_get_value(array, i);
    if (!G_VALUE_HOLDS_STRING(v)) {
      g_strv_builder_unref(b);
      return NULL;
    }
    const gchar *str = g_value_get_string(v);
    g_strv_builder_add(b, str != NULL ? str : "");
  }
  gchar **out = g_strv_builder_end(b);
  g_strv_builder_unref(b);
  return out;
}

/* ---- the companion meta ---- */

typedef struct {
  gint id;
  GList *params; /* owned GstStructure *, same layout as the ROI's */
} FaceParamsEntry;

struct _GstEmoFaceParamsMeta {
  GstMeta meta;
  GArray *entries; /* of FaceParamsEntry, at most one per id */
};

static void clear_entry(gpointer data) {
  FaceParamsEntry *entry = data;
  g_list_free_full(entry->params, (GDestroyNotify)gst_structure_free);
  entry->params = NULL;
}

static gboolean params_meta_init(GstMeta *meta, gpointer params, GstBuffer *buffer) {
  GstEmoFaceParamsMeta *m = (GstEmoFaceParamsMeta *)meta;
  m->entries = g_array_new(FALSE, TRUE, sizeof(FaceParamsEntry));
  g_array_set_clear_func(m->entries, clear_entry);
  return TRUE;
}

static void params_meta_free(GstMeta *meta, GstBuffer *buffer) {
  GstEmoFaceParamsMeta *m = (GstEmoFaceParamsMeta *)meta;
  g_array_unref(m->entries);
  m->entries = NULL;
}

static FaceParamsEntry *find_entry(const GstEmoFaceParamsMeta *meta, gint id) {
  if (meta == NULL) return NULL;
  for (guint i = 0; i < meta->entries->len; ++i) {
    FaceParamsEntry *entry = &g_array_index(meta->entries, FaceParamsEntry, i);
    if (entry->id == id) return entry;
  }
  return NULL;
}

static gpointer copy_structure(gconstpointer src, gpointer data) { return gst_structure_copy(src); }

/* Multiplies every float/double of the array `field` by sx (even index) and sy (odd index). */
static void scale_points(GstStructure *s, const gchar *field, gdouble sx, gdouble sy) {
  const GValue *points = gst_structure_get_value(s, field);
  if (points == NULL || !GST_VALUE_HOLDS_ARRAY(points)) return;
  GValue scaled = G_VALUE_INIT;
  g_value_init(&scaled, GST_TYPE_ARRAY);
  const guint n = gst_value_array_get_size(points);
  for (guint i = 0; i < n; ++i) {
    const GValue *v = gst_value_array_get_value(points, i);
    GValue out = G_VALUE_INIT;
    g_value_init(&out, G_VALUE_TYPE(v));
    const gdouble factor = i % 2 == 0 ? sx : sy;
    if (G_VALUE_HOLDS_FLOAT(v))
      g_value_set_float(&out, (gfloat)(g_value_get_float(v) * factor));
    else if (G_VALUE_HOLDS_DOUBLE(v))
      g_value_set_double(&out, g_value_get_double(v) * factor);
    else /* not a coordinate: kept as it is, the reader rejects the array */
      g_value_copy(v, &out);
    gst_value_array_append_and_take_value(&scaled, &out);
  }
  gst_structure_take_value(s, field, &scaled);
}

/* Scales v by num/den the way the ROI meta's own scale transform does (integer, truncating). */
static gint scale_int(gint v, gint num, gint den) { return (gint)((gint64)v * num / den); }

/* Rescales a "landmarks" structure (points and region) or a "detection" structure
 * (keypoints and region) from ow x oh to nw x nh frames. "region" follows the ROI box's integer
 * arithmetic, so that it stays equal to the scaled box. */
static void scale_structure(GstStructure *s, gint ow, gint oh, gint nw, gint nh) {
  const gdouble sx = (gdouble)nw / ow, sy = (gdouble)nh / oh;
  if (gst_structure_has_name(s, DETECTION))
    scale_points(s, "keypoints", sx, sy);
  else if (gst_structure_has_name(s, LANDMARKS))
    scale_points(s, "points", sx, sy);
  else
    return;
  const GValue *region = gst_structure_get_value(s, "region");
  if (region == NULL || !GST_VALUE_HOLDS_ARRAY(region) || gst_value_array_get_size(region) != 4)
    return;
  GValue scaled = G_VALUE_INIT;
  g_value_init(&scaled, GST_TYPE_ARRAY);
  for (guint i = 0; i < 4; ++i) {
    const GValue *v = gst_value_array_get_value(region, i);
    GValue out = G_VALUE_INIT;
    g_value_init(&out, G_VALUE_TYPE(v));
    if (G_VALUE_HOLDS_INT(v))
      g_value_set_int(&out,
                      scale_int(g_value_get_int(v), i % 2 == 0 ? nw : nh, i % 2 == 0 ? ow : oh));
    else
      g_value_copy(v, &out);
    gst_value_array_append_and_take_value(&scaled, &out);
  }
  gst_structure_take_value(s, "region", &scaled);
}

/* Stores `params` (taken) as the entry of `id`, replacing an earlier one. */
static void put_entry(GstEmoFaceParamsMeta *meta, gint id, GList *params) {
  FaceParamsEntry *entry = find_entry(meta, id);
  if (entry != NULL) {
    clear_entry(entry);
    entry->params = params;
    return;
  }
  FaceParamsEntry e = {id, params};
  g_array_append_val(meta->entries, e);
}

/* Snapshots the source buffer: for each face region, its own param structures and, for the
 * names it lacks, the ones this meta carried; a scale rescales landmarks and keypoints. */
static gboolean params_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer,
                                      GQuark type, gpointer data) {
  gint ow = 1, oh = 1, nw = 1, nh = 1;
  gboolean scale = FALSE;
  if (GST_META_TRANSFORM_IS_COPY(type)) {
    /* a region copy keeps frame coordinates, like the ROI meta's own copy */
  } else if (GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) {
    GstVideoMetaTransform *trans = data;
    ow = GST_VIDEO_INFO_WIDTH(trans->in_info);
    oh = GST_VIDEO_INFO_HEIGHT(trans->in_info);
    nw = GST_VIDEO_INFO_WIDTH(trans->out_info);
    nh = GST_VIDEO_INFO_HEIGHT(trans->out_info);
    if (ow <= 0 || oh <= 0 || nw <= 0 || nh <= 0) return FALSE;
    scale = ow != nw || oh != nh;
  } else {
    return FALSE; /* transform type not supported */
  }
  const GstEmoFaceParamsMeta *smeta = (const GstEmoFaceParamsMeta *)meta;
  GstEmoFaceParamsMeta *dmeta = gst_emo_buffer_ensure_face_params_meta(dest);
  if (dmeta == NULL) return FALSE;

  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *)m;
    if (!is_face(roi)) continue;
    GList *params = g_list_copy_deep(roi->params, copy_structure, NULL);
    const FaceParamsEntry *carried = find_entry(smeta, roi->id);
    if (carried != NULL)
      for (GList *l = carried->params; l != NULL; l = l->next)
        if (find_in(roi->params, gst_structure_get_name(l->data)) == NULL)
          params = g_list_append(params, gst_structure_copy(l->data));
    if (params == NULL) continue;
    if (scale)
      for (GList *l = params; l != NULL; l = l->next) scale_structure(l->data, ow, oh, nw, nh);
    put_entry(dmeta, roi->id, params);
  }
  return TRUE;
}

GType gst_emo_face_params_meta_api_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    /* An older static copy of this code in the process may have registered it already. */
    GType t = g_type_from_name("GstEmoFaceParamsMetaAPI");
    if (t == 0) {
      static const gchar *tags[] = {GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_ORIENTATION_STR,
                                    GST_META_TAG_VIDEO_SIZE_STR, NULL};
      t = gst_meta_api_type_register("GstEmoFaceParamsMetaAPI", tags);
    }
    g_once_init_leave(&type, t);
  }
  return type;
}

const GstMetaInfo *gst_emo_face_params_meta_get_info(void) {
  static const GstMetaInfo *info = NULL;
  if (g_once_init_enter((GstMetaInfo **)&info)) {
    const GstMetaInfo *mi = gst_meta_get_info("GstEmoFaceParamsMeta");
    if (mi == NULL)
      mi = gst_meta_register(gst_emo_face_params_meta_api_get_type(), "GstEmoFaceParamsMeta",
                             sizeof(GstEmoFaceParamsMeta), params_meta_init, params_meta_free,
                             params_meta_transform);
    g_once_init_leave((GstMetaInfo **)&info, (GstMetaInfo *)mi);
  }
  return info;
}

GstEmoFaceParamsMeta *gst_emo_buffer_get_face_params_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  return (GstEmoFaceParamsMeta *)gst_buffer_get_meta(buffer,
                                                     gst_emo_face_params_meta_api_get_type());
}

GstEmoFaceParamsMeta *gst_emo_buffer_ensure_face_params_meta(GstBuffer *buffer) {
  GstEmoFaceParamsMeta *meta = gst_emo_buffer_get_face_params_meta(buffer);
  if (meta != NULL) return meta;
  g_return_val_if_fail(gst_buffer_is_writable(buffer), NULL);
  return (GstEmoFaceParamsMeta *)gst_buffer_add_meta(buffer, gst_emo_face_params_meta_get_info(),
                                                     NULL);
}

const GstStructure *gst_emo_face_params_meta_find_param(const GstEmoFaceParamsMeta *carrier,
                                                        const GstVideoRegionOfInterestMeta *roi,
                                                        const gchar *name) {
  if (roi == NULL || name == NULL) return NULL;
  const GstStructure *own = find_in(roi->params, name);
  if (own != NULL) return own;
  const FaceParamsEntry *entry = find_entry(carrier, roi->id);
  return entry != NULL ? find_in(entry->params, name) : NULL;
}

/* ---- writing ---- */

GstVideoRegionOfInterestMeta *gst_emo_buffer_add_face(GstBuffer *buffer, gint x, gint y, gint width,
                                                      gint height, gint id) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(gst_buffer_is_writable(buffer), NULL);
  gst_emo_buffer_ensure_face_params_meta(buffer);
  GstVideoRegionOfInterestMeta *roi = gst_buffer_add_video_region_of_interest_meta(
      buffer, GST_EMO_FACE_ROI_TYPE, (guint)MAX(x, 0), (guint)MAX(y, 0), (guint)MAX(width, 0),
      (guint)MAX(height, 0));
  if (roi != NULL) {
    roi->id = id;
    roi->parent_id = -1;
  }
  return roi;
}

/* The box `roi` has now, as the "region" field of `s`: the x, y, w, h the points were placed in,
 * so that a reader can follow a rescaled region. */
static void set_region(GstStructure *s, const GstVideoRegionOfInterestMeta *roi) {
  GValue region = G_VALUE_INIT;
  g_value_init(&region, GST_TYPE_ARRAY);
  const guint box[4] = {roi->x, roi->y, roi->w, roi->h};
  for (guint i = 0; i < 4; ++i) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_INT);
    g_value_set_int(&v, (gint)box[i]);
    gst_value_array_append_and_take_value(&region, &v);
  }
  gst_structure_take_value(s, "region", &region);
}

void gst_emo_face_meta_set_landmarks(GstVideoRegionOfInterestMeta *roi, const gfloat *coords,
                                     guint n_coords, const gchar *backend) {
  g_return_if_fail(roi != NULL);
  g_return_if_fail(n_coords % 2 == 0);
  GstStructure *s = gst_structure_new(LANDMARKS, "n-points", G_TYPE_UINT, n_coords / 2, NULL);
  set_float_array(s, "points", coords, n_coords);
  set_region(s, roi);
  gst_structure_set(s, "backend", G_TYPE_STRING, backend != NULL ? backend : "", NULL);
  replace_param(roi, s);
}

void gst_emo_face_meta_set_emotion(GstVideoRegionOfInterestMeta *roi, const gchar *label,
                                   gint class_id, gdouble confidence, const gchar *const *labels,
                                   const gdouble *scores, guint n_scores) {
  g_return_if_fail(roi != NULL);
  GstStructure *s =
      gst_structure_new(EMOTION, "label", G_TYPE_STRING, label != NULL ? label : "", "class-id",
                        G_TYPE_INT, class_id, "confidence", G_TYPE_DOUBLE, confidence, NULL);
  GValue names = G_VALUE_INIT;
  g_value_init(&names, GST_TYPE_ARRAY);
  for (const gchar *const *l = labels; l != NULL && *l != NULL; ++l) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, *l);
    gst_value_array_append_and_take_value(&names, &v);
  }
  gst_structure_take_value(s, "labels", &names);
  GValue values = G_VALUE_INIT;
  g_value_init(&values, GST_TYPE_ARRAY);
  for (guint i = 0; scores != NULL && i < n_scores; ++i) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_DOUBLE);
    g_value_set_double(&v, scores[i]);
    gst_value_array_append_and_take_value(&values, &v);
  }
  gst_structure_take_value(s, "scores", &values);
  replace_param(roi, s);
}

void gst_emo_face_meta_set_tracking(GstVideoRegionOfInterestMeta *roi, guint64 track_id,
                                    gboolean detected) {
  g_return_if_fail(roi != NULL);
  replace_param(roi, gst_structure_new(TRACKING, "track-id", G_TYPE_UINT64, track_id, "detected",
                                       G_TYPE_BOOLEAN, detected ? TRUE : FALSE, NULL));
  replace_param(roi, gst_structure_new(OBJECT_ID, "id", G_TYPE_INT, (gint)track_id, NULL));
}

void gst_emo_face_meta_set_shot_start(GstVideoRegionOfInterestMeta *roi, gboolean shot_start) {
  g_return_if_fail(roi != NULL);
  GstStructure *s = gst_video_region_of_interest_meta_get_param(roi, TRACKING);
  g_return_if_fail(s != NULL);
  gst_structure_set(s, "shot-start", G_TYPE_BOOLEAN, shot_start ? TRUE : FALSE, NULL);
}

void gst_emo_face_meta_set_detection(GstVideoRegionOfInterestMeta *roi, gdouble confidence,
                                     const gfloat *keypoints, guint n_coords, const gchar *model) {
  g_return_if_fail(roi != NULL);
  g_return_if_fail(n_coords % 2 == 0);
  GstStructure *s = gst_structure_new_empty(DETECTION);
  if (confidence >= 0) gst_structure_set(s, "confidence", G_TYPE_DOUBLE, confidence, NULL);
  gst_structure_set(s, "n-keypoints", G_TYPE_UINT, n_coords / 2, NULL);
  set_float_array(s, "keypoints", keypoints, n_coords);
  set_region(s, roi);
  gst_structure_set(s, "model", G_TYPE_STRING, model != NULL ? model : "", NULL);
  replace_param(roi, s);
}

void gst_emo_face_meta_set_pose(GstVideoRegionOfInterestMeta *roi, gdouble yaw, gdouble pitch,
                                gdouble roll) {
  g_return_if_fail(roi != NULL);
  replace_param(roi, gst_structure_new(POSE, "yaw", G_TYPE_DOUBLE, yaw, "pitch", G_TYPE_DOUBLE,
                                       pitch, "roll", G_TYPE_DOUBLE, roll, NULL));
}

void gst_emo_face_meta_set_object_id(GstVideoRegionOfInterestMeta *roi, gint id) {
  g_return_if_fail(roi != NULL);
  replace_param(roi, gst_structure_new(OBJECT_ID, "id", G_TYPE_INT, id, NULL));
}

/* ---- reading ---- */

struct _GstEmoFace {
  gint id, x, y, width, height;
  GArray *landmarks; /* gfloat, interleaved */
  gchar *backend;
  gboolean has_emotion;
  gchar *label;
  gint class_id;
  gdouble confidence;
  gchar **labels; /* never NULL */
  GArray *scores; /* gdouble */
  gint64 track_id;
  gboolean detected;
  gboolean shot_start;
  gboolean has_detection;
  gdouble detection_confidence;
  GArray *keypoints; /* gfloat, interleaved */
  gchar *model;
  gboolean has_pose;
  gdouble yaw, pitch, roll; /* degrees */
};

G_DEFINE_BOXED_TYPE(GstEmoFace, gst_emo_face, gst_emo_face_copy, gst_emo_face_free)

static GstEmoFace *face_new(void) {
  GstEmoFace *face = g_new0(GstEmoFace, 1);
  face->landmarks = g_array_new(FALSE, FALSE, sizeof(gfloat));
  face->scores = g_array_new(FALSE, FALSE, sizeof(gdouble));
  face->keypoints = g_array_new(FALSE, FALSE, sizeof(gfloat));
  face->labels = g_new0(gchar *, 1);
  face->class_id = -1;
  face->track_id = -1;
  face->detected = TRUE;
  face->detection_confidence = -1.0;
  return face;
}

static GArray *copy_array(const GArray *a) {
  GArray *out = g_array_sized_new(FALSE, FALSE, g_array_get_element_size((GArray *)a), a->len);
  g_array_append_vals(out, a->data, a->len);
  return out;
}

GstEmoFace *gst_emo_face_copy(const GstEmoFace *face) {
  g_return_val_if_fail(face != NULL, NULL);
  GstEmoFace *c = g_new0(GstEmoFace, 1);
  *c = *face;
  c->landmarks = copy_array(face->landmarks);
  c->scores = copy_array(face->scores);
  c->keypoints = copy_array(face->keypoints);
  c->backend = g_strdup(face->backend);
  c->label = g_strdup(face->label);
  c->labels = g_strdupv(face->labels);
  c->model = g_strdup(face->model);
  return c;
}

void gst_emo_face_free(GstEmoFace *face) {
  if (face == NULL) return;
  g_array_unref(face->landmarks);
  g_array_unref(face->scores);
  g_array_unref(face->keypoints);
  g_free(face->backend);
  g_free(face->label);
  g_strfreev(face->labels);
  g_free(face->model);
  g_free(face);
}

/* The points (field `field`, count field `count_field`) of a "landmarks" or "detection"
 * structure, mapped to the current box of `roi`, appended to `out`. */
static void read_points(GArray *out, const GstStructure *s, const GstVideoRegionOfInterestMeta *roi,
                        const gchar *field, const gchar *count_field) {
  GArray *coords = number_array(s, field);
  if (coords == NULL) return;
  guint n = 0;
  if (coords->len % 2 != 0 ||
      (gst_structure_get_uint(s, count_field, &n) && 2 * (gsize)n != coords->len)) {
    g_array_unref(coords);
    return;
  }
  /* From the region the points were placed in to the region's current box. */
  gdouble sx = 1.0, sy = 1.0, ox = 0.0, oy = 0.0, rx = 0.0, ry = 0.0;
  GArray *region = number_array(s, "region");
  if (region != NULL && region->len == 4) {
    const gdouble *r = (const gdouble *)region->data;
    if (r[2] > 0 && r[3] > 0 && roi->w > 0 && roi->h > 0 &&
        (r[0] != roi->x || r[1] != roi->y || r[2] != roi->w || r[3] != roi->h)) {
      rx = r[0];
      ry = r[1];
      sx = roi->w / r[2];
      sy = roi->h / r[3];
      ox = roi->x;
      oy = roi->y;
    }
  }
  if (region != NULL) g_array_unref(region);
  const gdouble *c = (const gdouble *)coords->data;
  for (guint i = 0; i + 1 < coords->len; i += 2) {
    const gfloat x = (gfloat)(ox + (c[i] - rx) * sx); /* identity when not rescaled */
    const gfloat y = (gfloat)(oy + (c[i + 1] - ry) * sy);
    g_array_append_val(out, x);
    g_array_append_val(out, y);
  }
  g_array_unref(coords);
}

/* The points of a "landmarks" structure, mapped to the current box of `roi`. */
static void read_landmarks(GstEmoFace *face, const GstStructure *s,
                           const GstVideoRegionOfInterestMeta *roi) {
  read_points(face->landmarks, s, roi, "points", "n-points");
  const gchar *backend = gst_structure_get_string(s, "backend");
  face->backend = g_strdup(backend);
}

static void read_emotion(GstEmoFace *face, const GstStructure *s) {
  face->has_emotion = TRUE;
  gint class_id;
  if (gst_structure_get_int(s, "class-id", &class_id)) face->class_id = class_id;
  const gchar *label = gst_structure_get_string(s, "label");
  face->label = g_strdup(label != NULL ? label : "");
  gdouble confidence;
  if (gst_structure_get_double(s, "confidence", &confidence)) face->confidence = confidence;
  GArray *scores = number_array(s, "scores");
  if (scores != NULL) {
    g_array_append_vals(face->scores, scores->data, scores->len);
    g_array_unref(scores);
  }
  gchar **labels = string_array(s, "labels");
  if (labels != NULL) {
    g_strfreev(face->labels);
    face->labels = labels;
  }
  if (face->label[0] == '\0' && face->class_id >= 0 &&
      (guint)face->class_id < g_strv_length(face->labels)) {
    g_free(face->label);
    face->label = g_strdup(face->labels[face->class_id]);
  }
}

static void read_detection(GstEmoFace *face, const GstStructure *s,
                           const GstVideoRegionOfInterestMeta *roi) {
  face->has_detection = TRUE;
  gdouble confidence;
  if (gst_structure_get_double(s, "confidence", &confidence))
    face->detection_confidence = confidence;
  read_points(face->keypoints, s, roi, "keypoints", "n-keypoints");
  face->model = g_strdup(gst_structure_get_string(s, "model"));
}

GstEmoFace *gst_emo_face_new_from_meta(GstBuffer *buffer, GstVideoRegionOfInterestMeta *roi) {
  g_return_val_if_fail(buffer == NULL || GST_IS_BUFFER(buffer), NULL);
  g_return_val_if_fail(roi != NULL, NULL);
  if (!is_face(roi)) return NULL;
  const GstEmoFaceParamsMeta *carrier =
      buffer != NULL ? gst_emo_buffer_get_face_params_meta(buffer) : NULL;
  GstEmoFace *face = face_new();
  face->id = roi->id;
  face->x = (gint)roi->x;
  face->y = (gint)roi->y;
  face->width = (gint)roi->w;
  face->height = (gint)roi->h;
  const GstStructure *s;
  if ((s = gst_emo_face_params_meta_find_param(carrier, roi, LANDMARKS)) != NULL)
    read_landmarks(face, s, roi);
  if ((s = gst_emo_face_params_meta_find_param(carrier, roi, EMOTION)) != NULL)
    read_emotion(face, s);
  if ((s = gst_emo_face_params_meta_find_param(carrier, roi, TRACKING)) != NULL) {
    guint64 track_id;
    if (gst_structure_get_uint64(s, "track-id", &track_id)) face->track_id = (gint64)track_id;
    gboolean detected;
    if (gst_structure_get_boolean(s, "detected", &detected)) face->detected = detected;
    gboolean shot_start;
    if (gst_structure_get_boolean(s, "shot-start", &shot_start)) face->shot_start = shot_start;
  } else if ((s = gst_emo_face_params_meta_find_param(carrier, roi, OBJECT_ID)) != NULL) {
    gint id;
    if (gst_structure_get_int(s, "id", &id) && id >= 0) face->track_id = id;
  }
  if ((s = gst_emo_face_params_meta_find_param(carrier, roi, DETECTION)) != NULL)
    read_detection(face, s, roi);
  if ((s = gst_emo_face_params_meta_find_param(carrier, roi, POSE)) != NULL)
    face->has_pose = gst_structure_get_double(s, "yaw", &face->yaw) &&
                     gst_structure_get_double(s, "pitch", &face->pitch) &&
                     gst_structure_get_double(s, "roll", &face->roll);
  if (!face->has_pose) face->yaw = face->pitch = face->roll = 0.0;
  return face;
}

GPtrArray *gst_emo_buffer_get_faces(GstBuffer *buffer) {
  /* No free function: with (transfer full) the caller owns the elements (bindings free each). */
  GPtrArray *faces = g_ptr_array_new();
  g_return_val_if_fail(GST_IS_BUFFER(buffer), faces);
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstEmoFace *face = gst_emo_face_new_from_meta(buffer, (GstVideoRegionOfInterestMeta *)m);
    if (face != NULL) g_ptr_array_add(faces, face);
  }
  return faces;
}

gint gst_emo_face_get_id(const GstEmoFace *face) { return face->id; }

void gst_emo_face_get_box(const GstEmoFace *face, gint *x, gint *y, gint *width, gint *height) {
  if (x) *x = face->x;
  if (y) *y = face->y;
  if (width) *width = face->width;
  if (height) *height = face->height;
}

const gfloat *gst_emo_face_get_landmarks(const GstEmoFace *face, guint *n_coords) {
  *n_coords = face->landmarks->len;
  return (const gfloat *)face->landmarks->data;
}

const gchar *gst_emo_face_get_landmarks_backend(const GstEmoFace *face) { return face->backend; }
gboolean gst_emo_face_has_emotion(const GstEmoFace *face) { return face->has_emotion; }
const gchar *gst_emo_face_get_emotion_label(const GstEmoFace *face) { return face->label; }
gint gst_emo_face_get_emotion_class_id(const GstEmoFace *face) { return face->class_id; }
gdouble gst_emo_face_get_emotion_confidence(const GstEmoFace *face) { return face->confidence; }

const gchar *const *gst_emo_face_get_emotion_labels(const GstEmoFace *face) {
  return (const gchar *const *)face->labels;
}

const gdouble *gst_emo_face_get_emotion_scores(const GstEmoFace *face, guint *n_scores) {
  *n_scores = face->scores->len;
  return (const gdouble *)face->scores->data;
}

gint64 gst_emo_face_get_track_id(const GstEmoFace *face) { return face->track_id; }
gboolean gst_emo_face_is_detected(const GstEmoFace *face) { return face->detected; }
gboolean gst_emo_face_is_shot_start(const GstEmoFace *face) { return face->shot_start; }

gboolean gst_emo_face_has_pose(const GstEmoFace *face) {
  g_return_val_if_fail(face != NULL, FALSE);
  return face->has_pose;
}

gboolean gst_emo_face_get_pose(const GstEmoFace *face, gdouble *yaw, gdouble *pitch,
                               gdouble *roll) {
  g_return_val_if_fail(face != NULL, FALSE);
  if (yaw != NULL) *yaw = face->yaw;
  if (pitch != NULL) *pitch = face->pitch;
  if (roll != NULL) *roll = face->roll;
  return face->has_pose;
}
gboolean gst_emo_face_has_detection(const GstEmoFace *face) { return face->has_detection; }

gdouble gst_emo_face_get_detection_confidence(const GstEmoFace *face) {
  return face->detection_confidence;
}

const gfloat *gst_emo_face_get_keypoints(const GstEmoFace *face, guint *n_coords) {
  *n_coords = face->keypoints->len;
  return (const gfloat *)face->keypoints->data;
}

const gchar *gst_emo_face_get_detection_model(const GstEmoFace *face) { return face->model; }
