// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::GeminiClient against the real local test server: requests, threading, cancellation.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>

#include "gemini_test_util.hpp"

namespace emo::test {
namespace {

TEST(GeminiClient, SendsGeminisRequestShapeAndReadsTheReply) {
  GeminiTestServer server;
  GeminiReply reply;
  reply.text = "It sounds like the new job brings both joy and worry.";
  server.set_default(reply);
  GeminiConfig config = test_config(server);
  config.temperature = 0.3;
  config.max_output_tokens = 1234;

  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.text, reply.text);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.model_version, "gemini-2.5-flash");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest &q = requests[0];
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.path, "/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(q.api_key, kKey);
  EXPECT_EQ(q.content_type.rfind("application/json", 0), 0u) << q.content_type;
  ASSERT_TRUE(q.body_is_json) << q.body;
  EXPECT_EQ(q.system_instruction, kSystem);
  EXPECT_EQ(q.role, "user");
  EXPECT_EQ(q.user_text, kUser);
  EXPECT_NEAR(q.temperature, 0.3, 1e-9);
  EXPECT_EQ(q.max_output_tokens, 1234);
  EXPECT_EQ(q.body.find(kKey), std::string::npos);  // the key travels in the header only
}

TEST(GeminiClient, UsesTheConfiguredModelAndEndpoint) {
  GeminiTestServer server;
  GeminiConfig config = test_config(server);
  config.endpoint += "/";  // a trailing slash is tolerated
  config.model = "gemini-2.5-pro";
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.model_version, "gemini-2.5-pro");
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].path, "/v1beta/models/gemini-2.5-pro:generateContent");
}

TEST(GeminiClient, JoinsTextPartsAndSkipsThoughts) {
  GeminiTestServer server;
  GeminiReply reply;
  reply.thought = "The user seems anxious; be gentle.";
  reply.text = "Starting a new job is a lot.";
  server.push(reply);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.text, "Starting a new job is a lot.");
}

TEST(GeminiClient, WithoutAKeyEverythingIsSkippedAndNothingSent) {
  GeminiTestServer server;
  GeminiConfig config = test_config(server);
  config.api_key.clear();
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Skipped);
  EXPECT_EQ(r.detail, "skipped: no API key");
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_STREQ(to_string(r.state), "skipped");
  EXPECT_EQ(server.request_count(), 0u);
}

TEST(GeminiClient, ManyRequestsEachCompleteOnce) {
  GeminiTestServer server;
  Collector got;
  std::set<std::uint64_t> ids;
  {
    GeminiClient client(test_config(server));
    for (int i = 0; i < 6; ++i)
      ids.insert(client.submit({kSystem, "window " + std::to_string(i)}, got.callback()));
    EXPECT_EQ(ids.size(), 6u);
    EXPECT_TRUE(client.wait_idle(30s));
    EXPECT_EQ(client.pending(), 0u);
  }
  const auto outcomes = got.outcomes();
  ASSERT_EQ(outcomes.size(), 6u);
  std::set<std::uint64_t> done;
  for (const auto &o : outcomes) {
    EXPECT_EQ(o.result.state, GeminiState::Ok) << o.result.detail;
    done.insert(o.id);
  }
  EXPECT_EQ(done, ids);
  std::set<std::string> texts;
  for (const auto &q : server.requests()) texts.insert(q.user_text);
  EXPECT_EQ(texts.size(), 6u);
}

TEST(GeminiClient, WaitIdleTimesOutWhileARequestIsPending) {
  GeminiTestServer server;
  GeminiReply slow;
  slow.delay = 1500ms;
  server.push(slow);
  GeminiClient client(test_config(server));
  Collector got;
  client.submit({kSystem, kUser}, got.callback());
  EXPECT_FALSE(client.wait_idle(50ms));
  EXPECT_EQ(client.pending(), 1u);
  EXPECT_TRUE(client.wait_idle(30s));
  EXPECT_EQ(client.pending(), 0u);
  ASSERT_EQ(got.outcomes().size(), 1u);
  EXPECT_EQ(got.outcomes()[0].result.state, GeminiState::Ok);
}

