// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::GeminiClient's request budget (GeminiConfig::max_in_flight, max_per_minute) against the
// real local test server: the limits hold, what waits is neither lost nor sent late after a
// cancel, and hundreds of requests finishing at once do not recurse.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "gemini_test_util.hpp"

namespace emo::test {
namespace {

GeminiReply delayed_reply(std::chrono::milliseconds delay) {
  GeminiReply r;
  r.delay = delay;
  return r;
}

TEST(GeminiBudget, NegativeLimitsAreRefused) {
  GeminiConfig c;
  c.max_in_flight = -1;
  EXPECT_NE(check_config(c).find("max-in-flight"), std::string::npos) << check_config(c);
  c = GeminiConfig{};
  c.max_per_minute = -3;
  EXPECT_NE(check_config(c).find("max-requests-per-minute"), std::string::npos);
  c = GeminiConfig{};
  c.rate_window = std::chrono::milliseconds(0);
  EXPECT_NE(check_config(c).find("rate window"), std::string::npos);
  c = GeminiConfig{};
  c.max_in_flight = 4;
  c.max_per_minute = 10;
  EXPECT_EQ(check_config(c), "");
}

/* Six requests, two at a time: the server never holds more than two, yet holds two (the
 * limit is used), every request completes Ok, and every `started` hook (where emosession
 * journals a window) has run while only the first two had reached the server. */
TEST(GeminiBudget, AtMostMaxInFlightReachTheServerTogether) {
  GeminiTestServer server;
  server.set_default(delayed_reply(300ms));
  GeminiConfig config = test_config(server);
  config.max_in_flight = 2;
  Collector got;
  std::atomic<int> started{0};
  std::atomic<std::size_t> seen_when_all_started{99};
  {
    GeminiClient client(config);
    for (int i = 0; i < 6; ++i)
      client.submit({kSystem, "window " + std::to_string(i)}, got.callback(), [&](std::uint64_t) {
        if (++started == 6) seen_when_all_started = server.request_count();
      });
    ASSERT_TRUE(client.wait_idle(30s));
  }
  EXPECT_EQ(started, 6);
  EXPECT_LE(seen_when_all_started, 2u);
  EXPECT_EQ(server.max_held(), 2u);
  ASSERT_EQ(got.outcomes().size(), 6u);
  for (const auto &o : got.outcomes())
    EXPECT_EQ(o.result.state, GeminiState::Ok) << o.result.detail;
  EXPECT_EQ(server.request_count(), 6u);
}

/* Two attempts per 400 ms window: any three consecutive arrivals at the server span (almost)
 * the window; without the limit all six arrive within a few milliseconds. */
TEST(GeminiBudget, AtMostMaxPerMinuteAttemptsInAnyWindow) {
  GeminiTestServer server;
  GeminiConfig config = test_config(server);
  config.max_per_minute = 2;
  config.rate_window = 400ms;
  Collector got;
  const auto begin = std::chrono::steady_clock::now();
  {
    GeminiClient client(config);
    for (int i = 0; i < 6; ++i)
      client.submit({kSystem, "window " + std::to_string(i)}, got.callback());
    ASSERT_TRUE(client.wait_idle(30s));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 800ms);
  ASSERT_EQ(got.outcomes().size(), 6u);
  for (const auto &o : got.outcomes())
    EXPECT_EQ(o.result.state, GeminiState::Ok) << o.result.detail;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6u);
  // Arrival at the server lags the send by a variable few ms: allow 100 ms of it.
  for (std::size_t i = 0; i + 2 < requests.size(); ++i)
    EXPECT_GE(requests[i + 2].received - requests[i].received, 300ms) << "arrivals " << i << "..";
}

/* A retry is an attempt like any other: with one attempt per 300 ms, the retry after a 503
 * waits for the window although its back-off is 10-40 ms. */
TEST(GeminiBudget, RetriesCountAgainstTheRateLimit) {
  GeminiTestServer server;
  GeminiReply busy;
  busy.status = 503;
  server.push(busy);
  GeminiConfig config = test_config(server);
  config.max_per_minute = 1;
  config.rate_window = 300ms;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.attempts, 2);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].received - requests[0].received, 250ms);
}

