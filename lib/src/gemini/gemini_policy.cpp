// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the Gemini client's retry policy and key redaction.
#include "gemini_policy.hpp"

#include <glib.h>

#include <algorithm>
#include <cmath>

namespace emo {

std::string check_config(const GeminiConfig &config) {
  const bool model_ok =
      !config.model.empty() && std::all_of(config.model.begin(), config.model.end(), [](char c) {
        return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_';
      });
  if (!model_ok)
    return "invalid model name \"" + config.model +
           "\" (letters, digits, '-', '.' and '_' only, e.g. \"gemini-2.5-flash\")";
  GUri *uri = g_uri_parse(config.endpoint.c_str(), G_URI_FLAGS_NONE, nullptr);
  const bool endpoint_ok = uri != nullptr && g_uri_get_host(uri) != nullptr &&
                           *g_uri_get_host(uri) != '\0' &&
                           (g_strcmp0(g_uri_get_scheme(uri), "https") == 0 ||
                            g_strcmp0(g_uri_get_scheme(uri), "http") == 0);
  if (uri != nullptr) g_uri_unref(uri);
  if (!endpoint_ok)
    return "invalid endpoint \"" + config.endpoint +
           "\": expected http(s)://host[:port], e.g. \"https://generativelanguage.googleapis.com\"";
  if (config.timeout.count() <= 0) return "the timeout must be more than 0 ms";
  if (config.max_retries < 0) return "max-retries must not be negative";
  if (config.max_reply_bytes == 0) return "the maximum reply size must be more than 0 bytes";
  if (config.max_in_flight < 0) return "max-in-flight must not be negative (0: no limit)";
  if (config.max_per_minute < 0)
    return "max-requests-per-minute must not be negative (0: no limit)";
  if (config.rate_window.count() <= 0) return "the rate window must be more than 0 ms";
  return {};
}

const char *to_string(GeminiState state) {
  switch (state) {
    case GeminiState::Ok:
      return "ok";
    case GeminiState::Skipped:
      return "skipped";
    case GeminiState::Blocked:
      return "blocked";
    case GeminiState::Truncated:
      return "truncated";
    case GeminiState::Failed:
      return "failed";
    case GeminiState::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace gemini_policy {

bool retryable_status(int http_status) {
  return http_status == 429 || http_status == 500 || http_status == 503 || http_status == 504;
}

std::chrono::milliseconds backoff(const GeminiConfig &config, int retry, std::mt19937_64 &rng) {
  double cap = static_cast<double>(config.initial_backoff.count()) *
               std::pow(2.0, std::clamp(retry - 1, 0, 40));
  cap = std::max(0.0, std::min(cap, static_cast<double>(config.max_backoff.count())));
  std::uniform_real_distribution<double> dist(0.0, cap);
  return std::chrono::milliseconds(static_cast<long long>(dist(rng)));
}

std::string redact(std::string text, const std::string &key) {
  if (key.empty()) return text;
  for (std::size_t pos; (pos = text.find(key)) != std::string::npos;)
    text.replace(pos, key.size(), "[redacted]");
  return text;
}

}  // namespace gemini_policy
}  // namespace emo
