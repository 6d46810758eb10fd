// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::ForkJoin: every item once, on two threads, exceptions carried back, reused across jobs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "emo/core/fork_join.hpp"

namespace {

TEST(ForkJoin, EveryItemRunsOnceAcrossManyJobs) {
  emo::ForkJoin pool;
  std::vector<std::atomic<int>> runs(64);
  for (int job = 0; job < 2000; ++job) {
    const std::size_t n = static_cast<std::size_t>(job % 9);  // 0 .. 8 faces
    for (auto &r : runs) r = 0;
    auto fn = [&](std::size_t i) { runs[i]++; };
    pool.for_each(n, fn);
    for (std::size_t i = 0; i < runs.size(); ++i)
      ASSERT_EQ(runs[i].load(), i < n ? 1 : 0) << "job " << job << " item " << i;
  }
}

TEST(ForkJoin, TheHelperTakesPartAndOneItemStaysOnTheCaller) {
  emo::ForkJoin pool;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto slow = [&](std::size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  };
  pool.for_each(6, slow);
  EXPECT_EQ(threads.size(), 2u) << "six 20 ms items ran on one thread only";
  EXPECT_TRUE(threads.count(std::this_thread::get_id()));

  threads.clear();
  pool.for_each(1, slow);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_TRUE(threads.count(std::this_thread::get_id()));
}

TEST(ForkJoin, AnExceptionComesBackAndThePoolStaysUsable) {
  emo::ForkJoin pool;
  std::atomic<int> ran{0};
  auto throwing = [&](std::size_t i) {
    ++ran;
    if (i == 2) throw std::runtime_error("face 2 failed");
  };
  try {
    pool.for_each(5, throwing);
    FAIL() << "no exception";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "face 2 failed");
  }
  EXPECT_GE(ran.load(), 3);
  std::atomic<int> after{0};
  auto count = [&](std::size_t) { ++after; };
  pool.for_each(4, count);
  EXPECT_EQ(after.load(), 4);
}

}  // namespace
