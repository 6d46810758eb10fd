// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: byte scans of JSON text before it is parsed (see emo/gemini/json_limits.hpp).
#include "emo/gemini/json_limits.hpp"

namespace emo {

int json_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) deepest = depth;
        if (deepest > limit) return limit + 1;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

std::string check_json_depth(std::string_view text, int limit) {
  if (json_depth(text, limit) <= limit) return {};
  return "JSON nested deeper than " + std::to_string(limit) + " levels";
}

std::string replace_nul_escapes(std::string_view text, std::size_t *replaced) {
  std::size_t count = 0;
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      out += c;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out += c;
    } else if (c == '\\' && i + 1 < text.size()) {
      if (text.compare(i + 1, 5, "u0000") == 0) {
        out += "\\ufffd";
        ++count;
        i += 5;
      } else {
        out += c;
        out += text[++i];  // the escaped character, whatever it is
      }
    } else {
      out += c;
    }
  }
  if (replaced) *replaced = count;
  return out;
}

}  // namespace emo
