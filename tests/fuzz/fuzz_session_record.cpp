// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: the session record parser (lib/src/session/record.cpp) on any line of a
// JSON Lines file or journal. Invariants: no crash, no sanitizer report (signed overflow
// included: a record's duration() is computed); a record that parses is written back and
// parses again to the same window, and replace_analysis() accepts its line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "emo/session/session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string line(reinterpret_cast<const char *>(data), size);
  std::string error;
  const std::optional<emo::WindowRecord> r = emo::record_from_json(line, &error);
  if (!r) {
    if (error.empty()) std::abort();
    return 0;
  }
  if (r->window.duration() < 0) std::abort();
  const std::string again = emo::record_to_json(*r);
  const std::optional<emo::WindowRecord> back = emo::record_from_json(again, &error);
  if (!back || back->window.start != r->window.start || back->window.end != r->window.end ||
      back->window.counts != r->window.counts)
    std::abort();
  emo::replace_analysis(line, emo::Analysis{});
  return 0;
}
