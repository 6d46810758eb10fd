// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: splits the per-face work of one frame between the calling thread and a helper.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>

namespace emo {

/// Runs fn(i) for i in [0, n) on the calling thread and one helper thread, and returns when all
/// are done: the landmarks of a frame with several faces take about half as long on two cores
/// (the per-buffer latency of a live stream), with the same results as a serial loop.
///
/// The helper thread is started once, in the constructor, and sleeps between frames; for_each()
/// allocates nothing. Items are handed out one at a time from a shared counter, so each runs
/// exactly once, on either thread, in no fixed order: fn must be safe to call concurrently for
/// different i (write only to slot i of a pre-sized output). With n <= 1 everything runs on the
/// calling thread. One caller at a time (the element's streaming thread).
class ForkJoin {
 public:
  ForkJoin();
  /// Joins the helper thread.
  ~ForkJoin();
  ForkJoin(const ForkJoin &) = delete;
  ForkJoin &operator=(const ForkJoin &) = delete;

  /// Calls fn(i) for every i in [0, n) once. When a call throws, the items not started yet are
  /// skipped and the first exception is rethrown here, after both threads have stopped.
  template <class Fn>
  void for_each(std::size_t n, Fn &fn) {
    run(
        n, [](void *f, std::size_t i) { (*static_cast<Fn *>(f))(i); }, &fn);
  }

 private:
  using Call = void (*)(void *, std::size_t);
  void run(std::size_t n, Call call, void *fn);
  /* Takes items until none is left; records the first exception. */
  void work();
  void helper_loop();

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // The job, set by run() under mutex_; the helper takes part when generation_ changes.
  Call call_ = nullptr;
  void *fn_ = nullptr;
  std::size_t n_ = 0;
  std::size_t next_ = 0;          // under mutex_: the next item to hand out
  std::uint64_t generation_ = 0;  // under mutex_
  bool helper_busy_ = false;      // under mutex_: the helper works on the current job
  std::exception_ptr error_;      // under mutex_
  bool stopping_ = false;         // under mutex_
  std::thread helper_;            // last: started once the members above exist
};

}  // namespace emo
