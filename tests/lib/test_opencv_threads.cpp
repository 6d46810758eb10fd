// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::run_opencv_on_calling_thread(): OpenCV's parallel loops inside it stay on the calling
// thread, and OpenCV's process-wide thread setting is left alone.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <opencv2/core/utility.hpp>

#include "emo/core/opencv_threads.hpp"

namespace {

// The threads that ran the stripes of one 64-stripe parallel loop (each stripe ~2 ms, so that
// OpenCV's pool, when used, takes some of them).
std::set<std::thread::id> threads_of_a_parallel_loop() {
  std::mutex mutex;
  std::set<std::thread::id> ids;
  cv::parallel_for_(
      cv::Range(0, 64),
      [&](const cv::Range &range) {
        for (int i = range.start; i < range.end; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          std::lock_guard<std::mutex> lock(mutex);
          ids.insert(std::this_thread::get_id());
        }
      },
      64);
  return ids;
}

}  // namespace

TEST(OpenCVThreads, LoopsInsideRunOnTheCallingThread) {
  const int before = cv::getNumThreads();
  std::set<std::thread::id> inside;
  emo::run_opencv_on_calling_thread([&] { inside = threads_of_a_parallel_loop(); });
  EXPECT_EQ(inside, std::set<std::thread::id>{std::this_thread::get_id()});
  EXPECT_EQ(cv::getNumThreads(), before);
  // The control: with a pool of 2 or more threads the same loop does use other threads, so
  // the check above can fail.
  if (before >= 2) {
    EXPECT_GT(threads_of_a_parallel_loop().size(), 1u);
  }
}

TEST(OpenCVThreads, ExceptionsPropagateAndNestingWorks) {
  EXPECT_THROW(emo::run_opencv_on_calling_thread([] { throw std::runtime_error("x"); }),
               std::runtime_error);
  int depth = 0;
  emo::run_opencv_on_calling_thread([&] { emo::run_opencv_on_calling_thread([&] { depth = 2; }); });
  EXPECT_EQ(depth, 2);
  // After the exception OpenCV's nested-region flag is free again: a loop outside may use the
  // pool again.
  if (cv::getNumThreads() >= 2) {
    EXPECT_GT(threads_of_a_parallel_loop().size(), 1u);
  }
}
