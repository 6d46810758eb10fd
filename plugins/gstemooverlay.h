// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "gstemoanalysisfilter.h"

G_BEGIN_DECLS

#define GST_TYPE_EMO_OVERLAY (gst_emo_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstEmoOverlay, gst_emo_overlay, GST, EMO_OVERLAY, GstEmoAnalysisFilter)

GST_ELEMENT_REGISTER_DECLARE(emooverlay);

G_END_DECLS
