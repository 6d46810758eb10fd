// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the plugin that registers every element.
#include <gst/gst.h>

#include "gstemoclassify.h"
#include "gstemofacedetect.h"
#include "gstemolandmarks.h"
#include "gstemometapublish.h"
#include "gstemooverlay.h"
#include "gstemosession.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_plugin_debug);
#define GST_CAT_DEFAULT gst_emo_plugin_debug

/* Registers the elements and nothing else: loading the plugin (a registry scan included)
 * changes no process-wide state (OpenCV's thread setting among it; see the elements'
 * `opencv-threads` property). */
static gboolean plugin_init(GstPlugin *plugin) {
  GST_DEBUG_CATEGORY_INIT(gst_emo_plugin_debug, "emo", 0, "gst-emo plugin");
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER(emofacedetect, plugin);
  ret |= GST_ELEMENT_REGISTER(emolandmarks, plugin);
  ret |= GST_ELEMENT_REGISTER(emoclassify, plugin);
  ret |= GST_ELEMENT_REGISTER(emooverlay, plugin);
  ret |= GST_ELEMENT_REGISTER(emometapublish, plugin);
  ret |= GST_ELEMENT_REGISTER(emosession, plugin);
  return ret;
}

GST_PLUGIN_DEFINE(
    GST_VERSION_MAJOR, GST_VERSION_MINOR, emo,
    "Real-time facial emotion analysis: faces, landmarks, emotions, overlay, sessions", plugin_init,
    VERSION, "LGPL", "gst-emo", "https://example.invalid/gst-emo")
