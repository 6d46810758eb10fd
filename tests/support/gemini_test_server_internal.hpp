// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: pieces shared by the Gemini test server's source files.
#pragma once

#include <string>

#include "gemini_test_server.hpp"

namespace emo::test {

const char *grpc_status(int http);      ///< "INVALID_ARGUMENT" for 400, ...
std::string default_message(int http);  ///< Gemini's usual error.message for `http`
/// {"error": {"code", "message", "status", "details": [ErrorInfo?, RetryInfo?]}}
std::string error_body(int http, const std::string &message, const std::string &retry_delay);
/// Fills the JSON-derived fields of `request` from request.body.
void read_request_body(RecordedRequest &request);

}  // namespace emo::test
