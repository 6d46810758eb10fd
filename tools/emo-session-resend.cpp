// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-session-resend: sends the windows of an emosession JSON Lines file that have no analysis
// yet (state pending, skipped or cancelled, or failed with a retryable error) to Gemini again,
// with the prompt stored in each line, and stores the new analyses.
//
// Output: by default the input file is replaced atomically (a temporary file in the same
// directory, fsynced, renamed over it; refused when the file grew while the tool ran, i.e. an
// emosession still appends to it); with --output the result goes to a new file instead and the
// input is left alone. Every line is kept in its place; only the "analysis" member of the
// re-sent lines changes. Lines that are not emosession records are kept as they are.
//
// Windows of an emosession killed before their analysis arrived wait in the journal beside the
// file (`FILE.pending`, emo::PendingJournal): they are re-sent too, and appended to the output;
// once the input is replaced, the journal is removed. A journal that a running emosession still
// holds is left alone.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <glib.h>

#include "emo/gemini/gemini.hpp"
#include "emo/session/session.hpp"

namespace {

struct Options {
  gchar *api_key = nullptr, *model = nullptr, *endpoint = nullptr, *output = nullptr;
  gdouble timeout = 60.0, wait = 600.0;
  gint max_retries = 4;
  gboolean dry_run = FALSE;
  gchar **files = nullptr;
  ~Options() {
    g_free(api_key), g_free(model), g_free(endpoint), g_free(output), g_strfreev(files);
  }
};

struct Line {
  std::string text;
  std::optional<emo::WindowRecord> record;  // set for records to re-send
  bool answered = false;
  emo::Analysis analysis;
};

std::vector<Line> read_lines(const std::string &path, off_t *size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::vector<Line> lines;
  for (std::string text; std::getline(in, text);) {
    lines.emplace_back();
    lines.back().text = text;
  }
  struct stat st {};
  *size = ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
  return lines;
}

/* Writes `lines` to a temporary file beside `path`, fsyncs it and renames it over `path`. */
void write_atomically(const std::string &path, const std::vector<std::string> &lines) {
  std::string tmp = path + ".XXXXXX";
  const int fd = g_mkstemp(tmp.data());
  if (fd < 0)
    throw std::runtime_error("cannot create a file beside " + path + ": " + std::strerror(errno));
  std::string data;
  for (const std::string &l : lines) data += l + "\n";
  size_t done = 0;
  bool ok = true;
  while (ok && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n >= 0;
    if (ok) done += static_cast<size_t>(n);
  }
  const int err = errno;
  ok = ok && ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(ok ? errno : err));
  }
}

