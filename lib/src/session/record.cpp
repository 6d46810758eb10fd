// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: JSON form of an emotion window and its analysis (json-glib; see
// emo/session/session.hpp).
#include <json-glib/json-glib.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "emo/gemini/gemini.hpp"
#include "emo/gemini/json_limits.hpp"
#include "emo/session/session.hpp"

namespace emo {
namespace {

struct NodeFree {
  void operator()(JsonNode *n) const { json_node_unref(n); }
};
struct ObjectUnref {
  void operator()(gpointer o) const { g_object_unref(o); }
};
using NodePtr = std::unique_ptr<JsonNode, NodeFree>;
template <typename T>
using GPtr = std::unique_ptr<T, ObjectUnref>;

std::string valid_utf8(const std::string &text) {
  gchar *valid = g_utf8_make_valid(text.c_str(), static_cast<gssize>(text.size()));
  std::string out = valid;
  g_free(valid);
  return out;
}

void member(JsonBuilder *b, const char *name, const std::string &value) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, valid_utf8(value).c_str());
}
void member(JsonBuilder *b, const char *name, std::int64_t value) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}

/* A prompt text stored without the copies of the context it holds: the pieces between them
 * (`text` == pieces joined with `context`; one piece when the context is empty or absent). */
void parts_member(JsonBuilder *b, const char *name, const std::string &text,
                  const std::string &context) {
  const std::string t = valid_utf8(text), c = valid_utf8(context);
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  std::size_t from = 0;
  for (std::size_t at; !c.empty() && (at = t.find(c, from)) != std::string::npos;
       from = at + c.size())
    json_builder_add_string_value(b, t.substr(from, at - from).c_str());
  json_builder_add_string_value(b, t.substr(from).c_str());
  json_builder_end_array(b);
}

void add_analysis(JsonBuilder *b, const Analysis &a) {
  json_builder_begin_object(b);
  member(b, "state", a.state);
  member(b, "text", a.text);
  member(b, "detail", a.detail);
  member(b, "http_status", a.http_status);
  member(b, "error_status", a.error_status);
  member(b, "attempts", a.attempts);
  member(b, "model_version", a.model_version);
  json_builder_set_member_name(b, "retryable");
  json_builder_add_boolean_value(b, a.retryable());
  json_builder_end_object(b);
}

std::string to_line(JsonNode *root) {
  GPtr<JsonGenerator> gen(json_generator_new());
  json_generator_set_root(gen.get(), root);
  gchar *text = json_generator_to_data(gen.get(), nullptr);
  std::string out = text;
  g_free(text);
  return out;
}

NodePtr parse(const std::string &line) {
  /* json-glib recurses once per level: refuse deep nesting before it sees the line. */
  const std::string too_deep = check_json_depth(line);
  if (!too_deep.empty()) throw std::runtime_error(too_deep);
  GPtr<JsonParser> parser(json_parser_new());
  GError *error = nullptr;
  if (!json_parser_load_from_data(parser.get(), line.c_str(), static_cast<gssize>(line.size()),
                                  &error)) {
    const std::string message = error->message;
    g_error_free(error);
    throw std::runtime_error("malformed JSON: " + message);
  }
  JsonNode *root = json_parser_get_root(parser.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) throw std::runtime_error("not a JSON object");
  return NodePtr(json_node_copy(root));
}

/* Typed member access that throws a message naming the member. */
JsonNode *need(JsonObject *o, const char *name, JsonNodeType type) {
  JsonNode *n = json_object_get_member(o, name);
  if (!n || JSON_NODE_TYPE(n) != type)
    throw std::runtime_error(std::string("member \"") + name + "\" missing or of the wrong type");
  return n;
}
std::string get_string(JsonObject *o, const char *name) {
  JsonNode *n = need(o, name, JSON_NODE_VALUE);
  if (json_node_get_value_type(n) != G_TYPE_STRING)
    throw std::runtime_error(std::string("member \"") + name + "\" is not a string");
  return json_node_get_string(n);
}

/* A prompt text: "<name>_parts" joined with the context (record_to_json()), or "<name>" as
 * lines written before the parts were. */
