// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: runs face detection on a thread of its own, one frame at a time.
#include "emo/detect/detection_worker.hpp"

#include <utility>

#include "emo/core/opencv_threads.hpp"

namespace emo {

DetectionWorker::DetectionWorker(std::unique_ptr<detect::Detector> detector,
                                 bool opencv_on_own_thread)
    : detector_(std::move(detector)),
      opencv_on_own_thread_(opencv_on_own_thread),
      thread_([this] { run(); }) {}

DetectionWorker::~DetectionWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cond_.notify_all();
  thread_.join();
}

bool DetectionWorker::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_ || ready_;
}

bool DetectionWorker::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_;
}

bool DetectionWorker::submit(const detect::FrameView &frame, const DetectorParams &params,
                             std::uint64_t frame_no) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pending_ || ready_) return false;
    detector_->prepare(frame, params);  // the worker is idle: only this thread touches it
    frame_ = frame_no;
    pending_ = true;
  }
  cond_.notify_all();
  return true;
}

void DetectionWorker::replace(const detect::FrameView &frame, const DetectorParams &params,
                              std::uint64_t frame_no) {
  discard();
  submit(frame, params, frame_no);
}

bool DetectionWorker::take(std::vector<detect::FaceDetection> &faces, std::uint64_t &frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!ready_) return false;
  ready_ = false;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  faces.swap(faces_);
  frame = frame_;
  return true;
}

void DetectionWorker::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  cond_.wait(lock, [this] { return !pending_; });
}

void DetectionWorker::discard() {
  std::unique_lock<std::mutex> lock(mutex_);
  cond_.wait(lock, [this] { return !pending_; });
  ready_ = false;
  error_ = nullptr;
}

void DetectionWorker::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cond_.wait(lock, [this] { return stop_ || pending_; });
    if (stop_) return;
    // Only this thread touches the detector while pending_ is set.
    lock.unlock();
    std::vector<detect::FaceDetection> faces;
    std::exception_ptr error;
    try {
      if (opencv_on_own_thread_)
        run_opencv_on_calling_thread([&] { detector_->run(faces); });
      else
        detector_->run(faces);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    faces_.swap(faces);
    error_ = error;
    pending_ = false;
    ready_ = true;
    cond_.notify_all();
  }
}

}  // namespace emo
