// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: asynchronous client for Google Gemini's generateContent REST API (libsoup 3 +
// json-glib). CONTRACT agreed between the gemini and session work; the implementer may add
// fields/members but must not rename or remove these.
//
// Wire format, checked against Google's documentation: https://ai.google.dev/api (endpoint,
// x-goog-api-key), https://ai.google.dev/api/rest/v1/GenerateContentResponse (candidates,
// finishReason, promptFeedback.blockReason), https://ai.google.dev/gemini-api/docs/troubleshooting
// (HTTP codes, which ones to retry) and the google.rpc.Status / google.rpc.RetryInfo shapes of
// real error bodies (retryDelay is a protobuf Duration string, "1.5s", "58s", "2.463586755s"):
//   POST {endpoint}/v1beta/models/{model}:generateContent
//   header  x-goog-api-key: <key>, Content-Type: application/json
//   request {"systemInstruction": {"parts": [{"text": ...}]},          (omitted when empty)
//            "contents": [{"role": "user", "parts": [{"text": ...}]}],
//            "generationConfig": {"temperature": 0.7, "maxOutputTokens": 2048}}
//   reply   {"candidates": [{"content": {"role": "model", "parts": [{"text": ...},
//                            {"text": ..., "thought": true}]}, "finishReason": "STOP"}],
//            "promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {...},
//            "modelVersion": "gemini-2.5-flash", "responseId": "..."}
//   error   {"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED",
//            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
//                         "retryDelay": "1.5s"}]}}
//
// Outcome of one request (GeminiResult::state):
//   - 200 with text in the first candidate: Ok, `text` = the text of all its parts in order,
//     parts marked "thought": true skipped.
//   - promptFeedback.blockReason: Blocked, detail "blocked: prompt (<reason>)".
//   - finishReason MAX_TOKENS and no text: Truncated; any other finishReason without text
//     (SAFETY, RECITATION, PROHIBITED_CONTENT, ...): Blocked, detail names the reason.
//   - 200 whose body is not the JSON above: Failed, detail "malformed reply: ...". Not retried.
//     So is a body nested deeper than emo::kMaxJsonDepth (64, emo/json_limits.hpp), refused
//     before it is parsed. A NUL character (\u0000) in the text is replaced by U+FFFD (the text
//     is kept whole) and the detail says so.
//   - a body larger than GeminiConfig::max_reply_bytes: the transfer is aborted, Failed, not
//     retried.
//   - a redirect (3xx) is never followed (SOUP_MESSAGE_NO_REDIRECT): Failed, not retried,
//     detail "HTTP 302 Found: the endpoint redirects; ...". The key goes to the endpoint only.
//   - 400, 403, 404 and any other non-retryable status: Failed at once, detail = Gemini's own
//     error.message (e.g. "API key not valid. Please pass a valid API key."), error_status =
//     error.status ("INVALID_ARGUMENT").
//   - 429, 500, 503, 504, a per-attempt timeout (GeminiConfig::timeout) or a connection
//     failure: retried up to max_retries times. The wait before retry r (1-based) is
//     RetryInfo.retryDelay when the error body has one, else "full jitter" exponential backoff:
//     uniform in [0, min(max_backoff, initial_backoff * 2^(r-1))]. A retryDelay longer than
//     max_retry_delay (a daily quota, say) makes the error final. When retries run out the
//     result is Failed with detail "retries exhausted after N attempts: <last error>".
// The API key is sent only in the x-goog-api-key header; it never appears in a log line, a
// detail or error_status (any echo of it in a server message is replaced by "[redacted]").
//
// Request budget (GeminiConfig::max_in_flight, max_per_minute, rate_window): requests over it
// wait inside the client, in submission order, and are sent when there is room; none is
// dropped. A waiting request has already had its `started` hook run (so a caller that journals
// there has it journalled while it waits); cancel_all() and the destructor complete waiting
// requests as Cancelled like any other.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace emo {

