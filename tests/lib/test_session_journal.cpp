// SPDX-License-Identifier: LGPL-2.1-or-later
// emo::PendingJournal and recover_pending_journal(): the windows of a killed emosession run.
#include <glib.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "emo/session/session.hpp"

namespace {

class Journal : public ::testing::Test {
 protected:
  void SetUp() override {
    gchar *d = g_dir_make_tmp("emo-journal-XXXXXX", nullptr);
    dir_ = d;
    g_free(d);
    location_ = dir_ + "/session.jsonl";
  }
  void TearDown() override {
    ::unlink(location_.c_str());
    ::unlink(emo::PendingJournal::path_for(location_).c_str());
    ::rmdir(dir_.c_str());
  }

  static emo::WindowRecord record(const std::string &session, std::uint64_t index) {
    emo::WindowRecord r;
    r.session = session;
    r.window.index = index;
    r.window.start = static_cast<std::int64_t>(index) * 30 * emo::kSecond;
    r.window.end = r.window.start + 30 * emo::kSecond;
    r.window.sample_interval = emo::kSecond;
    r.window.timeline = {"happiness", "none"};
    r.window.counts = {{"happiness", 1}, {"none", 1}};
    r.window.dominant = "happiness";
    r.context = "la cena";
    r.language = "es";
    r.model = "gemini-2.5-flash";
    r.prompt = {"system", "user " + std::to_string(index)};
    return r;
  }
  std::vector<emo::WindowRecord> records(const std::string &path) const {
    std::vector<emo::WindowRecord> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      std::string error;
      auto r = emo::record_from_json(line, &error);
      EXPECT_TRUE(r) << path << ": " << error << ": " << line;
      if (r) out.push_back(*r);
    }
    return out;
  }
  bool exists(const std::string &path) const { return ::access(path.c_str(), F_OK) == 0; }

  std::string dir_, location_;
};

TEST_F(Journal, RecoversTheWindowsMissingFromTheFileAsPending) {
  {
    emo::PendingJournal journal(location_);
    for (std::uint64_t i = 0; i < 3; ++i) journal.add(record("s1", i));
    emo::WindowRecord answered = record("s1", 1);
    answered.analysis.state = "ok";
    answered.analysis.text = "Bien.";
    emo::JsonLinesWriter(location_).write_line(emo::record_to_json(answered));
  }  // no discard(): as after a SIGKILL
  const std::string journal = emo::PendingJournal::path_for(location_);
  ASSERT_TRUE(exists(journal));
  { std::ofstream(journal, std::ios::app) << "{\"session\": \"s1\", \"ind"; }  // cut by the kill

  const std::vector<emo::WindowRecord> listed = emo::recover_pending_journal(location_, false);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(records(location_).size(), 1u) << "apply=false wrote";
  EXPECT_TRUE(exists(journal));

  const std::vector<emo::WindowRecord> moved = emo::recover_pending_journal(location_);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_FALSE(exists(journal));
  const std::vector<emo::WindowRecord> stored = records(location_);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].window.index, 1u);
  EXPECT_EQ(stored[0].analysis.state, "ok");
  for (std::size_t i : {1u, 2u}) {
    EXPECT_EQ(stored[i].window.index, i == 1 ? 0u : 2u);
    EXPECT_EQ(stored[i].analysis.state, "pending");
    EXPECT_TRUE(stored[i].analysis.retryable());
    EXPECT_NE(stored[i].analysis.detail.find("ended before"), std::string::npos);
    EXPECT_EQ(stored[i].prompt.user_text, "user " + std::to_string(stored[i].window.index));
    EXPECT_EQ(stored[i].window.timeline, record("s1", 0).window.timeline);
  }
  EXPECT_TRUE(emo::recover_pending_journal(location_).empty()) << "recovered twice";
  EXPECT_EQ(records(location_).size(), 3u);
}

TEST_F(Journal, SameIndexOfAnotherSessionIsNotTakenForStored) {
  emo::JsonLinesWriter(location_).write_line(emo::record_to_json(record("old", 0)));
  { emo::PendingJournal(location_).add(record("new", 0)); }
  const std::vector<emo::WindowRecord> moved = emo::recover_pending_journal(location_);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].session, "new");
}

TEST_F(Journal, ALiveJournalIsLeftAloneAndCannotBeOpenedTwice) {
  emo::PendingJournal journal(location_);
  journal.add(record("s1", 0));
  EXPECT_TRUE(emo::recover_pending_journal(location_).empty());
  EXPECT_FALSE(exists(location_));
  EXPECT_THROW(emo::PendingJournal second(location_), std::runtime_error);
  /* Another process sees the lock too, and gets it once this one is gone. */
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(emo::recover_pending_journal(location_).empty() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(Journal, DiscardRemovesTheFileAndUnlocks) {
  {
    emo::PendingJournal journal(location_);
    journal.add(record("s1", 0));
    journal.discard();
    EXPECT_FALSE(exists(journal.path()));
  }
  EXPECT_TRUE(emo::recover_pending_journal(location_).empty());
  EXPECT_NO_THROW(emo::PendingJournal again(location_));
}

TEST_F(Journal, NoJournalNothingToRecover) {
  EXPECT_TRUE(emo::recover_pending_journal(location_).empty());
  EXPECT_FALSE(exists(location_));
}

TEST_F(Journal, AnUnwritableDirectoryIsAnError) {
  EXPECT_THROW(emo::PendingJournal(dir_ + "/missing-dir/session.jsonl"), std::runtime_error);
}

}  // namespace
