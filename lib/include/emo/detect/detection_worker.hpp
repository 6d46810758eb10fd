// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: runs face detection on a thread of its own, one frame at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/detect/detector.hpp"

namespace emo {

/// Runs FaceDetector::detect() on a worker thread so that no frame waits for a whole detection.
///
/// At most one detection is in flight: submit() copies the luma into a buffer reused across
/// frames (no allocation in the steady state) and returns at once; take() hands over the result
/// when it is ready. Results carry the frame number given to submit(), for FaceTracker::update().
/// submit(), take(), wait() and discard() are meant for one calling thread (the stream's).
class DetectionWorker {
 public:
  /// The worker thread runs at this nice level (lower priority than the stream's thread).
  /// OpenCV's own pool threads keep their priority, so with `opencv_on_own_thread` false the
  /// cascade's parallel loops run at normal priority in OpenCV's pool.
  static constexpr int kNice = 10;

  /// Takes over `detector` (only the worker uses it from then on) and starts the thread. With
  /// `opencv_on_own_thread` (the default) each detection runs under
  /// run_opencv_on_calling_thread(): the cascade's parallel loops stay on the worker thread,
  /// at its low priority, instead of OpenCV's pool; OpenCV's process-wide setting is untouched.
  explicit DetectionWorker(FaceDetector detector, bool opencv_on_own_thread = true);
  /// Stops the thread after the detection in flight, if any.
  ~DetectionWorker();
  DetectionWorker(const DetectionWorker &) = delete;
  DetectionWorker &operator=(const DetectionWorker &) = delete;

  /// True while a detection runs or its result has not been taken.
  bool busy() const;

  /// Starts detecting faces on a copy of `luma` (CV_8UC1). Returns false, and does nothing,
  /// while busy().
  bool submit(const cv::Mat &luma, const DetectorParams &params, std::uint64_t frame);

  /// Moves a finished result into `faces` and `frame` and returns true; false when none is
  /// ready. Rethrows an exception the detection threw.
  bool take(std::vector<Box> &faces, std::uint64_t &frame);

  /// Waits until the detection in flight, if any, has finished (its result stays to take()).
  void wait();

  /// Waits for the detection in flight and drops its result (flush, seek, new stream).
  void discard();

 private:
  void run();

  FaceDetector detector_;
  mutable std::mutex mutex_;
  std::condition_variable cond_;
  cv::Mat luma_;  // the frame being detected on, reused
  DetectorParams params_;
  std::uint64_t frame_ = 0;
  std::vector<Box> faces_;
  std::exception_ptr error_;
  const bool opencv_on_own_thread_;
  bool pending_ = false;  // submitted, not finished
  bool ready_ = false;    // finished, not taken
  bool stop_ = false;
  std::thread thread_;  // last: starts after every other member exists
};

}  // namespace emo
