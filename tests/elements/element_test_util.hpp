// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo element tests: shared fixtures (frames, RAII handles, bus errors, a tiny model).
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"

namespace emo_test {

struct HarnessDeleter {
  void operator()(GstHarness *h) const { gst_harness_teardown(h); }
};
struct BufferDeleter {
  void operator()(GstBuffer *b) const { gst_buffer_unref(b); }
};
struct ObjectDeleter {
  void operator()(gpointer o) const { gst_object_unref(o); }
};
struct MessageDeleter {
  void operator()(GstMessage *m) const { gst_message_unref(m); }
};
using HarnessPtr = std::unique_ptr<GstHarness, HarnessDeleter>;
using BufferPtr = std::unique_ptr<GstBuffer, BufferDeleter>;
using ElementPtr = std::unique_ptr<GstElement, ObjectDeleter>;
using BusPtr = std::unique_ptr<GstBus, ObjectDeleter>;
using MessagePtr = std::unique_ptr<GstMessage, MessageDeleter>;

/// The ten raw formats every analysis element accepts.
extern const std::vector<std::string> kAnalysisFormats;
/// Formats in which facedetect must find the astronaut's face.
extern const std::vector<std::string> kDetectFormats;

/// "video/x-raw,format=F,width=W,height=H,framerate=30/1".
std::string video_caps(const std::string &format, int width = 512, int height = 512);

/// skimage's astronaut.png (512x512 BGR, one smiling face); empty when it is missing.
const cv::Mat &astronaut();

/// A video buffer in `format` holding `bgr` (converted with videoconvert), pts = dts = `pts`.
BufferPtr make_frame(const cv::Mat &bgr, const std::string &format, GstClockTime pts = 0);
/// A uniform mid-grey frame (no faces) of the given size.
BufferPtr make_blank_frame(const std::string &format, int width = 512, int height = 512,
                           GstClockTime pts = 0);

/// Renegotiates `h` to each analysis format in turn and checks a blank frame goes through.
void expect_every_analysis_format_negotiates(GstHarness *h);

/// Pushes a blank frame (no faces) of `format` with pts/dts through `h` and checks that it comes
/// out with the same pixels, no face region, and its pts and dts unchanged.
void expect_blank_frame_passes_through(GstHarness *h, const std::string &format);

/// A harness around a gst-launch description, sink caps "video/x-raw" from `format`.
HarnessPtr make_harness(const std::string &launch, const std::string &format);

/// A harness around one element (h->element is the element itself, so properties can be
/// stressed), with `model` set before it starts when given; src caps from `format`.
HarnessPtr make_element_harness(const char *factory, const std::string &format,
                                const std::string &model = "");

/// True when both buffers hold the same bytes.
bool same_data(GstBuffer *a, GstBuffer *b);

/// Number of GstVideoRegionOfInterestMeta on a buffer (any roi_type).
int count_rois(GstBuffer *buffer);

/// Creates `factory` with model=`model`, puts it on its own bus and tries READY -> PAUSED.
/// Returns the state change result; `error_text` gets the ERROR message's text + debug.
GstStateChangeReturn start_with_model(const char *factory, const std::string &model,
                                      std::string &error_text);

/// 68 synthetic landmarks (iBUG layout) of a neutral face; `smile` widens and raises the mouth.
std::vector<emo::Point> synthetic_landmarks(float smile, float noise = 0.f, unsigned seed = 0);

/// Trains a tiny two-class ("happiness", "sadness") model on synthetic landmarks and saves it
/// once per test binary; returns its path. Smiling faces are "happiness".
const std::string &tiny_model_path();

/// A temporary directory removed at exit.
const std::string &temp_dir();

}  // namespace emo_test
