// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "gstemoanalysisfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_EMO_LANDMARKS (gst_emo_landmarks_get_type())
G_DECLARE_FINAL_TYPE(GstEmoLandmarks, gst_emo_landmarks, GST, EMO_LANDMARKS, GstEmoAnalysisFilter)

GST_ELEMENT_REGISTER_DECLARE(emolandmarks);

G_END_DECLS
