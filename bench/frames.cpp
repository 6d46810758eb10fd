// SPDX-License-Identifier: LGPL-2.1-or-later
#include "frames.hpp"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <cstdlib>
#include <stdexcept>

namespace emo_bench {

namespace {

struct ObjectDeleter {
  void operator()(gpointer o) const { gst_object_unref(o); }
};
using ElementPtr = std::unique_ptr<GstElement, ObjectDeleter>;

std::string env_or(const char *name, const std::string &fallback) {
  const char *value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// Pops messages until ASYNC_DONE; throws on ERROR.
void wait_async_done(GstElement *pipeline) {
  std::unique_ptr<GstBus, ObjectDeleter> bus(gst_element_get_bus(pipeline));
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus.get(), 30 * GST_SECOND,
      static_cast<GstMessageType>(GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR));
  if (msg == nullptr) throw std::runtime_error("decoding the clip timed out");
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gst_message_parse_error(msg, &error, nullptr);
    std::string text = error->message;
    g_error_free(error);
    gst_message_unref(msg);
    throw std::runtime_error("cannot decode the clip: " + text);
  }
  gst_message_unref(msg);
}

}  // namespace

std::string shared_data() {
  return env_or("EMO_DATA_DIR", env_or("EMO_SHARED_DATA", EMO_SOURCE_DIR "/../shared/data"));
}

std::string dinner_clip() { return shared_data() + "/video/dinner-720p.mp4"; }

std::string emotion_model() {
  return env_or("GST_EMO_MODEL_DIR", EMO_SOURCE_DIR "/models") + "/emotion.yml.gz";
}

const std::vector<double> &frame_times() {
  static const std::vector<double> times = {5, 15, 25, 35, 45, 55, 65, 75};
  return times;
}

std::vector<BufferPtr> decode_frames(const std::string &clip, const std::string &caps) {
  gchar *location = g_strescape(clip.c_str(), nullptr);
  const std::string launch = std::string("filesrc location=\"") + location +
                             "\" ! decodebin ! videoconvert ! videoscale ! " + caps +
                             " ! appsink name=out sync=false";
  g_free(location);
  GError *error = nullptr;
  ElementPtr pipeline(gst_parse_launch(launch.c_str(), &error));
  if (error != nullptr) {
    std::string text = error->message;
    g_error_free(error);
    throw std::runtime_error("cannot build the decoder: " + text);
  }
  ElementPtr sink(gst_bin_get_by_name(GST_BIN(pipeline.get()), "out"));
  std::vector<BufferPtr> frames;
  try {
    gst_element_set_state(pipeline.get(), GST_STATE_PAUSED);
    wait_async_done(pipeline.get());
    for (double t : frame_times()) {
      const auto flags = static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE);
      if (!gst_element_seek_simple(pipeline.get(), GST_FORMAT_TIME, flags,
                                   static_cast<gint64>(t * GST_SECOND)))
        throw std::runtime_error("cannot seek in the clip");
      wait_async_done(pipeline.get());
      GstSample *sample = gst_app_sink_pull_preroll(GST_APP_SINK(sink.get()));
      if (sample == nullptr) throw std::runtime_error("no frame at the seek position");
      frames.emplace_back(gst_buffer_copy_deep(gst_sample_get_buffer(sample)));
      gst_sample_unref(sample);
    }
  } catch (...) {
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    throw;
  }
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  return frames;
}

std::vector<cv::Mat> decode_luma(const std::string &clip, int width, int height) {
  const std::string caps = "video/x-raw,format=GRAY8,width=" + std::to_string(width) +
                           ",height=" + std::to_string(height) + ",pixel-aspect-ratio=1/1";
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_GRAY8, width, height);
  std::vector<cv::Mat> images;
  for (const BufferPtr &buffer : decode_frames(clip, caps)) {
    GstVideoFrame frame;
    if (!gst_video_frame_map(&frame, &info, buffer.get(), GST_MAP_READ))
      throw std::runtime_error("cannot map a decoded frame");
    const cv::Mat view(height, width, CV_8UC1, GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
                       GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0));
    images.push_back(view.clone());
    gst_video_frame_unmap(&frame);
  }
  return images;
}

}  // namespace emo_bench
