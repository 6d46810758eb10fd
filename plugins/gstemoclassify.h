// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "gstemoanalysisfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_EMO_CLASSIFY (gst_emo_classify_get_type())
G_DECLARE_FINAL_TYPE(GstEmoClassify, gst_emo_classify, GST, EMO_CLASSIFY, GstEmoAnalysisFilter)

GST_ELEMENT_REGISTER_DECLARE(emoclassify);

G_END_DECLS
