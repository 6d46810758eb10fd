// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the Gemini reply and error parsers (lib/src/gemini/gemini_json.cpp) on any
// bytes a server may send. Invariants: no crash, no sanitizer report; an Ok result has text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gemini_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string body(reinterpret_cast<const char *>(data), size);
  const emo::GeminiResult r = emo::gemini_json::parse_reply(body);
  if (r.state == emo::GeminiState::Ok && r.text.empty()) std::abort();
  emo::gemini_json::parse_error(body);
  return 0;
}