struct GeminiConfig {
  std::string endpoint = "https://generativelanguage.googleapis.com";  ///< scheme://host[:port]
  std::string model = "gemini-2.5-flash";
  std::string api_key;  ///< empty: offline, every request completes at once as Skipped
  std::chrono::milliseconds timeout{60000};  ///< per attempt
  int max_retries = 4;                       ///< retries after the first attempt
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{32000};
  double temperature = 0.7;
  int max_output_tokens = 2048;  ///< includes the model's thinking tokens
  /// A RetryInfo.retryDelay longer than this makes a retryable error final.
  std::chrono::milliseconds max_retry_delay{120000};
  /// Largest reply body read, in bytes (4 MiB; Gemini's replies to our prompts are a few KB).
  /// A reply that declares or sends more is aborted at once: Failed, not retried, detail
  /// "reply larger than the maximum reply size of N bytes ...". Memory per request stays
  /// below this plus one 64 KiB read.
  std::size_t max_reply_bytes = 4u << 20;
  /// Most requests in flight at once: taken up and not finished, their waits between retries
  /// (back-off, RetryInfo.retryDelay) and for the rate limit included. Requests past it wait,
  /// in submission order, until one finishes. 0: no limit.
  int max_in_flight = 0;
  /// Most HTTP attempts sent in any rate_window (a minute), retries included: Gemini's
  /// requests-per-minute quota counts every request (the free tier allows 10 a minute for
  /// gemini-2.5-flash). An attempt past it waits until the oldest of the window leaves it.
  /// 0: no limit.
  int max_per_minute = 0;
  /// Length of the window max_per_minute counts in. For tests; Gemini counts per minute.
  std::chrono::milliseconds rate_window{60000};
};

/// One generateContent call: systemInstruction text + one user turn of text.
struct GeminiRequest {
  std::string system_instruction;
  std::string user_text;
};

enum class GeminiState {
  Ok,         ///< text holds the reply
  Skipped,    ///< no API key: nothing was sent
  Blocked,    ///< promptFeedback.blockReason or finishReason SAFETY/...: detail says which
  Truncated,  ///< finishReason MAX_TOKENS with no text
  Failed,     ///< final HTTP error, retries exhausted, timeout, malformed reply: detail says
  Cancelled,  ///< the client was destroyed / cancel_all() before the reply arrived
};
const char *to_string(GeminiState state);  ///< "ok", "skipped", "blocked", ...

/// Checks settings before a client is built: an empty string when they are usable, else one
/// sentence naming the bad setting and what it takes. model: letters, digits, '-', '.' and
/// '_'; endpoint: http(s)://host[:port]; timeout > 0; max_retries >= 0; max_reply_bytes > 0;
/// max_in_flight >= 0; max_per_minute >= 0; rate_window > 0.
/// The key is not checked
/// (empty means offline) and never appears in the message.
std::string check_config(const GeminiConfig &config);

struct GeminiResult {
  GeminiState state = GeminiState::Failed;
  std::string text;           ///< reply text (Ok), else empty
  std::string detail;         ///< human-readable reason: Gemini's own error message, block reason
  int http_status = 0;        ///< last HTTP status, 0 when none (offline, connection failure)
  std::string error_status;   ///< Gemini's error.status, e.g. "INVALID_ARGUMENT"
  int attempts = 0;           ///< HTTP attempts made
  std::string model_version;  ///< modelVersion of the reply when present
};

/// Runs requests on its own thread with its own GMainContext; submit() never blocks on the
/// network. The API key is sent only as the x-goog-api-key header and never logged.
class GeminiClient {
 public:
  using Callback = std::function<void(std::uint64_t request_id, const GeminiResult &)>;
  using Started = std::function<void(std::uint64_t request_id)>;

  explicit GeminiClient(GeminiConfig config);
  /// Cancels what is pending (callbacks get Cancelled) and joins the thread. Must not be
  /// called from one of the client's own callbacks.
  ~GeminiClient();
  GeminiClient(const GeminiClient &) = delete;
  GeminiClient &operator=(const GeminiClient &) = delete;

  /// Queues a request; `done` is called exactly once, on the client's thread. `started`, when
  /// given, is called before it on the client's thread when the request is taken up, before
  /// its first attempt (work that must not run on the caller's thread, e.g. a journal write);
  /// an exception from it is logged (g_warning) and the request goes on.
  std::uint64_t submit(GeminiRequest request, Callback done, Started started = nullptr);
  /// Waits until no request is pending or `timeout` has passed; true when idle, i.e. every
  /// callback has returned. From any thread; on the client's own thread (inside a callback) it
  /// runs the client's main context meanwhile and does not count the request whose callback
  /// is running.
  bool wait_idle(std::chrono::milliseconds timeout);
  std::size_t pending() const;
  void cancel_all();  ///< pending requests complete as Cancelled

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emo
