// SPDX-License-Identifier: LGPL-2.1-or-later
#include "emo/core/opencv_threads.hpp"

#include <exception>

#include <opencv2/core/utility.hpp>

namespace emo {

void run_opencv_on_calling_thread(const std::function<void()> &work) {
  std::exception_ptr error;
  /* A one-item range: parallel_for_ holds its nested-region flag and calls the body on this
   * thread (a range of one is never handed to the pool). */
  cv::parallel_for_(cv::Range(0, 1), [&](const cv::Range &) {
    try {
      work();
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
}

}  // namespace emo