std::string get_text(JsonObject *o, const char *name, const std::string &context) {
  const std::string parts_name = std::string(name) + "_parts";
  if (!json_object_has_member(o, parts_name.c_str())) return get_string(o, name);
  JsonArray *parts = json_node_get_array(need(o, parts_name.c_str(), JSON_NODE_ARRAY));
  std::string text;
  for (guint i = 0; i < json_array_get_length(parts); ++i) {
    JsonNode *n = json_array_get_element(parts, i);
    if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
      throw std::runtime_error("member \"" + parts_name + "\" must hold strings");
    if (i > 0) text += context;
    text += json_node_get_string(n);
  }
  return text;
}
std::int64_t get_int(JsonObject *o, const char *name) {
  JsonNode *n = need(o, name, JSON_NODE_VALUE);
  if (json_node_get_value_type(n) != G_TYPE_INT64)
    throw std::runtime_error(std::string("member \"") + name + "\" is not an integer");
  return json_node_get_int(n);
}
double get_double(JsonObject *o, const char *name) {
  JsonNode *n = need(o, name, JSON_NODE_VALUE);
  const GType t = json_node_get_value_type(n);
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    throw std::runtime_error(std::string("member \"") + name + "\" is not a number");
  return json_node_get_double(n);
}

/* get_int() within [lo, hi], else an error naming the member and the range. */
std::int64_t get_int_in(JsonObject *o, const char *name, std::int64_t lo, std::int64_t hi) {
  const std::int64_t v = get_int(o, name);
  if (v < lo || v > hi)
    throw std::runtime_error(std::string("member \"") + name + "\" is " + std::to_string(v) +
                             ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

WindowEnd window_end_from(const std::string &name) {
  for (WindowEnd e :
       {WindowEnd::Full, WindowEnd::Gap, WindowEnd::Flush, WindowEnd::Segment, WindowEnd::Eos})
    if (name == to_string(e)) return e;
  throw std::runtime_error("unknown closed_by \"" + name + "\"");
}

}  // namespace

bool Analysis::retryable() const {
  if (state == "pending" || state == "skipped" || state == "cancelled") return true;
  if (state != "failed") return false;
  return http_status == 0 || http_status == 408 || http_status == 429 || http_status >= 500;
}

Analysis analysis_from(const GeminiResult &result) {
  Analysis a;
  a.state = to_string(result.state);
  a.text = result.text;
  a.detail = result.detail;
  if (result.state == GeminiState::Skipped && a.detail.empty()) a.detail = "no API key";
  a.http_status = result.http_status;
  a.error_status = result.error_status;
  a.attempts = result.attempts;
  a.model_version = result.model_version;
  return a;
}

std::string analysis_to_json(const Analysis &analysis) {
  GPtr<JsonBuilder> b(json_builder_new());
  add_analysis(b.get(), analysis);
  NodePtr root(json_builder_get_root(b.get()));
  return to_line(root.get());
}

std::string record_to_json(const WindowRecord &r) {
  const EmotionWindow &w = r.window;
  GPtr<JsonBuilder> b(json_builder_new());
  JsonBuilder *j = b.get();
  json_builder_begin_object(j);
  member(j, "session", r.session);
  member(j, "index", static_cast<std::int64_t>(w.index));
  if (r.track_id >= 0) member(j, "track_id", r.track_id);
  member(j, "start", w.start);
  member(j, "end", w.end);
  member(j, "duration", w.duration());
  member(j, "stream_start", w.stream_start);
  member(j, "sample_interval", w.sample_interval);
  member(j, "closed_by", std::string(to_string(w.closed_by)));
  json_builder_set_member_name(j, "timeline");
  json_builder_begin_array(j);
  for (const std::string &label : w.timeline)
    json_builder_add_string_value(j, valid_utf8(label).c_str());
  json_builder_end_array(j);
  json_builder_set_member_name(j, "counts");
  json_builder_begin_object(j);
  for (const auto &[label, n] : w.counts) member(j, valid_utf8(label).c_str(), n);
  json_builder_end_object(j);
  json_builder_set_member_name(j, "face_share");
  json_builder_add_double_value(j, std::round(w.face_share * 1e4) / 1e4);
  member(j, "dominant", w.dominant);
  member(j, "frames", w.frames);
  member(j, "face_frames", w.face_frames);
  member(j, "unsure_frames", w.unsure_frames);
  member(j, "context", r.context);
  member(j, "language", r.language);
  member(j, "model", r.model);
  json_builder_set_member_name(j, "prompt");
  json_builder_begin_object(j);
  parts_member(j, "system_instruction_parts", r.prompt.system_instruction, r.context);
  parts_member(j, "user_text_parts", r.prompt.user_text, r.context);
  json_builder_end_object(j);
  json_builder_set_member_name(j, "analysis");
  add_analysis(j, r.analysis);
  json_builder_end_object(j);
  NodePtr root(json_builder_get_root(j));
  return to_line(root.get());
}

std::optional<WindowRecord> record_from_json(const std::string &line, std::string *error) {
  try {
    NodePtr root = parse(line);
    JsonObject *o = json_node_get_object(root.get());
    WindowRecord r;
    EmotionWindow &w = r.window;
    r.session = get_string(o, "session");
    /* Times are running times (GstClockTime, >= 0) with start <= end: duration() cannot
     * overflow; counts fit an int. */
    constexpr std::int64_t kMaxInt = G_MAXINT;
    w.index = static_cast<std::uint64_t>(get_int_in(o, "index", 0, G_MAXINT64));
    if (json_object_has_member(o, "track_id"))
      r.track_id = get_int_in(o, "track_id", 0, G_MAXINT64);
    w.start = get_int_in(o, "start", 0, G_MAXINT64);
    w.end = get_int_in(o, "end", w.start, G_MAXINT64);
    w.stream_start = get_int_in(o, "stream_start", -1, G_MAXINT64);
    w.sample_interval = get_int_in(o, "sample_interval", 1, G_MAXINT64);
    w.closed_by = window_end_from(get_string(o, "closed_by"));
    JsonArray *timeline = json_node_get_array(need(o, "timeline", JSON_NODE_ARRAY));
    for (guint i = 0; i < json_array_get_length(timeline); ++i) {
      JsonNode *n = json_array_get_element(timeline, i);
      if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
        throw std::runtime_error("timeline entries must be strings");
      w.timeline.push_back(json_node_get_string(n));
    }
    JsonObject *counts = json_node_get_object(need(o, "counts", JSON_NODE_OBJECT));
    GList *names = json_object_get_members(counts);
    std::string bad_count;
    for (GList *l = names; l && bad_count.empty(); l = l->next) {
      const char *name = static_cast<const char *>(l->data);
      JsonNode *n = json_object_get_member(counts, name);
      if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_INT64 ||
          json_node_get_int(n) < 0 || json_node_get_int(n) > kMaxInt)
        bad_count = name;
      else
        w.counts[name] = static_cast<int>(json_node_get_int(n));
    }
    g_list_free(names);
    if (!bad_count.empty())
      throw std::runtime_error("counts[\"" + bad_count + "\"] is not a count (an integer >= 0)");
    w.face_share = get_double(o, "face_share");
    if (!(w.face_share >= 0.0 && w.face_share <= 1.0))
      throw std::runtime_error("member \"face_share\" is outside [0, 1]");
    w.dominant = get_string(o, "dominant");
    w.frames = static_cast<int>(get_int_in(o, "frames", 0, kMaxInt));
    w.face_frames = static_cast<int>(get_int_in(o, "face_frames", 0, kMaxInt));
    if (json_object_has_member(o, "unsure_frames"))  // absent from lines before the gate
      w.unsure_frames = static_cast<int>(get_int_in(o, "unsure_frames", 0, kMaxInt));
    r.context = get_string(o, "context");
    r.language = get_string(o, "language");
    r.model = get_string(o, "model");
    JsonObject *prompt = json_node_get_object(need(o, "prompt", JSON_NODE_OBJECT));
    r.prompt.system_instruction = get_text(prompt, "system_instruction", r.context);
    r.prompt.user_text = get_text(prompt, "user_text", r.context);
    JsonObject *a = json_node_get_object(need(o, "analysis", JSON_NODE_OBJECT));
    r.analysis.state = get_string(a, "state");
    r.analysis.text = get_string(a, "text");
    r.analysis.detail = get_string(a, "detail");
    r.analysis.http_status = static_cast<int>(get_int_in(a, "http_status", 0, 999));
    r.analysis.error_status = get_string(a, "error_status");
    r.analysis.attempts = static_cast<int>(get_int_in(a, "attempts", 0, kMaxInt));
    r.analysis.model_version = get_string(a, "model_version");
    return r;
  } catch (const std::exception &e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

std::string replace_analysis(const std::string &line, const Analysis &analysis) {
  NodePtr root = parse(line);
  NodePtr replacement = parse(analysis_to_json(analysis));
  json_object_set_member(json_node_get_object(root.get()), "analysis",
                         json_node_copy(replacement.get()));
  return to_line(root.get());
}

}  // namespace emo
