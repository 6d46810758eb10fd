// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-gemini-test-server: the Gemini test server as a process, for pipeline and tool tests.
// Options and output: see the CONTRACT block in gemini_test_server.hpp.
//
//   emo-gemini-test-server --fail-first 2 --fail-status 503 --requests-log /tmp/req.jsonl
//   PORT 41234
#include <glib-unix.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "gemini_test_server.hpp"

namespace {

struct Options {
  gchar *reply = nullptr;
  gint fail_first = 0;
  gint fail_status = 503;
  gchar *retry_delay = nullptr;
  gint delay_ms = 0;
  gint status = 200;
  gboolean malformed = FALSE;
  gchar *block_reason = nullptr;
  gchar *requests_log = nullptr;
  gchar *raw_body_file = nullptr;
  gchar *redirect_to = nullptr;
  gboolean endless = FALSE;

  ~Options() {
    g_free(raw_body_file);
    g_free(redirect_to);
    g_free(reply);
    g_free(retry_delay);
    g_free(block_reason);
    g_free(requests_log);
  }
};

// One JSON line per request: {"path": .., "api_key": .., "body": <the request body's JSON>}.
std::string log_line(const emo::test::RecordedRequest &r) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "path");
  json_builder_add_string_value(b, r.path.c_str());
  json_builder_set_member_name(b, "api_key");
  json_builder_add_string_value(b, r.api_key.c_str());
  json_builder_set_member_name(b, "body");
  JsonParser *parser = json_parser_new();
  if (json_parser_load_from_data(parser, r.body.data(), static_cast<gssize>(r.body.size()),
                                 nullptr) &&
      json_parser_get_root(parser))
    json_builder_add_value(b, json_node_copy(json_parser_get_root(parser)));
  else
    json_builder_add_string_value(b, r.body.c_str());  // not JSON: kept as a string
  g_object_unref(parser);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  JsonGenerator *gen = json_generator_new();
  json_generator_set_root(gen, root);
  gchar *text = json_generator_to_data(gen, nullptr);
  std::string line = std::string(text) + "\n";
  g_free(text);
  g_object_unref(gen);
  json_node_unref(root);
  g_object_unref(b);
  return line;
}

gboolean on_signal(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop *>(loop));
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  const GOptionEntry entries[] = {
      {"reply", 0, 0, G_OPTION_ARG_STRING, &o.reply, "Text of every successful reply", "TEXT"},
      {"fail-first", 0, 0, G_OPTION_ARG_INT, &o.fail_first,
       "The first N requests fail with --fail-status (default 0)", "N"},
      {"fail-status", 0, 0, G_OPTION_ARG_INT, &o.fail_status,
       "HTTP status of the first N failures (default 503)", "CODE"},
      {"retry-delay", 0, 0, G_OPTION_ARG_STRING, &o.retry_delay,
       "RetryInfo.retryDelay in the failures' error body, in seconds (e.g. 1.5)", "SECONDS"},
      {"delay-ms", 0, 0, G_OPTION_ARG_INT, &o.delay_ms,
       "Wait this long before every answer, in milliseconds (default 0)", "MS"},
      {"status", 0, 0, G_OPTION_ARG_INT, &o.status,
       "HTTP status of the answers after the first N (default 200)", "CODE"},
      {"malformed", 0, 0, G_OPTION_ARG_NONE, &o.malformed,
       "Answers after the first N are cut in the middle (not valid JSON)", nullptr},
      {"block-reason", 0, 0, G_OPTION_ARG_STRING, &o.block_reason,
       "Answers after the first N carry promptFeedback.blockReason REASON", "REASON"},
      {"requests-log", 0, 0, G_OPTION_ARG_FILENAME, &o.requests_log,
       "Append one JSON line per request to FILE", "FILE"},
      {"raw-body-file", 0, 0, G_OPTION_ARG_FILENAME, &o.raw_body_file,
       "Answers after the first N send the bytes of FILE as their body (hostile replies)", "FILE"},
      {"redirect-to", 0, 0, G_OPTION_ARG_STRING, &o.redirect_to,
       "Answers after the first N are a 302 to URL", "URL"},
      {"endless", 0, 0, G_OPTION_ARG_NONE, &o.endless,
       "Answers after the first N are a 200 whose body does not end (up to 64 MiB)", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx = g_option_context_new("- a local Gemini generateContent server for tests");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  GError *error = nullptr;
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &error);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-gemini-test-server: %s\n", error->message);
    g_error_free(error);
    return 2;
  }
  std::string retry_delay;
  if (o.retry_delay) {
    char *end = nullptr;
    const double seconds = g_ascii_strtod(o.retry_delay, &end);
    if (end == o.retry_delay || *end || seconds < 0) {
      g_printerr("emo-gemini-test-server: --retry-delay wants seconds >= 0, got '%s'\n",
                 o.retry_delay);
      return 2;
    }
    retry_delay = std::string(o.retry_delay) + "s";
  }
  if (o.fail_first < 0 || o.delay_ms < 0 || o.fail_status < 100 || o.fail_status > 599 ||
      o.status < 100 || o.status > 599) {
    g_printerr("emo-gemini-test-server: counts must be >= 0 and statuses 100..599\n");
    return 2;
  }

  std::unique_ptr<emo::test::GeminiTestServer> server;
  try {
    server = std::make_unique<emo::test::GeminiTestServer>();
  } catch (const std::exception &e) {
    g_printerr("emo-gemini-test-server: %s\n", e.what());
    return 1;
  }
  const std::chrono::milliseconds delay(o.delay_ms);
  for (int i = 0; i < o.fail_first; ++i) {
    emo::test::GeminiReply fail;
    fail.status = o.fail_status;
    fail.retry_delay = retry_delay;
    fail.delay = delay;
    server->push(fail);
  }
  emo::test::GeminiReply normal;
  normal.status = o.status;
  if (o.reply) normal.text = o.reply;
  normal.malformed = o.malformed;
  if (o.block_reason) normal.block_reason = o.block_reason;
  normal.delay = delay;
  if (o.raw_body_file) {
    gchar *contents = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(o.raw_body_file, &contents, &length, nullptr) || length == 0) {
      g_printerr("emo-gemini-test-server: cannot read '%s' (or it is empty)\n", o.raw_body_file);
      return 2;
    }
    normal.raw_body.assign(contents, length);
    g_free(contents);
  }
  if (o.redirect_to) normal.redirect_to = o.redirect_to;
  normal.endless = o.endless;
  server->set_default(normal);

  FILE *log = nullptr;
  std::mutex log_mutex;
  if (o.requests_log) {
    log = std::fopen(o.requests_log, "a");
    if (!log) {
      g_printerr("emo-gemini-test-server: cannot open '%s' for appending\n", o.requests_log);
      return 1;
    }
    server->set_observer([log, &log_mutex](const emo::test::RecordedRequest &r) {
      const std::string line = log_line(r);
      std::lock_guard<std::mutex> lock(log_mutex);
      std::fwrite(line.data(), 1, line.size(), log);
      std::fflush(log);
    });
  }

  std::printf("PORT %d\n", server->port());
  std::fflush(stdout);

  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_unix_signal_add(SIGINT, on_signal, loop);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  server.reset();
  if (log) std::fclose(log);
  return 0;
}
