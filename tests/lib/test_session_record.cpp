// SPDX-License-Identifier: LGPL-2.1-or-later
// emosession library parts: prompts (languages, template files), JSON records, JSON Lines.
#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "emo/session/session.hpp"

namespace {

using emo::kSecond;

emo::EmotionWindow sample_window() {
  emo::EmotionWindow w;
  w.index = 2;
  w.start = 60 * kSecond;
  w.end = 64 * kSecond;
  w.stream_start = 160 * kSecond;
  w.timeline = {"happiness", "happiness", "none", "sadness"};
  w.counts = {{"happiness", 2}, {"none", 1}, {"sadness", 1}};
  w.face_share = 0.75;
  w.dominant = "happiness";
  w.frames = 100;
  w.face_frames = 70;
  w.unsure_frames = 12;
  w.closed_by = emo::WindowEnd::Eos;
  return w;
}

std::string temp_file(const std::string &name, const std::string &content) {
  static const std::string dir = [] {
    gchar *d = g_dir_make_tmp("emo-session-XXXXXX", nullptr);
    std::string s = d;
    g_free(d);
    return s;
  }();
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<std::string> read_lines(const std::string &path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(SessionPrompt, LanguagesResolveToABuiltInOne) {
  bool known = false;
  EXPECT_EQ(emo::resolve_language("es", &known), "es");
  EXPECT_TRUE(known);
  EXPECT_EQ(emo::resolve_language("EN-gb", &known), "en");
  EXPECT_TRUE(known);
  EXPECT_EQ(emo::resolve_language("es_MX", &known), "es");
  EXPECT_EQ(emo::resolve_language("fr", &known), "en");
  EXPECT_FALSE(known);
  EXPECT_EQ(emo::resolve_language("", &known), "en");
  EXPECT_FALSE(known);
}

TEST(SessionPrompt, BuiltInPromptsHoldTheRoleTheContextAndTheTimeline) {
  emo::PromptSettings settings;
  settings.context = "my new job";
  settings.language = "es";
  const emo::Prompt es = emo::build_prompt(sample_window(), settings);
  EXPECT_NE(es.system_instruction.find("asistente empático"), std::string::npos);
  EXPECT_NE(es.user_text.find("my new job"), std::string::npos);
  EXPECT_NE(es.user_text.find("happiness, happiness, none, sadness"), std::string::npos);
  EXPECT_NE(es.user_text.find("happiness: 2, none: 1, sadness: 1"), std::string::npos);
  EXPECT_NE(es.user_text.find("75 %"), std::string::npos);
  EXPECT_NE(es.user_text.find("durante 4 s"), std::string::npos);

  settings.language = "en";
  settings.context.clear();
  const emo::Prompt en = emo::build_prompt(sample_window(), settings);
  EXPECT_NE(en.system_instruction.find("empathetic assistant"), std::string::npos);
  EXPECT_NE(en.user_text.find("(none given)"), std::string::npos);
  EXPECT_NE(en.user_text.find("Dominant emotion: happiness"), std::string::npos);

  settings.language = "xx";  // unknown: English
  EXPECT_EQ(emo::build_prompt(sample_window(), settings).system_instruction, en.system_instruction);
}

TEST(SessionPrompt, TemplateFileWithSystemPartAndPlaceholders) {
  const std::string path =
      temp_file("template.txt",
                "Be kind. Topic: {context}\n---\nT={timeline} | C={counts} | D={dominant} | "
                "F={face_share} | {duration}s/{sample_interval}s x{samples} {{literal}}\n");
  emo::PromptSettings settings;
  settings.context = "exams {timeline}";  // the context is never expanded
  settings.template_text = emo::load_prompt_template(path);
  const emo::Prompt p = emo::build_prompt(sample_window(), settings);
  EXPECT_EQ(p.system_instruction, "Be kind. Topic: exams {timeline}");
  EXPECT_EQ(p.user_text,
            "T=happiness, happiness, none, sadness | C=happiness: 2, none: 1, sadness: 1 | "
            "D=happiness | F=75 | 4s/1s x4 {literal}\n");

  // Without a "---" line the whole file is the user text; the built-in role stays.
  settings.template_text = emo::load_prompt_template(temp_file("user-only.txt", "Just {dominant}"));
  settings.language = "en";
  const emo::Prompt u = emo::build_prompt(sample_window(), settings);
  EXPECT_EQ(u.user_text, "Just happiness");
  EXPECT_NE(u.system_instruction.find("empathetic"), std::string::npos);
}

TEST(SessionPrompt, BadTemplatesGiveClearErrors) {
  auto message_of = [](const std::string &path) {
    try {
      emo::load_prompt_template(path);
    } catch (const std::runtime_error &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of(temp_file("bad.txt", "Hi {mood}")).find("{mood}"), std::string::npos);
  EXPECT_NE(message_of(temp_file("open.txt", "Hi {context")).find("unmatched"), std::string::npos);
  EXPECT_NE(message_of(temp_file("empty.txt", "role\n---\n \n")).find("no user text"),
            std::string::npos);
  EXPECT_NE(message_of(temp_file("latin1.txt", "caf\xe9 {context}")).find("UTF-8"),
            std::string::npos);
  const std::string missing = "/nonexistent/dir/template.txt";
  EXPECT_NE(message_of(missing).find(missing), std::string::npos);
}

emo::WindowRecord sample_record() {
  emo::WindowRecord r;
  r.session = "0b0e6f3a-1111-4222-8333-444455556666";
  r.window = sample_window();
  r.context = "café \"quotes\"\nnew line";
  r.language = "es";
  r.model = "gemini-2.5-flash";
  r.prompt = emo::build_prompt(r.window, emo::PromptSettings{"es", r.context, ""});
  return r;
}

TEST(SessionRecord, JsonIsOneLineAndRoundTrips) {
  emo::WindowRecord r = sample_record();
  r.analysis.state = "failed";
  r.analysis.detail = "retries exhausted after 3 attempts: 503";
  r.analysis.http_status = 503;
  r.analysis.error_status = "UNAVAILABLE";
  r.analysis.attempts = 3;
  const std::string line = emo::record_to_json(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("\"retryable\":true"), std::string::npos);
  EXPECT_NE(line.find("\"start\":60000000000"), std::string::npos);
  std::string error;
  const std::optional<emo::WindowRecord> back = emo::record_from_json(line, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->session, r.session);
  EXPECT_EQ(back->window.index, 2u);
  EXPECT_EQ(back->window.end, 64 * kSecond);
  EXPECT_EQ(back->window.stream_start, 160 * kSecond);
  EXPECT_EQ(back->window.timeline, r.window.timeline);
  EXPECT_EQ(back->window.counts, r.window.counts);
  EXPECT_DOUBLE_EQ(back->window.face_share, 0.75);
  EXPECT_EQ(back->window.unsure_frames, 12);
  EXPECT_EQ(back->window.closed_by, emo::WindowEnd::Eos);
  // A line written before the gate (no "unsure_frames") still reads, with 0.
  std::string old = line;
  const size_t at = old.find(",\"unsure_frames\":12");
  ASSERT_NE(at, std::string::npos);
  old.erase(at, std::string(",\"unsure_frames\":12").size());
  const std::optional<emo::WindowRecord> older = emo::record_from_json(old, &error);
  ASSERT_TRUE(older) << error;
  EXPECT_EQ(older->window.unsure_frames, 0);
  EXPECT_EQ(back->context, r.context);
  EXPECT_EQ(back->prompt.user_text, r.prompt.user_text);
  EXPECT_EQ(back->analysis.state, "failed");
  EXPECT_EQ(back->analysis.http_status, 503);
  EXPECT_EQ(back->analysis.attempts, 3);
}

// A large context is stored once per line: the prompt texts hold the pieces around it.
TEST(SessionRecord, TheContextIsStoredOncePerLine) {
  emo::WindowRecord r = sample_record();
  r.context = std::string(200 * 1024, 'x') + " é";
  // A template that quotes the context twice, in the system instruction and the user text.
  r.prompt = emo::build_prompt(
      r.window,
      emo::PromptSettings{"en", r.context, "About {context}.\n---\n{context} / {context}"});
  ASSERT_GT(r.prompt.user_text.size(), 2 * r.context.size());
  const std::string line = emo::record_to_json(r);
  EXPECT_LT(line.size(), r.context.size() + 4096);
  const std::optional<emo::WindowRecord> back = emo::record_from_json(line, nullptr);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->prompt.user_text, r.prompt.user_text);
  EXPECT_EQ(back->prompt.system_instruction, r.prompt.system_instruction);
  // Without a context the texts are one piece each; lines of the old layout still read.
  r.context.clear();
  r.prompt = emo::build_prompt(r.window, emo::PromptSettings{"es", "", ""});
  const std::optional<emo::WindowRecord> empty =
      emo::record_from_json(emo::record_to_json(r), nullptr);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->prompt.user_text, r.prompt.user_text);
  std::string old = emo::record_to_json(r);
  const auto at = old.find("\"prompt\":{");
  const auto end = old.find('}', at);
  old.replace(at, end - at + 1, "\"prompt\":{\"system_instruction\":\"S\",\"user_text\":\"U\"}");
  const std::optional<emo::WindowRecord> legacy = emo::record_from_json(old, nullptr);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->prompt.user_text, "U");
  EXPECT_EQ(legacy->prompt.system_instruction, "S");
}

TEST(SessionRecord, ContextsAreCutAtACharacterBoundary) {
  EXPECT_EQ(emo::truncate_utf8("abc", 16), "abc");
  EXPECT_EQ(emo::truncate_utf8("abc", 2), "ab");
  const std::string text = "a\u00e9\u20ac\U0001F600";  // 1 + 2 + 3 + 4 bytes
  ASSERT_EQ(text.size(), 10u);
  const char *want[] = {"",
                        "a",
                        "a",
                        "a\u00e9",
                        "a\u00e9",
                        "a\u00e9",
                        "a\u00e9\u20ac",
                        "a\u00e9\u20ac",
                        "a\u00e9\u20ac",
                        "a\u00e9\u20ac",
                        text.c_str()};
  for (std::size_t n = 0; n <= 10; ++n) {
    const std::string cut = emo::truncate_utf8(text, n);
    EXPECT_EQ(cut, want[n]) << n;
    EXPECT_TRUE(g_utf8_validate(cut.c_str(), static_cast<gssize>(cut.size()), nullptr)) << n;
  }
}

TEST(SessionRecord, RetryableStates) {
  emo::Analysis a;
  EXPECT_TRUE(a.retryable());  // pending
  for (const char *s : {"skipped", "cancelled"}) {
    a.state = s;
    EXPECT_TRUE(a.retryable()) << s;
  }
  for (const char *s : {"ok", "blocked", "truncated"}) {
    a.state = s;
    EXPECT_FALSE(a.retryable()) << s;
  }
  a.state = "failed";
  for (int status : {0, 429, 500, 503, 504}) {
    a.http_status = status;
    EXPECT_TRUE(a.retryable()) << status;
  }
  for (int status : {400, 403, 404, 200}) {
    a.http_status = status;
    EXPECT_FALSE(a.retryable()) << status;
  }
}

TEST(SessionRecord, ReplaceAnalysisKeepsEveryOtherMember) {
  std::string line = emo::record_to_json(sample_record());
  line.insert(1, "\"extra\":[1,2],");
  emo::Analysis ok;
  ok.state = "ok";
  ok.text = "Suena a que el trabajo nuevo te ilusiona.";
  ok.http_status = 200;
  ok.attempts = 1;
  const std::string updated = emo::replace_analysis(line, ok);
  EXPECT_NE(updated.find("\"extra\":[1,2]"), std::string::npos);
  std::string error;
  const std::optional<emo::WindowRecord> r = emo::record_from_json(updated, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->analysis.state, "ok");
  EXPECT_EQ(r->analysis.text, ok.text);
  EXPECT_EQ(r->window.timeline, sample_window().timeline);
  EXPECT_THROW(emo::replace_analysis("[1]", ok), std::runtime_error);
}

TEST(SessionRecord, MalformedLinesAreReportedNotFatal) {
  std::string error;
  EXPECT_FALSE(emo::record_from_json("{\"session\": ", &error));
  EXPECT_NE(error.find("malformed"), std::string::npos);
  EXPECT_FALSE(emo::record_from_json("{\"session\": \"s\"}", &error));
  EXPECT_NE(error.find("index"), std::string::npos);
  std::string line = emo::record_to_json(sample_record());
  line.replace(line.find("\"timeline\":["), 12, "\"timeline\":[3,");
  EXPECT_FALSE(emo::record_from_json(line, &error));
  EXPECT_NE(error.find("timeline"), std::string::npos);
}

TEST(SessionJsonLines, AppendsWholeLinesAndEndsACutLineFirst) {
  const std::string path = temp_file("out.jsonl", "{\"earlier\":1}\n{\"cut\":");
  {
    emo::JsonLinesWriter writer(path);
    writer.write_line("{\"a\":1}");
    writer.write_line(emo::record_to_json(sample_record()));
    EXPECT_THROW(writer.write_line("{\"a\":\n1}"), std::invalid_argument);
  }
  {
    emo::JsonLinesWriter again(path);  // appends, never truncates
    again.write_line("{\"b\":2}");
  }
  const std::vector<std::string> lines = read_lines(path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "{\"earlier\":1}");
  EXPECT_EQ(lines[1], "{\"cut\":");
  EXPECT_EQ(lines[2], "{\"a\":1}");
  EXPECT_TRUE(emo::record_from_json(lines[3], nullptr));
  EXPECT_EQ(lines[4], "{\"b\":2}");
}

TEST(SessionJsonLines, UnwritablePathIsNamedInTheError) {
  const std::string path = "/nonexistent/dir/out.jsonl";
  try {
    emo::JsonLinesWriter writer(path);
    FAIL() << "opened " << path;
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
  }
}

}  // namespace
