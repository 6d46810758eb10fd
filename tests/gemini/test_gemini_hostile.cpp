// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::GeminiClient against a hostile server on 127.0.0.1: replies nested 100 000 levels deep,
// a redirect to another host, a body that never ends (chunked, or declaring 1 GiB), NUL
// characters in the text. Each is a recorded failure (or a whole text), never a crash, a
// followed redirect or a reply held in memory.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "emo/gemini/json_limits.hpp"
#include "gemini_json.hpp"
#include "gemini_test_util.hpp"

namespace emo::test {
namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(depth, '}');
  return s;
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(JsonLimits, DepthCountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(json_depth("{}"), 1);
  EXPECT_EQ(json_depth("[[1],[2,[3]]]"), 3);
  EXPECT_EQ(json_depth(R"({"a":"[[[[\"[[[["})"), 1);
  EXPECT_EQ(json_depth(R"(["\\", [1]])"), 2);  // an escaped backslash ends the string
  EXPECT_EQ(json_depth(nested_arrays(64)), 64);
  EXPECT_EQ(json_depth(nested_arrays(100000)), kMaxJsonDepth + 1);  // stops counting early
  EXPECT_EQ(check_json_depth(nested_arrays(64)), "");
  EXPECT_EQ(check_json_depth(nested_arrays(65)), "JSON nested deeper than 64 levels");
}

TEST(JsonLimits, NulEscapesInStringsBecomeReplacementCharacters) {
  std::size_t n = 0;
  EXPECT_EQ(replace_nul_escapes(R"({"t":"a\u0000b\\u0000"})", &n), R"({"t":"a\ufffdb\\u0000"})");
  EXPECT_EQ(n, 1u);  // the second one is an escaped backslash followed by "u0000"
}

TEST(GeminiHostile, ParserRefusesDeepNestingBeforeParsing) {
  for (const std::string &body : {nested_arrays(100000), nested_objects(100000)}) {
    const GeminiResult r = gemini_json::parse_reply(body);
    EXPECT_EQ(r.state, GeminiState::Failed);
    EXPECT_TRUE(contains(r.detail, "nested deeper than 64 levels")) << r.detail;
    EXPECT_FALSE(gemini_json::parse_error(body).parsed);
  }
}

TEST(GeminiHostile, ReplyNested100000LevelsIsAFailedAnalysis) {
  GeminiTestServer server;
  GeminiReply deep;
  deep.raw_body = "{\"candidates\":" + nested_arrays(100000) + "}";
  server.push(deep);
  GeminiReply deep_objects;
  deep_objects.raw_body = nested_objects(100000);
  deep_objects.status = 503;  // an error body goes through the error parser
  server.push(deep_objects);
  GeminiConfig config = test_config(server);
  config.max_retries = 0;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_TRUE(contains(r.detail, "malformed reply: JSON nested deeper than 64 levels")) << r.detail;
  const GeminiResult e = run_one(config);
  EXPECT_EQ(e.state, GeminiState::Failed);
  EXPECT_EQ(e.http_status, 503);
}

TEST(GeminiHostile, RedirectIsNotFollowedAndTheKeyNeverReachesTheOtherHost) {
  GeminiTestServer endpoint, elsewhere;
  elsewhere.set_default(GeminiReply{});  // would answer "ok" if it were asked
  GeminiReply redirect;
  redirect.redirect_to = elsewhere.endpoint() + "/v1beta/models/gemini-2.5-flash:generateContent";
  endpoint.set_default(redirect);
  for (const int status : {302, 307}) {
    redirect.status = status;
    endpoint.push(redirect);
    const GeminiResult r = run_one(test_config(endpoint));
    EXPECT_EQ(r.state, GeminiState::Failed) << status;
    EXPECT_EQ(r.http_status, status);
    EXPECT_TRUE(contains(r.detail, "HTTP " + std::to_string(status))) << r.detail;
    EXPECT_TRUE(contains(r.detail, "redirects are not followed")) << r.detail;
    EXPECT_EQ(r.attempts, 1);  // final, not retried
  }
  EXPECT_EQ(elsewhere.request_count(), 0u) << "the request (and its key) went to the other host";
  EXPECT_EQ(endpoint.request_count(), 2u);
}

TEST(GeminiHostile, EndlessReplyIsAbortedAtTheMaximumSize) {
  GeminiTestServer server;
  GeminiReply endless;
  endless.endless = true;
  server.push(endless);
  GeminiConfig config = test_config(server);
  config.max_reply_bytes = 1 << 20;
  config.timeout = std::chrono::milliseconds(20000);
  const long rss_before = max_rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  const GeminiResult r = run_one(config);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_TRUE(contains(r.detail, "reply larger than the maximum reply size of 1048576 bytes"))
      << r.detail;
  EXPECT_EQ(r.attempts, 1);
  EXPECT_TRUE(r.text.empty());
  EXPECT_LT(took, std::chrono::seconds(15)) << "not aborted: read until the timeout";
  // The server would send 64 MiB; the client keeps at most the cap plus one read.
  EXPECT_LT(max_rss_kb() - rss_before, 48 * 1024) << "the reply was held in memory";
}

TEST(GeminiHostile, DeclaredLengthPastTheMaximumIsRefusedAtTheHeaders) {
  GeminiTestServer server;
  GeminiReply endless;
  endless.endless = true;
  endless.endless_declares_length = true;
  server.push(endless);
  GeminiConfig config = test_config(server);
  config.max_reply_bytes = 1 << 20;
  const GeminiResult r = run_one(config);
  EXPECT_EQ(r.state, GeminiState::Failed);
  EXPECT_TRUE(contains(r.detail, "it declares 1073741824 bytes")) << r.detail;
}

TEST(GeminiHostile, NulInTheTextKeepsTheWholeText) {
  GeminiTestServer server;
  GeminiReply nul;
  nul.raw_body =
      R"({"candidates":[{"content":{"parts":[{"text":"Before the NUL\u0000after it."}]},)"
      R"("finishReason":"STOP"}],"modelVersion":"gemini-2.5-flash"})";
  server.push(nul);
  const GeminiResult r = run_one(test_config(server));
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.text, "Before the NUL\xEF\xBF\xBD" "after it.");
  EXPECT_TRUE(contains(r.detail, "1 NUL character(s)")) << r.detail;
}

TEST(GeminiHostile, MaxReplyBytesMustBePositive) {
  GeminiConfig config;
  config.max_reply_bytes = 0;
  EXPECT_TRUE(contains(check_config(config), "maximum reply size")) << check_config(config);
}

}  // namespace
}  // namespace emo::test
