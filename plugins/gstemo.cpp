// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the plugin that registers every element.
#include <gst/gst.h>
#include <opencv2/core/utility.hpp>

#include "gstemoclassify.h"
#include "gstemofacedetect.h"
#include "gstemolandmarks.h"
#include "gstemometapublish.h"
#include "gstemooverlay.h"
#include "gstemosession.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_plugin_debug);
#define GST_CAT_DEFAULT gst_emo_plugin_debug

/* OpenCV's own thread pool (parallel_for_ in the cascade, resize and optical flow) fights the
 * streaming threads and emofacedetect's detection thread for the cores: on a loaded 2-core
 * machine the chain ran the dinner clip in 23-27 s with it and in 10 s without. So, unless the
 * user chose with OpenCV's own OPENCV_FOR_THREADS_NUM, OpenCV runs its parallel loops on the
 * calling thread once this plugin is loaded. This is process-wide (cv::setNumThreads). */
static void gst_emo_configure_opencv_threads(void) {
  if (g_getenv("OPENCV_FOR_THREADS_NUM") != nullptr) {
    GST_INFO("OPENCV_FOR_THREADS_NUM is set: OpenCV keeps %d threads", cv::getNumThreads());
    return;
  }
  cv::setNumThreads(1);
  GST_INFO("OpenCV parallel loops run on the calling thread (OPENCV_FOR_THREADS_NUM unset)");
}

static gboolean plugin_init(GstPlugin *plugin) {
  GST_DEBUG_CATEGORY_INIT(gst_emo_plugin_debug, "emo", 0, "gst-emo plugin");
  gst_emo_configure_opencv_threads();
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
