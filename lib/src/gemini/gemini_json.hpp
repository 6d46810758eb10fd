// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: JSON side of the Gemini client (json-glib): builds the generateContent request body
// and reads replies and error bodies. Private to emo-gemini; shapes are in emo/gemini/gemini.hpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "emo/gemini/gemini.hpp"

namespace emo::gemini_json {

/// The generateContent request body (systemInstruction, contents, generationConfig).
std::string build_request(const GeminiConfig &config, const GeminiRequest &request);

/// A 200 reply read into state Ok / Blocked / Truncated / Failed (malformed) with text, detail
/// and model_version filled in; http_status and attempts are left to the caller.
GeminiResult parse_reply(const std::string &body);

/// What an error body ({"error": {"code", "message", "status", "details"}}) says.
struct ErrorInfo {
  bool parsed = false;                                   ///< the body had Gemini's error shape
  std::string message;                                   ///< error.message
  std::string status;                                    ///< error.status
  std::optional<std::chrono::milliseconds> retry_delay;  ///< google.rpc.RetryInfo.retryDelay
};
ErrorInfo parse_error(const std::string &body);

/// A protobuf Duration in JSON form: decimal seconds followed by 's' ("1.5s", "58s",
/// "2.463586755s"), rounded up to whole milliseconds. nullopt when malformed or negative.
std::optional<std::chrono::milliseconds> parse_duration(const std::string &text);

}  // namespace emo::gemini_json
