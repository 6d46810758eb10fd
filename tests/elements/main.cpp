// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo element tests: GStreamer must be initialised before any test (this main replaces
// gtest_main's; the static gtest_main archive member is then not linked).
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <opencv2/core/utility.hpp>

// OpenCV's thread count as an application set it before GStreamer and the plugin were loaded:
// at least 2, so that a plugin that forced OpenCV onto one thread would be caught
// (test_analysis_filter.cpp).
int g_opencv_threads_before_gst = 0;

int main(int argc, char **argv) {
  cv::setNumThreads(std::max(2, cv::getNumberOfCPUs()));
  g_opencv_threads_before_gst = cv::getNumThreads();
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
