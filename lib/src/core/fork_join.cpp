// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the calling thread and a helper share the items of one job (see emo/core/fork_join.hpp).
#include "emo/core/fork_join.hpp"

namespace emo {

ForkJoin::ForkJoin() : helper_([this] { helper_loop(); }) {}

ForkJoin::~ForkJoin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  helper_.join();
}

void ForkJoin::work() {
  for (;;) {
    std::size_t i;
    Call call;
    void *fn;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (next_ >= n_) return;
      i = next_++;
      call = call_;
      fn = fn_;
    }
    try {
      call(fn, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      next_ = n_;  // skip what is left
    }
  }
}

void ForkJoin::helper_loop() {
  std::uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    helper_busy_ = true;
    lock.unlock();
    work();
    lock.lock();
    helper_busy_ = false;
    done_.notify_all();
  }
}

void ForkJoin::run(std::size_t n, Call call, void *fn) {
  if (n == 0) return;
  if (n == 1) {
    call(fn, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    call_ = call;
    fn_ = fn;
    n_ = n;
    next_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_one();
  work();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    /* All items are handed out; wait for the one the helper may still run. The helper may not
     * have woken yet: then it finds nothing left and only marks itself busy for a moment. */
    done_.wait(lock, [&] { return !helper_busy_; });
    error = error_;
    error_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace emo
