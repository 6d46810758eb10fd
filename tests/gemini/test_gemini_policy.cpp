// SPDX-License-Identifier: LGPL-2.1-or-later
// The Gemini client's private pieces: RetryInfo durations, backoff bounds, key redaction.
#include <gtest/gtest.h>

#include "gemini_json.hpp"
#include "gemini_policy.hpp"

namespace emo {
namespace {

using namespace std::chrono_literals;

TEST(GeminiPolicy, ChecksModelEndpointTimeoutAndRetries) {
  GeminiConfig good;
  good.api_key = "secret-key-123";
  EXPECT_EQ(check_config(good), "");
  good.endpoint = "http://127.0.0.1:8080";
  EXPECT_EQ(check_config(good), "");

  GeminiConfig c = good;
  c.model = "gemini 2.5/../x";
  EXPECT_NE(check_config(c).find("model"), std::string::npos);
  c = good;
  c.model.clear();
  EXPECT_NE(check_config(c).find("model"), std::string::npos);
  for (const char *bad : {"", "ftp://host", "http://", "generativelanguage.googleapis.com"}) {
    c = good;
    c.endpoint = bad;
    EXPECT_NE(check_config(c).find("endpoint"), std::string::npos) << bad;
  }
  c = good;
  c.timeout = 0ms;
  EXPECT_NE(check_config(c).find("timeout"), std::string::npos);
  c = good;
  c.max_retries = -1;
  EXPECT_NE(check_config(c).find("max-retries"), std::string::npos);
  EXPECT_EQ(check_config(c).find(good.api_key), std::string::npos);
}

TEST(GeminiPolicy, ReadsProtobufDurations) {
  using gemini_json::parse_duration;
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("58s"), 58000ms);
  EXPECT_EQ(parse_duration("0s"), 0ms);
  EXPECT_EQ(parse_duration("2.463586755s"), 2464ms);  // rounded up, never early
  for (const char *bad : {"", "s", "1.5", "-1s", "abcs", "1.5 s", "1.5ms", "nans", "infs"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(GeminiPolicy, RetriesOnlyTransientStatuses) {
  for (int s : {429, 500, 503, 504}) EXPECT_TRUE(gemini_policy::retryable_status(s)) << s;
  for (int s : {200, 400, 401, 403, 404, 409, 501, 502})
    EXPECT_FALSE(gemini_policy::retryable_status(s)) << s;
}

TEST(GeminiPolicy, BackoffIsFullJitterUnderAGrowingCappedCeiling) {
  GeminiConfig c;
  c.initial_backoff = 100ms;
  c.max_backoff = 1000ms;
  std::mt19937_64 rng(7);
  for (int retry = 1; retry <= 8; ++retry) {
    const auto ceiling = std::min<std::chrono::milliseconds>(100ms * (1 << (retry - 1)), 1000ms);
    std::chrono::milliseconds lo = ceiling, hi = 0ms;
    for (int i = 0; i < 2000; ++i) {
      const auto d = gemini_policy::backoff(c, retry, rng);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    EXPECT_GE(lo, 0ms);
    EXPECT_LE(hi, ceiling) << retry;
    EXPECT_LT(lo, ceiling / 10) << retry;      // jitter reaches down near 0 ...
    EXPECT_GT(hi, ceiling * 9 / 10) << retry;  // ... and up near the ceiling
  }
}

TEST(GeminiPolicy, RedactsEveryCopyOfTheKey) {
  EXPECT_EQ(gemini_policy::redact("k=KEY and KEY", "KEY"), "k=[redacted] and [redacted]");
  EXPECT_EQ(gemini_policy::redact("nothing here", "KEY"), "nothing here");
  EXPECT_EQ(gemini_policy::redact("no key set", ""), "no key set");
}

}  // namespace
}  // namespace emo
