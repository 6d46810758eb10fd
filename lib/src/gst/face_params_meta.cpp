// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the companion meta that carries the face param structures across elements that
// rebuild the region metas (see "Companion meta" in emo/gst/face_meta.hpp).
//
// Follows the pattern of gst-plugins-base gst-libs/gst/video/gstvideometa.c: an API type with
// the same tags as GstVideoRegionOfInterestMeta, one GstMetaInfo registered once, and a
// transform function handling the copy and the video scale transforms.
#include <algorithm>
#include <cstring>

#include "emo/gst/face_meta.hpp"

namespace emo::gst {

/// The params of one face region, keyed by its ROI id.
struct FaceParamsEntry {
  gint id;
  GList *params;  // owned GstStructure *, same layout as the ROI's param structures
};

struct FaceParamsMeta {
  GstMeta meta;
  GArray *entries;  // of FaceParamsEntry, at most one per id
};

namespace {

constexpr const char *kApiName = "GstEmoFaceParamsMetaAPI";
constexpr const char *kImplName = "GstEmoFaceParamsMeta";

void clear_entry(gpointer data) {
  auto *entry = static_cast<FaceParamsEntry *>(data);
  g_list_free_full(entry->params, reinterpret_cast<GDestroyNotify>(gst_structure_free));
  entry->params = nullptr;
}

gboolean meta_init(GstMeta *meta, gpointer /*params*/, GstBuffer * /*buffer*/) {
  auto *m = reinterpret_cast<FaceParamsMeta *>(meta);
  m->entries = g_array_new(FALSE, TRUE, sizeof(FaceParamsEntry));
  g_array_set_clear_func(m->entries, clear_entry);
  return TRUE;
}

void meta_free(GstMeta *meta, GstBuffer * /*buffer*/) {
  auto *m = reinterpret_cast<FaceParamsMeta *>(meta);
  g_array_unref(m->entries);
  m->entries = nullptr;
}

FaceParamsEntry *find_entry(const FaceParamsMeta *meta, gint id) {
  if (meta == nullptr) return nullptr;
  for (guint i = 0; i < meta->entries->len; ++i) {
    auto &entry = g_array_index(meta->entries, FaceParamsEntry, i);
    if (entry.id == id) return &entry;
  }
  return nullptr;
}

const GstStructure *find_in(GList *params, const char *name) {
  for (GList *l = params; l != nullptr; l = l->next)
    if (gst_structure_has_name(static_cast<GstStructure *>(l->data), name))
      return static_cast<GstStructure *>(l->data);
  return nullptr;
}

gpointer copy_structure(gconstpointer src, gpointer /*data*/) {
  return gst_structure_copy(static_cast<const GstStructure *>(src));
}

// Scales v by num/den the way the ROI meta's own scale transform does (integer, truncating).
gint scale_int(gint v, gint num, gint den) {
  return static_cast<gint>(static_cast<gint64>(v) * num / den);
}

// Rescales the `field` points ("points" of "landmarks", "keypoints" of "detection") and the
// "region" of a structure from ow x oh to nw x nh frames. "region" follows the ROI box's
// integer arithmetic so it stays equal to the scaled box.
void scale_landmarks(GstStructure *s, const char *field, gint ow, gint oh, gint nw, gint nh) {
  const double sx = static_cast<double>(nw) / ow, sy = static_cast<double>(nh) / oh;
  if (const GValue *points = gst_structure_get_value(s, field);
      points != nullptr && GST_VALUE_HOLDS_ARRAY(points)) {
    GValue scaled = G_VALUE_INIT;
    g_value_init(&scaled, GST_TYPE_ARRAY);
    const guint n = gst_value_array_get_size(points);
    for (guint i = 0; i < n; ++i) {
      const GValue *v = gst_value_array_get_value(points, i);
      GValue out = G_VALUE_INIT;
      g_value_init(&out, G_VALUE_TYPE(v));
      const double factor = i % 2 == 0 ? sx : sy;
      if (G_VALUE_HOLDS_FLOAT(v))
        g_value_set_float(&out, static_cast<float>(g_value_get_float(v) * factor));
      else if (G_VALUE_HOLDS_DOUBLE(v))
        g_value_set_double(&out, g_value_get_double(v) * factor);
      else  // not a coordinate: kept as it is, the reader rejects the array
        g_value_copy(v, &out);
      gst_value_array_append_and_take_value(&scaled, &out);
    }
    gst_structure_take_value(s, field, &scaled);
  }
  if (const GValue *region = gst_structure_get_value(s, "region");
      region != nullptr && GST_VALUE_HOLDS_ARRAY(region) && gst_value_array_get_size(region) == 4) {
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
}

// Stores `params` (taken) as the entry of `id`, replacing an earlier one.
void put_entry(FaceParamsMeta *meta, gint id, GList *params) {
  if (FaceParamsEntry *entry = find_entry(meta, id)) {
    clear_entry(entry);
    entry->params = params;
    return;
  }
  FaceParamsEntry entry{id, params};
  g_array_append_val(meta->entries, entry);
}

// The transform snapshots the source buffer: for each face region, its own param structures
// and, for the names it lacks, the ones this meta carried; a scale rescales the landmarks.
gboolean meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *buffer, GQuark type,
                        gpointer data) {
  gint ow = 1, oh = 1, nw = 1, nh = 1;
  bool scale = false;
  if (GST_META_TRANSFORM_IS_COPY(type)) {
    // a region copy keeps frame coordinates, like the ROI meta's own copy
  } else if (GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) {
    auto *trans = static_cast<GstVideoMetaTransform *>(data);
    ow = GST_VIDEO_INFO_WIDTH(trans->in_info);
    oh = GST_VIDEO_INFO_HEIGHT(trans->in_info);
    nw = GST_VIDEO_INFO_WIDTH(trans->out_info);
    nh = GST_VIDEO_INFO_HEIGHT(trans->out_info);
    if (ow <= 0 || oh <= 0 || nw <= 0 || nh <= 0) return FALSE;
    scale = ow != nw || oh != nh;
  } else {
    return FALSE;  // transform type not supported
  }
  const auto *smeta = reinterpret_cast<const FaceParamsMeta *>(meta);
  FaceParamsMeta *dmeta = ensure_face_params_meta(dest);
  if (dmeta == nullptr) return FALSE;

  gpointer state = nullptr;
  GstMeta *m = nullptr;
  while ((m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto *roi = reinterpret_cast<GstVideoRegionOfInterestMeta *>(m);
    const gchar *roi_type = g_quark_to_string(roi->roi_type);
    if (roi_type == nullptr || std::strcmp(roi_type, kFaceRoiType) != 0) continue;
    GList *params = g_list_copy_deep(roi->params, copy_structure, nullptr);
    if (const FaceParamsEntry *carried = find_entry(smeta, roi->id))
      for (GList *l = carried->params; l != nullptr; l = l->next) {
        auto *s = static_cast<GstStructure *>(l->data);
        if (find_in(roi->params, gst_structure_get_name(s)) == nullptr)
          params = g_list_append(params, gst_structure_copy(s));
      }
    if (params == nullptr) continue;
    if (scale)
      for (GList *l = params; l != nullptr; l = l->next) {
        auto *ps = static_cast<GstStructure *>(l->data);
        if (gst_structure_has_name(ps, kLandmarksParam))
          scale_landmarks(ps, "points", ow, oh, nw, nh);
        else if (gst_structure_has_name(ps, kDetectionParam))
          scale_landmarks(ps, "keypoints", ow, oh, nw, nh);
      }
    put_entry(dmeta, roi->id, params);
  }
  return TRUE;
}

}  // namespace

GType face_params_meta_api_get_type() {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    // Another copy of this static library in the process (the plugin and an application)
    // may have registered the type already: use it, the layout is the same.
    GType t = g_type_from_name(kApiName);
    if (t == 0) {
      static const gchar *tags[] = {GST_META_TAG_VIDEO_STR, GST_META_TAG_VIDEO_ORIENTATION_STR,
                                    GST_META_TAG_VIDEO_SIZE_STR, nullptr};
      t = gst_meta_api_type_register(kApiName, tags);
    }
    g_once_init_leave(&type, t);
  }
  return type;
}

const GstMetaInfo *face_params_meta_get_info() {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo *mi = gst_meta_get_info(kImplName);
    if (mi == nullptr)
      mi = gst_meta_register(face_params_meta_api_get_type(), kImplName, sizeof(FaceParamsMeta),
                             meta_init, meta_free, meta_transform);
    g_once_init_leave(&info, mi);
  }
  return info;
}

FaceParamsMeta *get_face_params_meta(GstBuffer *buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  return reinterpret_cast<FaceParamsMeta *>(
      gst_buffer_get_meta(buffer, face_params_meta_api_get_type()));
}

FaceParamsMeta *ensure_face_params_meta(GstBuffer *buffer) {
  if (FaceParamsMeta *meta = get_face_params_meta(buffer)) return meta;
  g_return_val_if_fail(gst_buffer_is_writable(buffer), nullptr);
  return reinterpret_cast<FaceParamsMeta *>(
      gst_buffer_add_meta(buffer, face_params_meta_get_info(), nullptr));
}

const GstStructure *find_face_param(const FaceParamsMeta *carrier,
                                    const GstVideoRegionOfInterestMeta *roi, const char *name) {
  if (roi == nullptr || name == nullptr) return nullptr;
  if (const GstStructure *own = find_in(roi->params, name)) return own;
  const FaceParamsEntry *entry = find_entry(carrier, roi->id);
  return entry != nullptr ? find_in(entry->params, name) : nullptr;
}

}  // namespace emo::gst
