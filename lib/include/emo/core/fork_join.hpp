// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: splits the per-face work of one frame between the calling thread and a helper.
#pragma once

#include <cstddef>
#include <memory>

namespace emo {

/// Runs fn(i) for i in [0, n) on the calling thread and one helper thread, and returns when all
/// are done: the landmarks of a frame with several faces take about half as long on two cores
/// (the per-buffer latency of a live stream), with the same results as a serial loop.
///
/// The helper is the one thread of a `dlib::thread_pool` (dlib/threads.h), started once, in the
/// constructor; it sleeps between frames. Items are handed out one at a time from a shared
/// counter, so each runs exactly once, on either thread, in no fixed order: fn must be safe to
/// call concurrently for different i (write only to slot i of a pre-sized output). With n <= 1
/// everything runs on the calling thread. One caller at a time (the element's streaming
/// thread).
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
  struct Pool;                  // the dlib thread pool, kept out of this header
  std::unique_ptr<Pool> pool_;  // one thread
};

}  // namespace emo
