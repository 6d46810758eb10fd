// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: a real HTTP server (libsoup SoupServer on 127.0.0.1, random port, own thread
// and GMainContext) that speaks Gemini's generateContent shapes, answers from a script and
// records every request. Used in-process by test_gemini and by the emo-gemini-test-server
// executable. The shapes are those documented in lib/include/emo/gemini/gemini.hpp.
//
// CONTRACT for the test server executable (built in tests/support/, target
// `emo-gemini-test-server`, output ${CMAKE_BINARY_DIR}/tests/support/emo-gemini-test-server):
//   emo-gemini-test-server [--reply TEXT] [--fail-first N] [--fail-status CODE]
//                          [--retry-delay SECONDS] [--delay-ms MS] [--status CODE]
//                          [--malformed] [--block-reason REASON] [--requests-log FILE]
//                          [--raw-body-file FILE] [--redirect-to URL] [--endless]
// Listens on 127.0.0.1 on a random port, prints "PORT <n>" + newline on stdout (flushed) once
// listening, answers POST /v1beta/models/<model>:generateContent in Gemini's real JSON shapes
// (first N requests fail with --fail-status and Gemini's error body, optional RetryInfo), appends
// one JSON line per request to --requests-log ({"path":..,"api_key":..,"body":{...}}), and runs
// until SIGTERM/SIGINT.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace emo::test {

/// One scripted answer to a well-formed generateContent request.
struct GeminiReply {
  int status = 200;  ///< HTTP status; non-200 sends Gemini's error body
  /// 200: the candidate's text; empty gives a candidate whose content has no parts.
  std::string text = "Thank you for sharing how you feel.";
  std::string thought;                 ///< 200: a leading part {"text": .., "thought": true}
  std::string finish_reason = "STOP";  ///< 200: candidates[0].finishReason
  std::string block_reason;            ///< 200: promptFeedback.blockReason and no candidates
  std::string message;      ///< error: error.message; empty: Gemini's usual one for `status`
  std::string retry_delay;  ///< error: google.rpc.RetryInfo.retryDelay ("0.3s"); empty: none
  bool malformed = false;   ///< the body is cut in the middle (not valid JSON)
  std::string raw_body;     ///< when not empty: sent verbatim instead of the above
  std::chrono::milliseconds delay{0};  ///< wait before answering
  // Hostile replies:
  /// When not empty: `status` (302 unless it is a 3xx) with this Location header, no body.
  std::string redirect_to;
  /// A 200 whose body never ends: the start of a candidate's text, then 'a' in 64 KiB chunks
  /// (chunked transfer encoding) for as long as the client reads, up to kEndlessCap bytes
  /// (then the JSON is closed, so a client without a cap would see a 64 MiB text).
  bool endless = false;
  /// With `endless`: the headers declare a Content-Length of 1 GiB instead of chunks.
  bool endless_declares_length = false;
};

/// The most an `endless` reply sends before it ends after all.
constexpr std::size_t kEndlessCap = std::size_t(64) << 20;

/// What the server saw.
struct RecordedRequest {
  std::string method;
  std::string path;     ///< e.g. "/v1beta/models/gemini-2.5-flash:generateContent"
  std::string model;    ///< model name taken from the path ("" when the path is wrong)
  std::string api_key;  ///< x-goog-api-key header value, "" when absent
  std::string content_type;
  std::string body;           ///< raw request body
  bool body_is_json = false;  ///< body parsed as a JSON object
  // Fields read from the JSON body ("" / -1 when absent):
  std::string system_instruction;  ///< systemInstruction.parts[0].text
  std::string role;                ///< contents[0].role
  std::string user_text;           ///< contents[0].parts[0].text
  double temperature = -1;         ///< generationConfig.temperature
  int max_output_tokens = -1;      ///< generationConfig.maxOutputTokens
  std::chrono::steady_clock::time_point received;
};

class GeminiTestServer {
 public:
  using Observer = std::function<void(const RecordedRequest &)>;

  /// Starts listening; throws std::runtime_error when it cannot.
  GeminiTestServer();
  ~GeminiTestServer();
  GeminiTestServer(const GeminiTestServer &) = delete;
  GeminiTestServer &operator=(const GeminiTestServer &) = delete;

  int port() const;
  std::string endpoint() const;  ///< "http://127.0.0.1:<port>"

  void push(GeminiReply reply);         ///< appends to the script (used in order)
  void set_default(GeminiReply reply);  ///< answer once the script is used up
  /// Called on the server thread for every request, before it is answered.
  void set_observer(Observer observer);

  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  /// The most replies with a GeminiReply::delay held back at the same time: requests that were
  /// in the server's hands together.
  std::size_t max_held() const;

  /// The body the server sends for `reply` (model goes into modelVersion).
  static std::string reply_body(const GeminiReply &reply, const std::string &model);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emo::test
