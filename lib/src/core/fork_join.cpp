// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the calling thread and a helper share the items of one job (see emo/core/fork_join.hpp).
#include "emo/core/fork_join.hpp"

#include <atomic>
#include <exception>
#include <mutex>

#include <dlib/threads.h>

namespace emo {

struct ForkJoin::Pool {
  dlib::thread_pool threads{1};
};

ForkJoin::ForkJoin() : pool_(std::make_unique<Pool>()) {}

ForkJoin::~ForkJoin() = default;  // dlib's pool waits for its tasks and joins its thread

void ForkJoin::run(std::size_t n, Call call, void *fn) {
  if (n == 0) return;
  if (n == 1) {
    call(fn, 0);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::mutex error_lock;
  std::exception_ptr error;
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        call(fn, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_lock);
        if (!error) error = std::current_exception();
        next = n;  // skip what is left
      }
    }
  };
  const dlib::uint64 helper = pool_->threads.add_task_by_value(work);
  work();
  /* All items are handed out; wait for the one the helper may still run. */
  pool_->threads.wait_for_task(helper);
  if (error) std::rethrow_exception(error);
}

}  // namespace emo
