// SPDX-License-Identifier: LGPL-2.1-or-later
// The emo-gemini-test-server executable, driven by the real client: its options, "PORT <n>"
// line, request log and SIGTERM exit.
#include <glib.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "gemini_test_util.hpp"

namespace emo::test {
namespace {

std::string server_exe() {
  const char *build = std::getenv("EMO_BUILD_DIR");
  return std::string(build ? build : ".") + "/tests/support/emo-gemini-test-server";
}

// The child process, stopped with SIGTERM when the test ends.
struct ServerProcess {
  GPid pid = 0;
  int port = 0;
  int exit_status = -1;

  explicit ServerProcess(std::vector<std::string> args) {
    args.insert(args.begin(), server_exe());
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    gint out = -1;
    GError *error = nullptr;
    if (!g_spawn_async_with_pipes(nullptr, argv.data(), nullptr, G_SPAWN_DO_NOT_REAP_CHILD, nullptr,
                                  nullptr, &pid, nullptr, &out, nullptr, &error)) {
      ADD_FAILURE() << "cannot start " << args[0] << ": " << error->message;
      g_error_free(error);
      return;
    }
    FILE *f = fdopen(out, "r");
    char line[128] = {0};
    if (f && std::fgets(line, sizeof line, f)) std::sscanf(line, "PORT %d", &port);
    if (f) std::fclose(f);
  }
  int stop() {
    if (pid <= 0) return exit_status;
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    g_spawn_close_pid(pid);
    pid = 0;
    exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_status;
  }
  ~ServerProcess() { stop(); }
};

GeminiConfig config_for(int port) {
  GeminiConfig c;
  c.endpoint = "http://127.0.0.1:" + std::to_string(port);
  c.api_key = kKey;
  c.timeout = 5000ms;
  c.max_retries = 3;
  c.initial_backoff = 10ms;
  c.max_backoff = 40ms;
  return c;
}

TEST(GeminiTestServerExe, FailsFirstThenRepliesAndLogsEveryRequest) {
  char tmpl[] = "/tmp/emo-gemini-log-XXXXXX";
  const int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string log = tmpl;
  ServerProcess server({"--fail-first", "2", "--fail-status", "429", "--retry-delay", "0.05",
                        "--reply", "Hola, gracias por compartir.", "--requests-log", log});
  ASSERT_GT(server.port, 0);

  const GeminiResult r = run_one(config_for(server.port));
  EXPECT_EQ(r.state, GeminiState::Ok) << r.detail;
  EXPECT_EQ(r.text, "Hola, gracias por compartir.");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(server.stop(), 0);  // SIGTERM ends it cleanly

  std::ifstream in(log);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    JsonParser *parser = json_parser_new();
    ASSERT_TRUE(json_parser_load_from_data(parser, line.c_str(), -1, nullptr)) << line;
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    EXPECT_STREQ(json_object_get_string_member(o, "path"),
                 "/v1beta/models/gemini-2.5-flash:generateContent");
    EXPECT_STREQ(json_object_get_string_member(o, "api_key"), kKey);
    JsonObject *body = json_object_get_object_member(o, "body");
    JsonObject *content =
        json_array_get_object_element(json_object_get_array_member(body, "contents"), 0);
    JsonObject *part =
        json_array_get_object_element(json_object_get_array_member(content, "parts"), 0);
    EXPECT_STREQ(json_object_get_string_member(part, "text"), kUser);
    g_object_unref(parser);
  }
  EXPECT_EQ(lines, 3);
  std::remove(log.c_str());
}

TEST(GeminiTestServerExe, StatusMalformedAndBlockOptions) {
  {
    ServerProcess server({"--status", "400"});
    ASSERT_GT(server.port, 0);
    const GeminiResult r = run_one(config_for(server.port));
    EXPECT_EQ(r.state, GeminiState::Failed);
    EXPECT_EQ(r.detail, "API key not valid. Please pass a valid API key.");
  }
  {
    ServerProcess server({"--malformed"});
    ASSERT_GT(server.port, 0);
    EXPECT_EQ(run_one(config_for(server.port)).state, GeminiState::Failed);
  }
  {
    ServerProcess server({"--block-reason", "SAFETY"});
    ASSERT_GT(server.port, 0);
    const GeminiResult r = run_one(config_for(server.port));
    EXPECT_EQ(r.state, GeminiState::Blocked);
    EXPECT_NE(r.detail.find("SAFETY"), std::string::npos) << r.detail;
  }
}

TEST(GeminiTestServerExe, RejectsBadOptions) {
  ServerProcess server({"--retry-delay", "soon"});
  EXPECT_EQ(server.port, 0);
  EXPECT_EQ(server.stop(), 2);
}

}  // namespace
}  // namespace emo::test
