// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the Gemini client's policy (which errors to retry, how long to wait, key redaction),
// kept apart from the libsoup plumbing. Private to emo-gemini; documented in emo/gemini/gemini.hpp.
#pragma once

#include <chrono>
#include <random>
#include <string>

#include "emo/gemini/gemini.hpp"

namespace emo::gemini_policy {

/// 429, 500, 503 and 504 are retried; every other HTTP error is final.
bool retryable_status(int http_status);

/// "Full jitter" exponential backoff before retry `retry` (1 for the first retry): uniform in
/// [0, min(max_backoff, initial_backoff * 2^(retry - 1))].
std::chrono::milliseconds backoff(const GeminiConfig &config, int retry, std::mt19937_64 &rng);

/// `text` with every occurrence of `key` replaced by "[redacted]" (unchanged for an empty key).
std::string redact(std::string text, const std::string &key);

}  // namespace emo::gemini_policy
