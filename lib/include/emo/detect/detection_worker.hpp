// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: runs face detection on a thread of its own, one frame at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/detect/detection.hpp"

namespace emo {

/// Runs a face detector (emo::detect::Detector: BlazeFace or the cascade) on a worker thread
/// so that no frame waits for a whole detection.
///
/// At most one detection is in flight: submit() lets the detector copy what it needs from the
/// frame (Detector::prepare(), on the caller's thread: the cascade copies the luma, BlazeFace
/// builds its small letterboxed RGB input; buffers reused, no allocation in the steady state)
/// and returns at once; take() hands over the result when it is ready. Results carry the frame
/// number given to submit(), for FaceTracker::update(). submit(), take(), wait() and discard() are
/// meant for one calling thread (the stream's).
class DetectionWorker {
 public:
  /// The worker thread runs at the priority of the thread that made it: the frame after a
  /// detection's usually waits for its result (emofacedetect's detection-lag 1), so a lower
  /// priority only made that frame wait longer on a loaded machine.

  /// Takes over `detector` (only the worker uses it from then on) and starts the thread. With
  /// `opencv_on_own_thread` (the default) each detection runs under
  /// run_opencv_on_calling_thread(): the detector's OpenCV parallel loops (cascade, letterbox) stay
  /// on the worker thread instead of OpenCV's pool; OpenCV's process-wide setting is untouched.
  explicit DetectionWorker(std::unique_ptr<detect::Detector> detector,
                           bool opencv_on_own_thread = true);
  /// Stops the thread after the detection in flight, if any.
  ~DetectionWorker();
  DetectionWorker(const DetectionWorker &) = delete;
  DetectionWorker &operator=(const DetectionWorker &) = delete;

  /// True while a detection runs or its result has not been taken.
  bool busy() const;
  /// True while a detection runs (submitted, not finished).
  bool running() const;

  /// Starts detecting faces on (the detector's copy of) `frame`. Returns false, and does
  /// nothing, while busy(). Throws what Detector::prepare() throws.
  bool submit(const detect::FrameView &frame, const DetectorParams &params, std::uint64_t frame_no);

  /// Makes `frame` the next detection, whatever is going on (a shot cut: a detection in
  /// flight shows the previous shot, the next one must be of the new shot): waits for the
  /// detection in flight, if any (at most one detection's time on the calling thread; cuts are
  /// rare), drops its result and any result not taken yet, then submits `frame`. Throws what
  /// Detector::prepare() throws.
  void replace(const detect::FrameView &frame, const DetectorParams &params,
               std::uint64_t frame_no);

  /// Moves a finished result into `faces` and `frame` and returns true; false when none is
  /// ready. Rethrows an exception the detection threw.
  bool take(std::vector<detect::FaceDetection> &faces, std::uint64_t &frame);

  /// Waits until the detection in flight, if any, has finished (its result stays to take()).
  void wait();

  /// Waits for the detection in flight and drops its result (flush, seek, new stream).
  void discard();

 private:
  void run();

  std::unique_ptr<detect::Detector> detector_;
  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::uint64_t frame_ = 0;
  std::vector<detect::FaceDetection> faces_;
  std::exception_ptr error_;
  const bool opencv_on_own_thread_;
  bool pending_ = false;  // submitted, not finished
  bool ready_ = false;    // finished, not taken
  bool stop_ = false;
  std::thread thread_;  // last: starts after every other member exists
};

}  // namespace emo
