// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: JSON side of the Gemini client (json-glib).
#include "gemini_json.hpp"

#include <json-glib/json-glib.h>

#include <cmath>
#include <cstdlib>
#include <memory>

#include "emo/gemini/json_limits.hpp"

namespace emo::gemini_json {
namespace {

struct GObjectDeleter {
  void operator()(gpointer p) const { g_object_unref(p); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectDeleter>;

struct ErrorDeleter {
  void operator()(GError *e) const { g_error_free(e); }
};

// Typed member lookups that never trip json-glib's type assertions.
JsonObject *member_object(JsonObject *obj, const char *name) {
  if (!obj || !json_object_has_member(obj, name)) return nullptr;
  JsonNode *node = json_object_get_member(obj, name);
  return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

JsonArray *member_array(JsonObject *obj, const char *name) {
  if (!obj || !json_object_has_member(obj, name)) return nullptr;
  JsonNode *node = json_object_get_member(obj, name);
  return JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : nullptr;
}

std::optional<std::string> member_string(JsonObject *obj, const char *name) {
  if (!obj || !json_object_has_member(obj, name)) return std::nullopt;
  JsonNode *node = json_object_get_member(obj, name);
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return std::nullopt;
  return std::string(json_node_get_string(node));
}

bool member_true(JsonObject *obj, const char *name) {
  if (!obj || !json_object_has_member(obj, name)) return false;
  JsonNode *node = json_object_get_member(obj, name);
  return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_BOOLEAN &&
         json_node_get_boolean(node);
}

JsonObject *array_object(JsonArray *array, guint i) {
  JsonNode *node = json_array_get_element(array, i);
  return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

// Parses `body`; on failure returns nullptr and sets `why`. Text nested deeper than
// kMaxJsonDepth is refused before json-glib (which recurses per level) sees it.
GObjectPtr<JsonParser> parse(const std::string &body, std::string &why) {
  why = check_json_depth(body);
  if (!why.empty()) return nullptr;
  GObjectPtr<JsonParser> parser(json_parser_new());
  GError *raw = nullptr;
  if (!json_parser_load_from_data(parser.get(), body.data(), static_cast<gssize>(body.size()),
                                  &raw)) {
    std::unique_ptr<GError, ErrorDeleter> error(raw);
    why = error ? error->message : "unreadable JSON";
    return nullptr;
  }
  JsonNode *root = json_parser_get_root(parser.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    why = "the body is not a JSON object";
    return nullptr;
  }
  return parser;
}

GeminiResult failed(const std::string &detail) {
  GeminiResult r;
  r.state = GeminiState::Failed;
  r.detail = "malformed reply: " + detail;
  return r;
}

}  // namespace

std::string build_request(const GeminiConfig &config, const GeminiRequest &request) {
  GObjectPtr<JsonBuilder> b(json_builder_new());
  json_builder_begin_object(b.get());
  if (!request.system_instruction.empty()) {
    json_builder_set_member_name(b.get(), "systemInstruction");
    json_builder_begin_object(b.get());
    json_builder_set_member_name(b.get(), "parts");
    json_builder_begin_array(b.get());
    json_builder_begin_object(b.get());
    json_builder_set_member_name(b.get(), "text");
    json_builder_add_string_value(b.get(), request.system_instruction.c_str());
    json_builder_end_object(b.get());
    json_builder_end_array(b.get());
    json_builder_end_object(b.get());
  }
  json_builder_set_member_name(b.get(), "contents");
  json_builder_begin_array(b.get());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "role");
  json_builder_add_string_value(b.get(), "user");
  json_builder_set_member_name(b.get(), "parts");
  json_builder_begin_array(b.get());
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "text");
  json_builder_add_string_value(b.get(), request.user_text.c_str());
  json_builder_end_object(b.get());
  json_builder_end_array(b.get());
  json_builder_end_object(b.get());
  json_builder_end_array(b.get());
  json_builder_set_member_name(b.get(), "generationConfig");
  json_builder_begin_object(b.get());
  json_builder_set_member_name(b.get(), "temperature");
  json_builder_add_double_value(b.get(), config.temperature);
  json_builder_set_member_name(b.get(), "maxOutputTokens");
  json_builder_add_int_value(b.get(), config.max_output_tokens);
  json_builder_end_object(b.get());
  json_builder_end_object(b.get());

  JsonNode *root = json_builder_get_root(b.get());
  GObjectPtr<JsonGenerator> gen(json_generator_new());
  json_generator_set_root(gen.get(), root);
  gchar *text = json_generator_to_data(gen.get(), nullptr);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  return out;
}

GeminiResult parse_reply(const std::string &raw_body) {
  // json-glib's strings end at a NUL: a "\u0000" in the text would cut it silently.
  std::size_t nuls = 0;
  const std::string body = replace_nul_escapes(raw_body, &nuls);
  std::string why;
  auto parser = parse(body, why);
  if (!parser) return failed(why);
  JsonObject *root = json_node_get_object(json_parser_get_root(parser.get()));

  GeminiResult r;
  r.model_version = member_string(root, "modelVersion").value_or("");
  if (auto reason = member_string(member_object(root, "promptFeedback"), "blockReason")) {
    r.state = GeminiState::Blocked;
    r.detail = "blocked: prompt (" + *reason + ")";
    return r;
  }
  JsonArray *candidates = member_array(root, "candidates");
  if (!candidates || json_array_get_length(candidates) == 0)
    return failed("no candidates and no promptFeedback.blockReason");
  JsonObject *candidate = array_object(candidates, 0);
  if (!candidate) return failed("candidates[0] is not an object");

  std::string text;
  if (JsonArray *parts = member_array(member_object(candidate, "content"), "parts")) {
    for (guint i = 0; i < json_array_get_length(parts); ++i) {
      JsonObject *part = array_object(parts, i);
      if (!part || member_true(part, "thought")) continue;
      text += member_string(part, "text").value_or("");
    }
  }
  const std::string finish = member_string(candidate, "finishReason").value_or("");
  if (!text.empty()) {
    r.state = GeminiState::Ok;
    r.text = std::move(text);
    if (finish == "MAX_TOKENS") r.detail = "reply cut at maxOutputTokens";
    if (nuls > 0) {
      if (!r.detail.empty()) r.detail += "; ";
      r.detail += std::to_string(nuls) + " NUL character(s) in the reply replaced by U+FFFD";
    }
    return r;
  }
  if (finish == "MAX_TOKENS") {
    r.state = GeminiState::Truncated;
    r.detail = "truncated: finishReason MAX_TOKENS before any text (thinking used the budget?)";
    return r;
  }
  if (finish.empty() || finish == "STOP") return failed("candidate without text");
  r.state = GeminiState::Blocked;
  r.detail = "blocked: reply (finishReason " + finish + ")";
  if (auto msg = member_string(candidate, "finishMessage")) r.detail += ": " + *msg;
  return r;
}

ErrorInfo parse_error(const std::string &body) {
  ErrorInfo info;
  std::string why;
  auto parser = parse(body, why);
  if (!parser) return info;
  JsonObject *error =
      member_object(json_node_get_object(json_parser_get_root(parser.get())), "error");
  if (!error) return info;
  info.parsed = true;
  info.message = member_string(error, "message").value_or("");
  info.status = member_string(error, "status").value_or("");
  if (JsonArray *details = member_array(error, "details")) {
    for (guint i = 0; i < json_array_get_length(details); ++i) {
      JsonObject *d = array_object(details, i);
      if (member_string(d, "@type").value_or("") != "type.googleapis.com/google.rpc.RetryInfo")
        continue;
      if (auto delay = member_string(d, "retryDelay")) info.retry_delay = parse_duration(*delay);
    }
  }
  return info;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string &text) {
  if (text.size() < 2 || text.back() != 's') return std::nullopt;
  const std::string number = text.substr(0, text.size() - 1);
  const char *begin = number.c_str();
  char *end = nullptr;
  const double seconds = g_ascii_strtod(begin, &end);
  if (end == begin || *end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 1e9)
    return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0)));
}

}  // namespace emo::gemini_json
