// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: helpers shared by the Gemini client tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "emo/gemini/gemini.hpp"
#include "gemini_test_server.hpp"

namespace emo::test {

using namespace std::chrono_literals;

constexpr char kKey[] = "AIzaTEST-key-0123456789abcdef";
constexpr char kSystem[] = "You are an empathetic assistant. Answer in two sentences.";
constexpr char kUser[] = "Context: my new job. Timeline (1 s): happy, happy, neutral, sad.";

/// Every callback's result, with the thread it ran on.
class Collector {
 public:
  struct Outcome {
    std::uint64_t id;
    GeminiResult result;
    std::thread::id thread;
  };

  GeminiClient::Callback callback() {
    return [this](std::uint64_t id, const GeminiResult &r) {
      std::lock_guard<std::mutex> lock(mutex_);
      outcomes_.push_back({id, r, std::this_thread::get_id()});
      cv_.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return outcomes_.size() >= n; });
  }
  std::vector<Outcome> outcomes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outcomes_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Outcome> outcomes_;
};

/// A client config for `server` with small backoffs so that the suite runs in seconds.
inline GeminiConfig test_config(const GeminiTestServer &server) {
  GeminiConfig c;
  c.endpoint = server.endpoint();
  c.api_key = kKey;
  c.timeout = 5000ms;
  c.max_retries = 3;
  c.initial_backoff = 10ms;
  c.max_backoff = 40ms;
  return c;
}

/// The key must never leak into what the client reports.
inline void expect_no_key(const GeminiResult &r, const std::string &key = kKey) {
  EXPECT_EQ(r.detail.find(key), std::string::npos) << r.detail;
  EXPECT_EQ(r.error_status.find(key), std::string::npos) << r.error_status;
  EXPECT_EQ(r.text.find(key), std::string::npos) << r.text;
}

/// Submits one request, waits for its single callback and returns its result.
inline GeminiResult run_one(const GeminiConfig &config,
                            GeminiRequest request = GeminiRequest{kSystem, kUser}) {
  Collector got;
  GeminiResult result;
  {
    GeminiClient client(config);
    const std::uint64_t id = client.submit(std::move(request), got.callback());
    EXPECT_TRUE(client.wait_idle(30s));
    EXPECT_EQ(client.pending(), 0u);
    const auto outcomes = got.outcomes();
    EXPECT_EQ(outcomes.size(), 1u);  // exactly once
    if (outcomes.empty()) return result;
    EXPECT_EQ(outcomes[0].id, id);
    EXPECT_NE(outcomes[0].thread, std::this_thread::get_id());  // on the client's thread
    result = outcomes[0].result;
  }
  expect_no_key(result, config.api_key.empty() ? kKey : config.api_key);
  return result;
}

}  // namespace emo::test
