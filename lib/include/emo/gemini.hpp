// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: asynchronous client for Google Gemini's generateContent REST API (libsoup 3 +
// json-glib). CONTRACT agreed between the gemini and session work; the implementer may add
// fields/members but must not rename or remove these.
#pragma once

#include <chrono>
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

struct GeminiResult {
  GeminiState state = GeminiState::Failed;
  std::string text;          ///< reply text (Ok), else empty
  std::string detail;        ///< human-readable reason: Gemini's own error message, block reason
  int http_status = 0;       ///< last HTTP status, 0 when none (offline, connection failure)
  std::string error_status;  ///< Gemini's error.status, e.g. "INVALID_ARGUMENT"
  int attempts = 0;          ///< HTTP attempts made
  std::string model_version; ///< modelVersion of the reply when present
};

/// Runs requests on its own thread with its own GMainContext; submit() never blocks on the
/// network. The API key is sent only as the x-goog-api-key header and never logged.
class GeminiClient {
 public:
  using Callback = std::function<void(std::uint64_t request_id, const GeminiResult &)>;

  explicit GeminiClient(GeminiConfig config);
  ~GeminiClient();  ///< cancels what is pending (callbacks get Cancelled) and joins the thread
  GeminiClient(const GeminiClient &) = delete;
  GeminiClient &operator=(const GeminiClient &) = delete;

  /// Queues a request; `done` is called exactly once, on the client's thread.
  std::uint64_t submit(GeminiRequest request, Callback done);
  /// Waits until no request is pending or `timeout` has passed; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);
  std::size_t pending() const;
  void cancel_all();  ///< pending requests complete as Cancelled

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emo
