// SPDX-License-Identifier: LGPL-2.1-or-later
// Hostile session records and journals: lines nested 100 000 levels deep, times at INT64_MIN /
// INT64_MAX, counts that are strings, arrays or objects. Each is a rejected line with a reason
// (json-glib never sees the deep ones; no signed overflow, no json-glib CRITICAL), and a
// journal's rejected lines are kept beside it, named, when the journal is recovered.
#include <glib.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "emo/gemini/json_limits.hpp"
#include "emo/session/session.hpp"

namespace {

emo::WindowRecord sample(std::uint64_t index) {
  emo::WindowRecord r;
  r.session = "s";
  r.window.index = index;
  r.window.start = 10 * emo::kSecond;
  r.window.end = 20 * emo::kSecond;
  r.window.timeline = {"happiness"};
  r.window.counts = {{"happiness", 1}};
  r.window.dominant = "happiness";
  r.language = "es";
  r.model = "gemini-2.5-flash";
  return r;
}

/* The JSON of `sample(index)` with member `name`'s value (the text up to the next ',' or '}')
 * replaced by `value`. */
std::string with_member(std::uint64_t index, const std::string &name, const std::string &value) {
  std::string line = emo::record_to_json(sample(index));
  const std::string key = "\"" + name + "\":";
  const std::size_t at = line.find(key);
  EXPECT_NE(at, std::string::npos) << name;
  const std::size_t from = at + key.size();
  std::size_t to = from;
  int depth = 0;
  for (; to < line.size(); ++to) {
    const char c = line[to];
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (depth == 0) break;
      --depth;
    }
    if (c == ',' && depth == 0) break;
  }
  return line.replace(from, to - from, value);
}

std::string deep_line() {
  return "{\"session\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
}

// Records json-glib's criticals and warnings instead of printing them.
struct LogCatcher {
  LogCatcher() {
    old = g_log_set_default_handler(
        [](const gchar *, GLogLevelFlags level, const gchar *message, gpointer data) {
          if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
            static_cast<LogCatcher *>(data)->messages.push_back(message);
        },
        this);
  }
  ~LogCatcher() { g_log_set_default_handler(old, nullptr); }
  GLogFunc old;
  std::vector<std::string> messages;
};

TEST(SessionHostile, LineNested100000LevelsIsRejectedWithoutParsing) {
  std::string error;
  EXPECT_FALSE(emo::record_from_json(deep_line(), &error));
  EXPECT_EQ(error, "JSON nested deeper than 64 levels");
  EXPECT_THROW(emo::replace_analysis(deep_line(), emo::Analysis{}), std::runtime_error);
}

TEST(SessionHostile, OutOfRangeTimesAreRejected) {
  const std::string min = std::to_string(std::numeric_limits<std::int64_t>::min());
  const std::string max = std::to_string(std::numeric_limits<std::int64_t>::max());
  std::string line = with_member(0, "start", min);
  line.replace(line.find("\"end\":20000000000"), 17, "\"end\":" + max);
  std::string error;
  EXPECT_FALSE(emo::record_from_json(line, &error)) << line;
  EXPECT_NE(error.find("\"start\""), std::string::npos) << error;
  for (const auto &[name, value] :
       std::vector<std::pair<std::string, std::string>>{{"end", "5"},  // before the start
                                                        {"index", "-1"},
                                                        {"sample_interval", "0"},
                                                        {"stream_start", "-2"},
                                                        {"frames", max},
                                                        {"face_share", "7.5"}}) {
    EXPECT_FALSE(emo::record_from_json(with_member(0, name, value), &error)) << name;
    EXPECT_NE(error.find(name), std::string::npos) << name << ": " << error;
  }
  // The largest valid window is fine, and its duration is computed without overflow.
  std::string wide = with_member(0, "start", "0");
  wide.replace(wide.find("\"end\":20000000000"), 17, "\"end\":" + max);
  auto r = emo::record_from_json(wide, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->window.duration(), std::numeric_limits<std::int64_t>::max());
}

TEST(SessionHostile, CountsMustBeNonNegativeIntegers) {
  LogCatcher logs;
  for (const char *bad : {R"({"happiness":"1"})", R"({"happiness":[1]})",
                                 R"({"happiness":{"n":1}})", R"({"happiness":1.5})",
                                 R"({"happiness":-1})", R"({"happiness":null})"}) {
    std::string error;
    EXPECT_FALSE(emo::record_from_json(with_member(0, "counts", bad), &error)) << bad;
    EXPECT_EQ(error, "counts[\"happiness\"] is not a count (an integer >= 0)") << bad;
  }
  EXPECT_TRUE(logs.messages.empty()) << logs.messages.front();
}

class HostileJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    gchar *d = g_dir_make_tmp("emo-hostile-XXXXXX", nullptr);
    dir_ = d;
    g_free(d);
    location_ = dir_ + "/session.jsonl";
  }
  void TearDown() override {
    for (const std::string &p : {location_, emo::PendingJournal::path_for(location_),
                                 emo::rejected_path_for(location_)})
      ::unlink(p.c_str());
    ::rmdir(dir_.c_str());
  }
  std::vector<std::string> lines(const std::string &path) const {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  std::string dir_, location_;
};

TEST_F(HostileJournal, BadLinesAreNamedAndKeptTheGoodOnesRecovered) {
  const std::string deep = deep_line();
  const std::string overflow = with_member(2, "start", "-9223372036854775808");
  const std::string string_count = with_member(3, "counts", R"({"happiness":"lots"})");
  {
    std::ofstream journal(emo::PendingJournal::path_for(location_));
    journal << emo::record_to_json(sample(0)) << "\n"
            << deep << "\n"
            << overflow << "\n"
            << string_count << "\n"
            << emo::record_to_json(sample(1)) << "\n";
  }
  std::ofstream(location_) << deep << "\n";  // a deep line in the file itself: ignored, kept
  std::vector<emo::RejectedLine> rejected;
  const std::vector<emo::WindowRecord> recovered =
      emo::recover_pending_journal(location_, true, &rejected);
  ASSERT_EQ(recovered.size(), 2u);
  EXPECT_EQ(recovered[0].window.index, 0u);
  EXPECT_EQ(recovered[1].window.index, 1u);
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_EQ(rejected[0].line, 2u);
  EXPECT_EQ(rejected[0].error, "JSON nested deeper than 64 levels");
  EXPECT_EQ(rejected[1].line, 3u);
  EXPECT_NE(rejected[1].error.find("\"start\""), std::string::npos) << rejected[1].error;
  EXPECT_EQ(rejected[2].line, 4u);
  EXPECT_NE(rejected[2].error.find("counts"), std::string::npos) << rejected[2].error;
  EXPECT_FALSE(::access(emo::PendingJournal::path_for(location_).c_str(), F_OK) == 0);
  // Nothing is lost: the bad lines, as they were, beside the file.
  EXPECT_EQ(lines(emo::rejected_path_for(location_)),
            (std::vector<std::string>{deep, overflow, string_count}));
  const std::vector<std::string> file = lines(location_);
  ASSERT_EQ(file.size(), 3u);
  EXPECT_EQ(file[0], deep);
}

}  // namespace
