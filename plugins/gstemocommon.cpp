// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstemocommon.h"

#include <opencv2/imgproc.hpp>

#include "emo/core/error.hpp"
#include "emo/core/model_path.hpp"

void gst_emo_post_model_error(GstElement *element, const std::exception &error) {
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
