// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/// Whose emotion an emosession follows (property "follow").
typedef enum {
  GST_EMO_SESSION_FOLLOW_PRIMARY,  ///< the primary face: the largest, or track-id
  GST_EMO_SESSION_FOLLOW_ALL,      ///< every tracked face, each with windows of their own
} GstEmoSessionFollow;
#define GST_TYPE_EMO_SESSION_FOLLOW (gst_emo_session_follow_get_type())
GType gst_emo_session_follow_get_type(void);

#define GST_TYPE_EMO_SESSION (gst_emo_session_get_type())
G_DECLARE_FINAL_TYPE(GstEmoSession, gst_emo_session, GST, EMO_SESSION, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE(emosession);

G_END_DECLS

#include <memory>

#include "emo/session/overlay_state.hpp"

/// The board a session shows its state on (emooverlay session=NAME reads it); never null.
std::shared_ptr<emo::SessionBoard> gst_emo_session_board(GstEmoSession *self);
