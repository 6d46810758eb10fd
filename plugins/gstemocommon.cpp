// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstemocommon.h"

#include <dlfcn.h>

#include <opencv2/imgproc.hpp>

#include "emo/core/error.hpp"

/* True when `path` lies in one of the directories the project's own models come from. */
static bool is_project_model_path(const std::string &path) {
  const gchar *env = g_getenv("GST_EMO_MODEL_DIR");
  const std::string dirs[] = {EMO_MODEL_INSTALL_DIR, env && *env ? env : EMO_MODEL_INSTALL_DIR};
  for (const std::string &dir : dirs)
    if (path.compare(0, dir.size() + 1, dir + "/") == 0) return true;
  return false;
}

void gst_emo_post_model_error(GstElement *element, const std::exception &error) {
  if (const auto *model = dynamic_cast<const emo::ModelError *>(&error)) {
    const std::string &package = model->package();
    if (!package.empty()) {
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("Cannot load model file '%s' (it is shipped by the Debian package '%s')",
                         model->path().c_str(), package.c_str()),
                        ("%s", error.what()));
    } else if (is_project_model_path(model->path())) {
      GST_ELEMENT_ERROR(element, RESOURCE, NOT_FOUND,
                        ("Cannot load model file '%s' (gst-emo installs its own models with "
                         "'cmake --install')",
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

std::string gst_emo_default_model_path(const char *name) {
  const gchar *dir = g_getenv("GST_EMO_MODEL_DIR");
  if (dir && *dir) return std::string(dir) + "/" + name;
  const std::string installed = std::string(EMO_MODEL_INSTALL_DIR) + "/" + name;
  if (g_file_test(installed.c_str(), G_FILE_TEST_EXISTS)) return installed;
  /* An install relocated with `cmake --install --prefix DIR`: the plugin is in
   * DIR/lib[/<multiarch>]/gstreamer-1.0, the models in DIR/share/gst-emo/models. */
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&gst_emo_default_model_path), &info) && info.dli_fname) {
    gchar *plugin_dir = g_path_get_dirname(info.dli_fname);
    for (const char *up : {"../..", "../../.."}) {
      gchar *candidate =
          g_build_filename(plugin_dir, up, "share", "gst-emo", "models", name, nullptr);
      const bool found = g_file_test(candidate, G_FILE_TEST_EXISTS);
      std::string path = candidate;
      g_free(candidate);
      if (found) {
        g_free(plugin_dir);
        return path;
      }
    }
    g_free(plugin_dir);
  }
  return installed; /* missing: the model error then names the installed path */
}

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
