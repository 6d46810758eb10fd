// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::GeminiClient against the real local test server: HTTP errors, retries, timeouts,
// malformed and blocked replies, and the API key kept out of every report.
#include <gtest/gtest.h>

#include <memory>

#include "gemini_test_util.hpp"

namespace emo::test {
namespace {

GeminiReply error_reply(int status, std::string retry_delay = "") {
  GeminiReply r;
  r.status = status;
  r.retry_delay = std::move(retry_delay);
  return r;
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

TEST(GeminiErrors, HonoursRetryDelayOf429ThenSucceeds) {
  GeminiTestServer server;
  server.push(error_reply(429, "0.4s"));
  GeminiConfig config = test_config(server);
  config.initial_backoff = 1ms;  // backoff alone would retry at once
  config.max_backoff = 1ms;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.attempts, 2);
  const auto q = server.requests();
  ASSERT_EQ(q.size(), 2u);
  // Loose lower bound: the retry waited for RetryInfo's 0.4 s (timers never fire early).
  EXPECT_GE(q[1].received - q[0].received, 380ms);
}

TEST(GeminiErrors, Retries503TwiceThenSucceeds) {
  GeminiTestServer server;
  server.push(error_reply(503));
  server.push(error_reply(503));
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(server.request_count(), 3u);
}

TEST(GeminiErrors, Retries500And504) {
  GeminiTestServer server;
  server.push(error_reply(500));
  server.push(error_reply(504));
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.attempts, 3);
}

TEST(GeminiErrors, InvalidKeyIsFinalAndKeepsGeminisMessage) {
  GeminiTestServer server;
  server.push(error_reply(400));
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.error_status, "INVALID_ARGUMENT");
  EXPECT_EQ(r.detail, "API key not valid. Please pass a valid API key.");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(GeminiErrors, PermissionDeniedAndNotFoundAreFinal) {
  for (const int status : {403, 404}) {
    GeminiTestServer server;
    server.push(error_reply(status));
    const GeminiResult r = run_one(test_config(server));
    EXPECT_EQ(r.state, GeminiState::Failed) << status;
    EXPECT_EQ(r.http_status, status);
    EXPECT_EQ(r.error_status, status == 403 ? "PERMISSION_DENIED" : "NOT_FOUND");
    EXPECT_FALSE(r.detail.empty());
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(server.request_count(), 1u);
  }
}

TEST(GeminiErrors, ASlowReplyTimesOut) {
  GeminiTestServer server;
  GeminiReply slow;
  slow.delay = 3000ms;
  server.set_default(slow);
  GeminiConfig config = test_config(server);
  config.timeout = 200ms;
  config.max_retries = 1;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_TRUE(contains(r.detail, "timeout")) << r.detail;
  EXPECT_TRUE(contains(r.detail, "retries exhausted after 2 attempts")) << r.detail;
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.http_status, 0);
}

TEST(GeminiErrors, ATimeoutIsRetried) {
  GeminiTestServer server;
  GeminiReply slow;
  slow.delay = 3000ms;
  server.push(slow);
  GeminiConfig config = test_config(server);
  config.timeout = 200ms;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.attempts, 2);
}

TEST(GeminiErrors, MalformedJsonFailsWithoutRetry) {
  GeminiTestServer server;
  GeminiReply bad;
  bad.malformed = true;
  server.push(bad);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_EQ(r.detail.rfind("malformed reply: ", 0), 0u) << r.detail;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(r.text.empty());
}

TEST(GeminiErrors, RepliesOfTheWrongShapeFail) {
  for (const std::string body :
       {"<html>502 Bad Gateway</html>", "[1, 2]", "{}", R"({"candidates": "none"})",
        R"({"candidates": [42]})", R"({"candidates": [{"content": {"parts": [{"text": 7}]}}]})"}) {
    GeminiTestServer server;
    GeminiReply odd;
    odd.raw_body = body;
    server.push(odd);
    const GeminiResult r = run_one(test_config(server));
    EXPECT_EQ(r.state, GeminiState::Failed) << body;
    EXPECT_EQ(r.detail.rfind("malformed reply: ", 0), 0u) << body << " -> " << r.detail;
  }
}

