// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo benchmarks: real frames decoded from the dinner clip with GStreamer (appsink).
#pragma once

#include <gst/gst.h>

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace emo_bench {

struct BufferDeleter {
  void operator()(GstBuffer *b) const { gst_buffer_unref(b); }
};
using BufferPtr = std::unique_ptr<GstBuffer, BufferDeleter>;

/// The research data set: $EMO_DATA_DIR, else $EMO_SHARED_DATA (its older name), else
/// ../shared/data beside the source tree.
std::string shared_data();
/// The dinner clip (1280x720 H.264, about 82 s, people at a table).
std::string dinner_clip();
/// The default emotion model: $GST_EMO_MODEL_DIR/emotion.yml.gz, else the source tree's.
std::string emotion_model();

/// Seconds into the dinner clip at which the benchmarks take their frames.
const std::vector<double> &frame_times();

/// Decodes the frames at `frame_times()` from `clip`, converted to `caps` (for example
/// "video/x-raw,format=GRAY8,width=640,height=480"). Throws std::runtime_error with
/// GStreamer's message when the clip cannot be decoded.
std::vector<BufferPtr> decode_frames(const std::string &clip, const std::string &caps);

/// The same frames as 8-bit luma images (deep copies) of the given size.
std::vector<cv::Mat> decode_luma(const std::string &clip, int width, int height);

}  // namespace emo_bench
