// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "gstemoanalysisfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_EMO_FACE_DETECT (gst_emo_face_detect_get_type())
G_DECLARE_FINAL_TYPE(GstEmoFaceDetect, gst_emo_face_detect, GST, EMO_FACE_DETECT,
                     GstEmoAnalysisFilter)

GST_ELEMENT_REGISTER_DECLARE(emofacedetect);

G_END_DECLS
