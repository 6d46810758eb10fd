// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: limits applied to JSON text from outside (Gemini replies, JSON Lines files, the
// emosession journal) before json-glib parses it. json-glib has no nesting limit and recurses
// once per level: a reply nested 100 000 levels deep overflows the stack of the thread that
// parses it. So the bytes are scanned first (no parsing, no allocation, no recursion).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace emo {

/// Deepest nesting of arrays and objects accepted in any JSON text gst-emo reads: 64 levels
/// (`[[1]]` is 2 levels). Gemini's replies nest 6 levels, a session record 3.
constexpr int kMaxJsonDepth = 64;

/// The nesting depth of `text` (arrays and objects; brackets inside strings, escapes included,
/// do not count), counted on the bytes. Stops at the first level past `limit` and returns
/// limit + 1 then. The text need not be valid JSON: this is only a bound.
int json_depth(std::string_view text, int limit = kMaxJsonDepth);

/// "" when `text` nests at most `limit` levels, else a sentence saying so ("JSON nested deeper
/// than 64 levels").
std::string check_json_depth(std::string_view text, int limit = kMaxJsonDepth);

/// `text` with every escaped NUL character inside a string (the six bytes \u0000) replaced by
/// \ufffd (U+FFFD REPLACEMENT CHARACTER), so that json-glib, whose strings end at a NUL, keeps
/// the whole string. `*replaced` (when given) gets the number of replacements.
std::string replace_nul_escapes(std::string_view text, std::size_t *replaced = nullptr);

}  // namespace emo
