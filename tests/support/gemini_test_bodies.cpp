// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tests: JSON bodies of the Gemini test server (json-glib): Gemini's reply and error
// shapes, and the reading of a generateContent request.
#include <json-glib/json-glib.h>

#include <memory>

#include "gemini_test_server.hpp"
#include "gemini_test_server_internal.hpp"

namespace emo::test {
namespace {

struct Unref {
  void operator()(gpointer p) const { g_object_unref(p); }
};

std::string to_json(JsonBuilder *b) {
  JsonNode *root = json_builder_get_root(b);
  std::unique_ptr<JsonGenerator, Unref> gen(json_generator_new());
  json_generator_set_root(gen.get(), root);
  gchar *text = json_generator_to_data(gen.get(), nullptr);
  std::string out(text);
  g_free(text);
  json_node_unref(root);
  return out;
}

void add_string(JsonBuilder *b, const char *name, const std::string &value) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value.c_str());
}

void add_int(JsonBuilder *b, const char *name, gint64 value) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}

void add_usage(JsonBuilder *b, int candidates_tokens) {
  json_builder_set_member_name(b, "usageMetadata");
  json_builder_begin_object(b);
  add_int(b, "promptTokenCount", 42);
  add_int(b, "candidatesTokenCount", candidates_tokens);
  add_int(b, "totalTokenCount", 42 + candidates_tokens);
  json_builder_end_object(b);
}

std::string success_body(const GeminiReply &r, const std::string &model) {
  std::unique_ptr<JsonBuilder, Unref> owner(json_builder_new());
  JsonBuilder *b = owner.get();
  json_builder_begin_object(b);
  if (!r.block_reason.empty()) {
    json_builder_set_member_name(b, "promptFeedback");
    json_builder_begin_object(b);
    add_string(b, "blockReason", r.block_reason);
    json_builder_end_object(b);
  } else {
    json_builder_set_member_name(b, "candidates");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "content");
    json_builder_begin_object(b);
    if (!r.text.empty() || !r.thought.empty()) {
      json_builder_set_member_name(b, "parts");
      json_builder_begin_array(b);
      if (!r.thought.empty()) {
        json_builder_begin_object(b);
        add_string(b, "text", r.thought);
        json_builder_set_member_name(b, "thought");
        json_builder_add_boolean_value(b, TRUE);
        json_builder_end_object(b);
      }
      if (!r.text.empty()) {
        json_builder_begin_object(b);
        add_string(b, "text", r.text);
        json_builder_end_object(b);
      }
      json_builder_end_array(b);
    }
    add_string(b, "role", "model");
    json_builder_end_object(b);
    if (!r.finish_reason.empty()) add_string(b, "finishReason", r.finish_reason);
    add_int(b, "index", 0);
    json_builder_end_object(b);
    json_builder_end_array(b);
  }
  add_usage(b, static_cast<int>(r.text.size() / 4));
  add_string(b, "modelVersion", model.empty() ? "gemini-2.5-flash" : model);
  add_string(b, "responseId", "emo-test-response");
  json_builder_end_object(b);
  return to_json(b);
}

}  // namespace

const char *grpc_status(int http) {
  switch (http) {
    case 400:
      return "INVALID_ARGUMENT";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 500:
      return "INTERNAL";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return "UNKNOWN";
  }
}

std::string default_message(int http) {
  switch (http) {
    case 400:
      return "API key not valid. Please pass a valid API key.";
    case 403:
      return "Method doesn't allow unregistered callers (callers without established identity). "
             "Please use API Key or other form of API consumer identity to call this API.";
    case 404:
      return "models/unknown is not found for API version v1beta, or is not supported for "
             "generateContent. Call ListModels to see the list of available models and their "
             "supported methods.";
    case 429:
      return "You exceeded your current quota, please check your plan and billing details.";
    case 500:
      return "An internal error has occurred. Please retry or report in "
             "https://developers.generativeai.google/guide/troubleshooting";
    case 503:
      return "The model is overloaded. Please try again later.";
    case 504:
      return "Deadline expired before operation could complete.";
    default:
      return "Error " + std::to_string(http);
  }
}

std::string error_body(int http, const std::string &message, const std::string &retry_delay) {
  std::unique_ptr<JsonBuilder, Unref> owner(json_builder_new());
  JsonBuilder *b = owner.get();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_begin_object(b);
  add_int(b, "code", http);
  add_string(b, "message", message.empty() ? default_message(http) : message);
  add_string(b, "status", grpc_status(http));
  json_builder_set_member_name(b, "details");
  json_builder_begin_array(b);
  if (http == 400 && message.empty()) {
    json_builder_begin_object(b);
    add_string(b, "@type", "type.googleapis.com/google.rpc.ErrorInfo");
    add_string(b, "reason", "API_KEY_INVALID");
    add_string(b, "domain", "googleapis.com");
    json_builder_end_object(b);
  }
  if (!retry_delay.empty()) {
    json_builder_begin_object(b);
    add_string(b, "@type", "type.googleapis.com/google.rpc.RetryInfo");
    add_string(b, "retryDelay", retry_delay);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  json_builder_end_object(b);
  return to_json(b);
}

std::string GeminiTestServer::reply_body(const GeminiReply &reply, const std::string &model) {
  if (!reply.raw_body.empty()) return reply.raw_body;
  std::string body = reply.status == 200
                         ? success_body(reply, model)
                         : error_body(reply.status, reply.message, reply.retry_delay);
  if (reply.malformed) body.resize(body.size() / 2);
  return body;
}

namespace {

JsonObject *object_at(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return nullptr;
  JsonNode *n = json_object_get_member(o, name);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

JsonObject *first_of(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return nullptr;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_ARRAY(n) || json_array_get_length(json_node_get_array(n)) == 0)
    return nullptr;
  JsonNode *e = json_array_get_element(json_node_get_array(n), 0);
  return JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : nullptr;
}

std::string string_at(JsonObject *o, const char *name) {
  if (!o || !json_object_has_member(o, name)) return "";
  JsonNode *n = json_object_get_member(o, name);
  return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : "";
}

}  // namespace

void read_request_body(RecordedRequest &r) {
  std::unique_ptr<JsonParser, Unref> parser(json_parser_new());
  if (!json_parser_load_from_data(parser.get(), r.body.data(), static_cast<gssize>(r.body.size()),
                                  nullptr))
    return;
  JsonNode *root = json_parser_get_root(parser.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return;
  r.body_is_json = true;
  JsonObject *o = json_node_get_object(root);
  r.system_instruction = string_at(first_of(object_at(o, "systemInstruction"), "parts"), "text");
  JsonObject *content = first_of(o, "contents");
  r.role = string_at(content, "role");
  r.user_text = string_at(first_of(content, "parts"), "text");
  if (JsonObject *gc = object_at(o, "generationConfig")) {
    JsonNode *t = json_object_get_member(gc, "temperature");  // nullptr when absent
    if (t && JSON_NODE_HOLDS_VALUE(t)) r.temperature = json_node_get_double(t);
    JsonNode *m = json_object_get_member(gc, "maxOutputTokens");
    if (m && JSON_NODE_HOLDS_VALUE(m)) r.max_output_tokens = static_cast<int>(json_node_get_int(m));
  }
}

}  // namespace emo::test
