// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http: request validation, access check, thinning (see http_rules.hpp).
#include "http_rules.hpp"

#include <glib.h>
#include <json-glib/json-glib.h>

#include <cstring>

namespace emo_analyze::http {

namespace {

Verdict bad(const std::string &reason) { return {400, reason}; }

bool has_prefix(const std::string &s, const char *prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

Verdict check_source_uri(const std::string &uri) {
  if (uri.empty()) return bad("\"uri\" is empty");
  if (uri.size() > 2048) return bad("\"uri\" is longer than 2048 characters");
  for (unsigned char c : uri)
    if (c < 0x20 || c == 0x7f) return bad("\"uri\" contains control characters");
  if (!g_utf8_validate(uri.data(), static_cast<gssize>(uri.size()), nullptr))
    return bad("\"uri\" is not UTF-8");
  g_autoptr(GUri) parsed = g_uri_parse(uri.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!parsed)
    return bad("\"uri\" is not a URI (rtsp://HOST/..., file:///PATH or v4l2:///dev/videoN)");
  const std::string scheme = g_uri_get_scheme(parsed);
  const char *host = g_uri_get_host(parsed);
  const std::string path = g_uri_get_path(parsed);
  if (scheme == "rtsp" || scheme == "rtsps" || scheme == "rtspt") {
    if (!host || !*host) return bad("an rtsp:// URI needs a host");
    return {};
  }
  if (scheme == "file") {
    if (host && *host && std::strcmp(host, "localhost") != 0)
      return bad("a file:// URI names a local file (file:///PATH)");
    if (path.empty() || path[0] != '/') return bad("a file:// URI needs an absolute path");
    return {};
  }
  if (scheme == "v4l2") {
    if (host && *host) return bad("a v4l2:// URI names a device (v4l2:///dev/videoN)");
    if (!has_prefix(path, "/dev/") || path.find("..") != std::string::npos)
      return bad("a v4l2:// URI names a device under /dev (v4l2:///dev/videoN)");
    return {};
  }
  return bad("the scheme \"" + scheme + "\" is not a source: use rtsp://, file:// or v4l2://");
}

Verdict parse_add_request(const char *body, std::size_t length, std::string &uri) {
  if (length > kMaxBody)
    return {413, "the body is larger than " + std::to_string(kMaxBody) + " bytes"};
  if (!body || length == 0) return bad("the body is empty; send {\"uri\": \"rtsp://...\"}");
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(parser, body, static_cast<gssize>(length), &err))
    return bad(std::string("malformed JSON: ") + err->message);
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    return bad("the body must be a JSON object {\"uri\": \"...\"}");
  JsonObject *o = json_node_get_object(root);
  g_autoptr(GList) members = json_object_get_members(o);
  for (GList *m = members; m; m = m->next)
    if (std::strcmp(static_cast<const char *>(m->data), "uri") != 0)
      return bad(std::string("unknown member \"") + static_cast<const char *>(m->data) +
                 "\" (only \"uri\")");
  JsonNode *node = json_object_get_member(o, "uri");
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return bad("\"uri\" must be a string");
  uri = json_node_get_string(node);
  return check_source_uri(uri);
}

bool valid_source_name(const std::string &name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name)
    if (!(g_ascii_isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

Route route_of(const std::string &path) {
  constexpr const char *kBase = "/api/sources";
  Route r;
  if (path == kBase) {
    r.kind = Route::Sources;
    return r;
  }
  if (!has_prefix(path, "/api/sources/")) return r;
  std::string rest = path.substr(std::strlen(kBase) + 1);
  Route::Kind kind = Route::Source;
  const std::string video = "/video.mjpeg";
  if (rest.size() > video.size() &&
      rest.compare(rest.size() - video.size(), video.size(), video) == 0) {
    rest.resize(rest.size() - video.size());
    kind = Route::Video;
  }
  if (!valid_source_name(rest)) return r;
  r.kind = kind;
  r.name = rest;
  return r;
}

bool same_secret(const std::string &a, const std::string &b) {
  // Time depends on the lengths only (the secret's length is not the secret).
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

bool authorized(const std::string &token, const char *authorization, const char *cookie_header,
                const std::string &cookie_name, const std::string &cookie_value) {
  if (token.empty()) return true;
  if (authorization && g_ascii_strncasecmp(authorization, "Bearer ", 7) == 0) {
    const char *given = authorization + 7;
    while (*given == ' ') ++given;
    if (same_secret(token, given)) return true;
  }
  if (!cookie_header || cookie_value.empty()) return false;
  g_auto(GStrv) cookies = g_strsplit(cookie_header, ";", -1);
  for (gchar **c = cookies; *c; ++c) {
    gchar *pair = g_strstrip(*c);
    const char *eq = std::strchr(pair, '=');
    if (!eq) continue;
    if (std::string(pair, static_cast<std::size_t>(eq - pair)) == cookie_name &&
        same_secret(cookie_value, eq + 1))
      return true;
  }
  return false;
}

bool Thinner::due(std::int64_t now_us, std::size_t faces) {
  if (faces == 0) {
    const bool send = had_faces_;
    had_faces_ = false;
    return send;
  }
  had_faces_ = true;
  if (rate_ <= 0) return true;
  const auto interval = static_cast<std::int64_t>(1e6 / rate_);
  if (sent_any_ && now_us < next_us_) return false;
  // Slots every `interval`: the frame rate's granularity does not lower the mean rate; after a
  // pause the slots start again from now (no burst).
  next_us_ = sent_any_ && now_us - next_us_ < interval ? next_us_ + interval : now_us + interval;
  sent_any_ = true;
  return true;
}

std::string sse_event(const std::string &type, const std::string &data) {
  std::string line = data;
  for (char &c : line)
    if (c == '\n' || c == '\r') c = ' ';
  return "event: " + type + "\ndata: " + line + "\n\n";
}

std::string with_source(const std::string &json, const std::string &source, std::int64_t entry_ms) {
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, json.data(), static_cast<gssize>(json.size()), nullptr))
    return "";
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return "";
  JsonObject *o = json_node_get_object(root);
  json_object_set_string_member(o, "source", source.c_str());
  if (entry_ms >= 0) json_object_set_int_member(o, "entry-time", entry_ms);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  gsize length = 0;
  g_autofree gchar *text = json_generator_to_data(gen, &length);
  return std::string(text, length);
}

}  // namespace emo_analyze::http