int run(int argc, char **argv) {
  Options o;
  const GOptionEntry entries[] = {
      {"api-key", 'k', 0, G_OPTION_ARG_STRING, &o.api_key,
       "Gemini API key (default: $GEMINI_API_KEY; required)", "KEY"},
      {"model", 'm', 0, G_OPTION_ARG_STRING, &o.model,
       "Gemini model (default: the model stored in each line)", "MODEL"},
      {"endpoint", 'e', 0, G_OPTION_ARG_STRING, &o.endpoint,
       "API base URL (default: https://generativelanguage.googleapis.com)", "URL"},
      {"timeout", 't', 0, G_OPTION_ARG_DOUBLE, &o.timeout,
       "Seconds allowed per request attempt (default 60)", "S"},
      {"max-retries", 'r', 0, G_OPTION_ARG_INT, &o.max_retries,
       "Retries after the first attempt of each request (default 4)", "N"},
      {"wait", 'w', 0, G_OPTION_ARG_DOUBLE, &o.wait,
       "Seconds to wait for all replies; later ones are not stored (default 600)", "S"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
       "Write the result to FILE and leave the input alone (default: replace the input "
       "atomically)",
       "FILE"},
      {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o.dry_run, "Only list the windows to re-send",
       nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.files, nullptr, "FILE.jsonl"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx =
      g_option_context_new("- send emosession windows without an analysis to Gemini again");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_set_description(
      ctx,
      "Re-sends the windows whose analysis is pending, skipped, cancelled or failed with a "
      "retryable error\n(timeout, connection, 429, 5xx), with the prompt stored in the line. "
      "Prints one line per window.\nExit status: 0 every re-sent window has a final analysis, "
      "1 some still have none, 2 usage or file error.\n");
  GError *err = nullptr;
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-session-resend: %s\n", err->message);
    g_error_free(err);
    return 2;
  }
  if (!o.files || !o.files[0] || o.files[1]) {
    g_printerr("emo-session-resend: give exactly one JSON Lines file (see --help)\n");
    return 2;
  }
  const std::string path = o.files[0];
  off_t size_before = 0;
  std::vector<Line> lines = read_lines(path, &size_before);
  const std::vector<emo::WindowRecord> killed = emo::recover_pending_journal(path, false);
  for (const emo::WindowRecord &r : killed) {
    lines.emplace_back();
    lines.back().text = emo::record_to_json(r);
  }
  if (!killed.empty())
    g_printerr(
        "emo-session-resend: %zu window(s) of a run that ended before their analysis "
        "found in %s\n",
        killed.size(), emo::PendingJournal::path_for(path).c_str());
  size_t selected = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string error;
    std::optional<emo::WindowRecord> r = emo::record_from_json(lines[i].text, &error);
    if (!r) {
      if (!lines[i].text.empty())
        g_printerr("emo-session-resend: %s:%zu kept as it is: %s\n", path.c_str(), i + 1,
                   error.c_str());
      continue;
    }
    if (!r->analysis.retryable()) continue;
    std::printf("%s/%" G_GUINT64_FORMAT ": %s -> re-send\n", r->session.c_str(), r->window.index,
                r->analysis.state.c_str());
    lines[i].record = std::move(r);
    ++selected;
  }
  if (o.dry_run || selected == 0) {
    std::printf("%zu window(s) to re-send\n", selected);
    return 0;
  }

  emo::GeminiConfig base;
  const char *env_key = g_getenv("GEMINI_API_KEY");
  base.api_key = o.api_key ? o.api_key : env_key ? env_key : "";
  if (base.api_key.empty()) {
    g_printerr("emo-session-resend: no API key (--api-key or GEMINI_API_KEY)\n");
    return 2;
  }
  if (o.endpoint) base.endpoint = o.endpoint;
  if (o.timeout <= 0 || o.max_retries < 0 || o.wait <= 0) {
    g_printerr("emo-session-resend: --timeout, --wait must be positive, --max-retries >= 0\n");
    return 2;
  }
  base.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout * 1e3));
  base.max_retries = o.max_retries;

  std::mutex mutex;
  {
    std::map<std::string, std::unique_ptr<emo::GeminiClient>> clients;  // one per model
    for (Line &line : lines) {
      if (!line.record) continue;
      const std::string model = o.model ? o.model : line.record->model;
      std::unique_ptr<emo::GeminiClient> &client = clients[model];
      if (!client) {
        emo::GeminiConfig config = base;
        config.model = model;
        client = std::make_unique<emo::GeminiClient>(config);
      }
      Line *target = &line;
      client->submit({line.record->prompt.system_instruction, line.record->prompt.user_text},
                     [&mutex, target](std::uint64_t, const emo::GeminiResult &result) {
                       if (result.state == emo::GeminiState::Cancelled) return;  // --wait over
                       std::lock_guard<std::mutex> lock(mutex);
                       target->analysis = emo::analysis_from(result);
                       target->answered = true;
                     });
    }
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<std::int64_t>(o.wait * 1e3));
    for (auto &[model, client] : clients) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      client->wait_idle(std::max(left, std::chrono::milliseconds(0)));
    }
  }  // the clients are gone: no callback runs any more; late replies were cancelled

  int status = 0;
  std::vector<std::string> out;
  for (Line &line : lines) {
    if (!line.record) {
      out.push_back(line.text);
      continue;
    }
    if (!line.answered) line.analysis.detail = "no reply within --wait";
    const emo::Analysis &a = line.analysis;
    std::printf("%s/%" G_GUINT64_FORMAT ": %s%s%s\n", line.record->session.c_str(),
                line.record->window.index, a.state.c_str(), a.detail.empty() ? "" : ": ",
                a.detail.c_str());
    if (a.retryable()) status = 1;
    /* A reply that never came leaves the line as it was. */
    out.push_back(line.answered ? emo::replace_analysis(line.text, a) : line.text);
  }
  if (o.output) {
    write_atomically(o.output, out);
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || st.st_size != size_before)
      throw std::runtime_error(path +
                               " changed while the windows were re-sent (is an emosession "
                               "still writing it?); nothing replaced, use --output");
    write_atomically(path, out);
    if (!killed.empty() && ::unlink(emo::PendingJournal::path_for(path).c_str()) != 0)
      g_printerr("emo-session-resend: cannot remove %s: %s\n",
                 emo::PendingJournal::path_for(path).c_str(), std::strerror(errno));
  }
  return status;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    g_printerr("emo-session-resend: %s\n", e.what());
    return 2;
  }
}