/* cancel_all() completes the requests waiting for room as Cancelled, without sending them; a
 * request submitted afterwards goes through. */
TEST(GeminiBudget, CancelAllCompletesWaitingRequestsAsCancelled) {
  GeminiTestServer server;
  server.push(delayed_reply(60s));
  GeminiConfig config = test_config(server);
  config.max_in_flight = 1;
  GeminiClient client(config);
  Collector got;
  std::vector<std::uint64_t> before;
  for (int i = 0; i < 4; ++i) before.push_back(client.submit({kSystem, kUser}, got.callback()));
  while (server.request_count() == 0) std::this_thread::sleep_for(5ms);
  client.cancel_all();
  const std::uint64_t after = client.submit({kSystem, "after"}, got.callback());
  ASSERT_TRUE(client.wait_idle(30s));
  const auto outcomes = got.outcomes();
  ASSERT_EQ(outcomes.size(), 5u);
  for (const auto &o : outcomes) {
    if (o.id == after)
      EXPECT_EQ(o.result.state, GeminiState::Ok) << o.result.detail;
    else
      EXPECT_EQ(o.result.state, GeminiState::Cancelled) << o.id;
  }
  EXPECT_EQ(std::count_if(outcomes.begin(), outcomes.end(),
                          [](const auto &o) { return o.result.attempts == 0; }),
            3);  // the three that waited for room were never sent
  EXPECT_EQ(server.request_count(), 2u);
}

/* A request waiting for the rate window (on its timer) is cancelled at once, by cancel_all()
 * and by the destructor, and never sent. */
TEST(GeminiBudget, RequestsWaitingForTheRateWindowAreCancelled) {
  GeminiTestServer server;
  GeminiConfig config = test_config(server);
  config.max_per_minute = 1;  // rate_window: a minute
  Collector got;
  const auto begin = std::chrono::steady_clock::now();
  {
    GeminiClient client(config);
    client.submit({kSystem, "first"}, got.callback());
    const std::uint64_t second = client.submit({kSystem, "second"}, got.callback());
    ASSERT_TRUE(got.wait_for(1));
    client.cancel_all();
    ASSERT_TRUE(got.wait_for(2));
    EXPECT_EQ(got.outcomes()[1].id, second);
    EXPECT_EQ(got.outcomes()[1].result.state, GeminiState::Cancelled);
    client.submit({kSystem, "third"}, got.callback());  // waits too: the destructor cancels it
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 20s);
  const auto outcomes = got.outcomes();
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].result.state, GeminiState::Ok) << outcomes[0].result.detail;
  EXPECT_EQ(outcomes[2].result.state, GeminiState::Cancelled);
  EXPECT_EQ(server.request_count(), 1u);
}

/* Offline, every request finishes inside start(): 500 of them with max_in_flight=1 each start
 * the next from a loop, not by recursion. The callbacks all run at (about) the same stack
 * depth; a recursive start -> finish -> start would put each a few hundred bytes deeper. */
TEST(GeminiBudget, OfflineRequestsFinishingAtOnceDoNotRecurse) {
  GeminiConfig config;
  config.max_in_flight = 1;
  std::mutex mutex;
  std::uintptr_t lowest = UINTPTR_MAX, highest = 0;
  std::atomic<int> done{0};
  std::atomic<int> skipped{0};
  {
    GeminiClient client(config);
    for (int i = 0; i < 500; ++i)
      client.submit({kSystem, kUser}, [&](std::uint64_t, const GeminiResult &r) {
        volatile char marker = 0;
        const auto here = reinterpret_cast<std::uintptr_t>(&marker);
        {
          std::lock_guard<std::mutex> lock(mutex);
          lowest = std::min(lowest, here);
          highest = std::max(highest, here);
        }
        if (r.state == GeminiState::Skipped) ++skipped;
        ++done;
      });
    ASSERT_TRUE(client.wait_idle(30s));
  }
  EXPECT_EQ(done, 500);
  EXPECT_EQ(skipped, 500);
  EXPECT_LT(highest - lowest, 16u * 1024u)
      << "callbacks spread over " << highest - lowest << " bytes of stack";
}

}  // namespace
}  // namespace emo::test
