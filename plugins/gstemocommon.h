// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: helpers shared by the elements (model errors, default model paths, luma access).
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <exception>
#include <string>

#include <opencv2/core/mat.hpp>

/// Posts GST_ELEMENT_ERROR (RESOURCE, NOT_FOUND or OPEN_READ) for a model that could not be
/// loaded: the message names the path and, when known, the Debian package that ships it.
void gst_emo_post_model_error(GstElement *element, const std::exception &error);

/// Full path of one of the project's own models (`name`, e.g. "emotion.yml.gz" or
/// "blazeface/face_detection_front_128x128_barracuda.onnx"): emo::default_model_path(), i.e.
/// $GST_EMO_MODEL_DIR/<name> when that variable is set, else the source tree's models/ for a
/// plugin of a build tree, else <install datadir>/gst-emo/models/<name>, else the same
/// relative to the plugin file of an install relocated with `cmake --install --prefix`.
std::string gst_emo_default_model_path(const char *name);

/// Wraps the luma of a mapped video frame as an 8-bit single-channel cv::Mat without copying
/// when the format has a luma plane (GRAY8, I420, NV12) and returns it. For packed YUY2 and
/// the RGB family it converts into `scratch` (reused across frames) and returns that.
cv::Mat gst_emo_frame_luma(const GstVideoFrame *frame, cv::Mat &scratch);

namespace emo::detect {
struct FrameView;
}

/// Describes a mapped video frame for a detector (emo::detect::FrameView: plane pointers and
/// strides, no copy) with `luma` as its luma (from gst_emo_frame_luma()). False for a format
/// the analysis elements do not accept.
bool gst_emo_frame_view(const GstVideoFrame *frame, const cv::Mat &luma,
                        emo::detect::FrameView &view);

/// The mapped frame's full-size BGR image (emo::detect::frame_bgr(): `bgr` and `scratch` are
/// reused across frames), for a colour classifier; an empty Mat for a format it cannot convert
/// (YUV of odd width or height), where the caller falls back to the luma.
cv::Mat gst_emo_frame_bgr(const GstVideoFrame *frame, cv::Mat &bgr, cv::Mat &scratch);

/// The rule of every gst-emo element for settings read when it starts (properties flagged
/// GST_PARAM_MUTABLE_READY, "set in NULL or READY", or without a mutability flag, "set in
/// NULL": emosession, a GstBaseSink, starts in NULL -> READY): while the element is started
/// (between start() and stop()) a new value is refused with a warning on the bus (RESOURCE,
/// SETTINGS, naming the property and the value kept; a write-only property's value is never
/// shown), and the property keeps reading back the value in use.
///
/// Call it first thing in set_property, WITHOUT the object lock held (it reads the current
/// value through get_property), with the element's own "started" flag, which it reads under the
/// object lock. Returns true when set_property must not store `value`: the element is started
/// and `pspec` is such a setting (a value equal to the one in use is then taken silently, as a
/// no-op). Properties flagged GST_PARAM_MUTABLE_PLAYING or _PAUSED always return false.
bool gst_emo_refuse_while_started(GObject *object, GParamSpec *pspec, const GValue *value,
                                  const bool &started);

/// An element's start(): sets `started` (under the object lock, so that start-time settings are
/// refused from then on) and runs `open` (which builds the element's state and returns FALSE
/// after posting an error); clears `started` again when `open` fails. stop() clears it with
/// gst_emo_set_started(element, started, false).
void gst_emo_set_started(gpointer element, bool &started, bool value);
template <typename Open>
gboolean gst_emo_start(gpointer element, bool &started, Open &&open) {
  gst_emo_set_started(element, started, true);
  const gboolean ok = open();
  if (!ok) gst_emo_set_started(element, started, false);
  return ok;
}

/// Caps string of the raw video formats the analysis elements accept.
#define GST_EMO_ANALYSIS_FORMATS "{ GRAY8, I420, NV12, YUY2, BGR, BGRx, RGB, RGBx, BGRA, RGBA }"

/// RAII guard for GST_OBJECT_LOCK: settings are copied under it once per buffer.
class GstEmoObjectLock {
 public:
  explicit GstEmoObjectLock(gpointer object) : object_(GST_OBJECT(object)) {
    GST_OBJECT_LOCK(object_);
  }
  ~GstEmoObjectLock() { GST_OBJECT_UNLOCK(object_); }
  GstEmoObjectLock(const GstEmoObjectLock &) = delete;
  GstEmoObjectLock &operator=(const GstEmoObjectLock &) = delete;

 private:
  GstObject *object_;
};

/// RAII guard for gst_video_frame_map()/unmap(). Check ok() before using frame().
class GstEmoFrameMap {
 public:
  GstEmoFrameMap(const GstVideoInfo *info, GstBuffer *buffer, GstMapFlags flags)
      : ok_(gst_video_frame_map(&frame_, info, buffer, flags)) {}
  ~GstEmoFrameMap() {
    if (ok_) gst_video_frame_unmap(&frame_);
  }
  GstEmoFrameMap(const GstEmoFrameMap &) = delete;
  GstEmoFrameMap &operator=(const GstEmoFrameMap &) = delete;
  bool ok() const { return ok_; }
  GstVideoFrame *frame() { return &frame_; }

 private:
  GstVideoFrame frame_{};
  bool ok_;
};
