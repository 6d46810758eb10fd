// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_EMO_META_PUBLISH (gst_emo_meta_publish_get_type())
G_DECLARE_FINAL_TYPE(GstEmoMetaPublish, gst_emo_meta_publish, GST, EMO_META_PUBLISH,
                     GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(emometapublish);

G_END_DECLS
