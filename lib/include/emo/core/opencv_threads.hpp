// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: run OpenCV work on the calling thread without touching OpenCV's process-wide
// thread setting.
#pragma once

#include <functional>

namespace emo {

/// Runs `work` so that every OpenCV parallel loop (cv::parallel_for_: the cascade, resize,
/// optical flow, ...) it starts runs on the calling thread instead of in OpenCV's thread pool.
///
/// Why this and not cv::setNumThreads(): in OpenCV 4.6 the thread count is one setting per
/// process (Debian's build uses a single TBB task arena), so setting it for one element would
/// take the threads of every other OpenCV user of the process, the application's included.
/// OpenCV itself runs a parallel loop on its calling thread when any parallel loop of the
/// process is already running (one process-wide "nested region" flag in cv::parallel_for_,
/// opencv/modules/core/src/parallel.cpp). This function runs `work` as the body of a one-item
/// parallel loop, which OpenCV calls directly on the calling thread, so that the loops inside
/// it are "nested" and serial. Nothing is changed for good; but while `work` runs, a parallel
/// loop that another thread of the process starts also runs on that thread - exactly as while
/// any other OpenCV parallel loop of the process runs, only for longer (the serial time of
/// `work`).
///
/// Exceptions thrown by `work` propagate to the caller. Nesting is allowed.
void run_opencv_on_calling_thread(const std::function<void()> &work);

}  // namespace emo
