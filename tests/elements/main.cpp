// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo element tests: GStreamer must be initialised before any test (this main replaces
// gtest_main's; the static gtest_main archive member is then not linked).
#include <gst/gst.h>
#include <gtest/gtest.h>

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