TEST(GeminiClient, DestructorCancelsASlowRequestWithoutWaitingForIt) {
  GeminiTestServer server;
  GeminiReply slow;
  slow.delay = 60s;
  server.set_default(slow);
  Collector got;
  const auto start = std::chrono::steady_clock::now();
  {
    GeminiClient client(test_config(server));
    client.submit({kSystem, kUser}, got.callback());
    while (server.request_count() == 0) std::this_thread::sleep_for(5ms);
  }
  // The destructor returned long before the 60 s reply, with the callback already run.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  const auto outcomes = got.outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].result.state, GeminiState::Cancelled);
  EXPECT_EQ(outcomes[0].result.attempts, 1);
}

TEST(GeminiClient, DestructorCancelsARequestWaitingToRetry) {
  GeminiTestServer server;
  GeminiReply busy;
  busy.status = 503;
  server.set_default(busy);
  GeminiConfig config = test_config(server);
  config.initial_backoff = 60s;
  config.max_backoff = 60s;
  Collector got;
  {
    GeminiClient client(config);
    client.submit({kSystem, kUser}, got.callback());
    while (server.request_count() == 0) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(50ms);  // the 503 arrives, the retry is scheduled
  }
  ASSERT_EQ(got.outcomes().size(), 1u);
  EXPECT_EQ(got.outcomes()[0].result.state, GeminiState::Cancelled);
}

TEST(GeminiClient, CancelAllCancelsOnlyWhatWasSubmittedBefore) {
  GeminiTestServer server;
  GeminiReply slow;
  slow.delay = 60s;
  server.push(slow);
  server.push(slow);
  GeminiClient client(test_config(server));
  Collector got;
  const std::uint64_t a = client.submit({kSystem, "a"}, got.callback());
  const std::uint64_t b = client.submit({kSystem, "b"}, got.callback());
  while (server.request_count() < 2) std::this_thread::sleep_for(5ms);
  client.cancel_all();
  const std::uint64_t c = client.submit({kSystem, "c"}, got.callback());
  ASSERT_TRUE(client.wait_idle(30s));
  const auto outcomes = got.outcomes();
  ASSERT_EQ(outcomes.size(), 3u);
  for (const auto &o : outcomes) {
    if (o.id == a || o.id == b) {
      EXPECT_EQ(o.result.state, GeminiState::Cancelled) << o.id;
    } else {
      EXPECT_EQ(o.id, c);
      EXPECT_EQ(o.result.state, GeminiState::Ok) << o.result.detail;
    }
  }
}

TEST(GeminiClient, WaitIdleInsideACallbackRunsTheClient) {
  GeminiTestServer server;
  GeminiClient client(test_config(server));
  std::atomic<bool> inner_done{false};
  std::atomic<bool> inner_seen_idle{false};
  Collector got;
  client.submit({kSystem, "outer"}, [&](std::uint64_t, const GeminiResult &r) {
    client.submit({kSystem, "inner"},
                  [&](std::uint64_t, const GeminiResult &) { inner_done = true; });
    inner_seen_idle = client.wait_idle(20s);
    got.callback()(0, r);
  });
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_TRUE(inner_seen_idle);
  EXPECT_TRUE(inner_done);
  EXPECT_TRUE(client.wait_idle(20s));
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(GeminiClient, StartedRunsOnTheClientThreadBeforeTheRequestIsSent) {
  GeminiTestServer server;
  Collector got;
  std::mutex mutex;
  std::vector<std::uint64_t> started;
  std::vector<std::size_t> requests_seen;  // by the server when each hook ran
  std::thread::id hook_thread;
  {
    GeminiClient client(test_config(server));
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 3; ++i)
      ids.push_back(client.submit({kSystem, kUser}, got.callback(), [&](std::uint64_t id) {
        std::lock_guard<std::mutex> lock(mutex);
        started.push_back(id);
        requests_seen.push_back(server.request_count());
        hook_thread = std::this_thread::get_id();
        if (id == 2) throw std::runtime_error("a failing hook does not stop the request");
      }));
    ASSERT_TRUE(client.wait_idle(30s));
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_EQ(started, ids);
  }
  ASSERT_EQ(got.outcomes().size(), 3u);
  for (const auto &o : got.outcomes())
    EXPECT_EQ(o.result.state, GeminiState::Ok) << o.result.detail;
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_NE(hook_thread, std::this_thread::get_id());
  EXPECT_EQ(hook_thread, got.outcomes()[0].thread);
  for (std::size_t i = 0; i < requests_seen.size(); ++i) EXPECT_LE(requests_seen[i], i);
}

}  // namespace
}  // namespace emo::test