TEST(GeminiErrors, ABlockedPromptIsReportedWithItsReason) {
  GeminiTestServer server;
  GeminiReply blocked;
  blocked.block_reason = "PROHIBITED_CONTENT";
  server.push(blocked);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Blocked);
  EXPECT_TRUE(contains(r.detail, "PROHIBITED_CONTENT")) << r.detail;
  EXPECT_TRUE(r.text.empty());
  EXPECT_EQ(r.attempts, 1);
}

TEST(GeminiErrors, ACandidateStoppedForSafetyIsBlocked) {
  GeminiTestServer server;
  GeminiReply safety;
  safety.text.clear();
  safety.finish_reason = "SAFETY";
  server.push(safety);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Blocked);
  EXPECT_TRUE(contains(r.detail, "SAFETY")) << r.detail;
}

TEST(GeminiErrors, MaxTokensWithoutTextIsTruncated) {
  GeminiTestServer server;
  GeminiReply cut;
  cut.text.clear();
  cut.thought = "Let me think about this at great length...";
  cut.finish_reason = "MAX_TOKENS";
  server.push(cut);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Truncated);
  EXPECT_TRUE(contains(r.detail, "MAX_TOKENS")) << r.detail;
  EXPECT_TRUE(r.text.empty());
}

TEST(GeminiErrors, MaxTokensWithTextKeepsTheText) {
  GeminiTestServer server;
  GeminiReply cut;
  cut.text = "It sounds like";
  cut.finish_reason = "MAX_TOKENS";
  server.push(cut);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Ok);
  EXPECT_EQ(r.text, "It sounds like");
}

TEST(GeminiErrors, RetriesRunOut) {
  GeminiTestServer server;
  server.set_default(error_reply(503));
  GeminiConfig config = test_config(server);
  config.max_retries = 2;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.error_status, "UNAVAILABLE");
  EXPECT_TRUE(contains(r.detail, "retries exhausted after 3 attempts")) << r.detail;
  EXPECT_TRUE(contains(r.detail, "The model is overloaded")) << r.detail;
}

TEST(GeminiErrors, ARetryDelayBeyondTheLimitIsFinal) {
  GeminiTestServer server;
  server.push(error_reply(429, "3600s"));
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.error_status, "RESOURCE_EXHAUSTED");
  EXPECT_TRUE(contains(r.detail, "max_retry_delay")) << r.detail;
}

TEST(GeminiErrors, ConnectionFailuresAreRetriedThenReported) {
  GeminiConfig config;
  {
    GeminiTestServer gone;  // a port that was just free, now closed
    config = test_config(gone);
  }
  config.max_retries = 1;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_TRUE(contains(r.detail, "connection failed")) << r.detail;
}

TEST(GeminiErrors, TheKeyNeverAppearsInDetails) {
  const std::string key = "AIzaSECRET-do-not-leak-42";
  GeminiTestServer server;
  GeminiReply echo = error_reply(400);
  echo.message = "API key not valid: " + key;  // a server that echoes the key
  server.push(echo);
  GeminiReply echo503 = error_reply(503);
  echo503.message = "overloaded for key " + key;
  server.set_default(echo503);
  GeminiConfig config = test_config(server);
  config.api_key = key;
  GeminiResult r = run_one(config);  // run_one checks detail, error_status and text
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_TRUE(contains(r.detail, "[redacted]")) << r.detail;
  config.max_retries = 1;
  r = run_one(config);
  EXPECT_TRUE(contains(r.detail, "retries exhausted")) << r.detail;
  EXPECT_FALSE(contains(r.detail, key));
  for (const auto &q : server.requests()) EXPECT_EQ(q.api_key, key);  // but it was sent
}

}  // namespace
}  // namespace emo::test
