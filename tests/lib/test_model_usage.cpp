// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of emo::ModelUse / emo::model_usage: copies loaded and users of each model file.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "emo/core/model_usage.hpp"
#include "test_data.hpp"

namespace {

TEST(ModelUsage, CountsCopiesAndUsersPerFileWhileTheyLive) {
  const auto dir = emo::test::temp_dir("model-usage");
  const std::string a = (dir / "a.onnx").string(), b = (dir / "b.dat").string();
  const int shared = 0, own1 = 0, own2 = 0;  // addresses standing for loaded copies
  {
    emo::ModelUse u1(a, &shared), u2(a, &shared), u3(a, &shared);
    emo::ModelUse v1(b, &own1), v2(b, &own2);
    const emo::ModelUsage ua = emo::model_usage(a), ub = emo::model_usage(b);
    EXPECT_EQ(ua.loaded, 1);
    EXPECT_EQ(ua.users, 3);
    EXPECT_EQ(ub.loaded, 2);
    EXPECT_EQ(ub.users, 2);
    // The same file through another spelling is the same row.
    const emo::ModelUsage dotted = emo::model_usage((dir / "." / "a.onnx").string());
    EXPECT_EQ(dotted.users, 3);
    {
      auto u4 = std::make_unique<emo::ModelUse>(a, &own1);  // a second copy of a
      EXPECT_EQ(emo::model_usage(a).loaded, 2);
      EXPECT_EQ(emo::model_usage(a).users, 4);
    }
    EXPECT_EQ(emo::model_usage(a).loaded, 1);
    int rows = 0;
    for (const emo::ModelUsage &row : emo::model_usage())
      if (row.path == ua.path || row.path == ub.path) ++rows;
    EXPECT_EQ(rows, 2);
  }
  EXPECT_EQ(emo::model_usage(a).users, 0);
  EXPECT_EQ(emo::model_usage(b).loaded, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

// A cache that counts its own sharing (the ONNX Runtime sessions) overrides the registered
// figures of the same file, whatever its spelling, and adds its other files.
TEST(ModelUsage, RowsOfACacheReplaceTheRegisteredRowsOfTheSameFile) {
  const auto dir = emo::test::temp_dir("model-usage-merge");
  const std::string net = (dir / "net.onnx").string(), dat = (dir / "lm.dat").string();
  const std::vector<emo::ModelUsage> registered = {{net, 3, 3}, {dat, 1, 3}};
  const std::vector<emo::ModelUsage> rows = emo::detail::merge_usage(
      registered, {{(dir / "." / "net.onnx").string(), 1, 3}, {(dir / "cnn.onnx").string(), 1, 2}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].path, (dir / "cnn.onnx").string());  // sorted by path
  EXPECT_EQ(rows[0].users, 2);
  EXPECT_EQ(rows[1].path, dat);
  EXPECT_EQ(rows[1].loaded, 1);
  EXPECT_EQ(rows[2].path, net);
  EXPECT_EQ(rows[2].loaded, 1);  // the cache's figure, not the 3 registered copies
  EXPECT_EQ(rows[2].users, 3);
  std::filesystem::remove_all(dir);
}

}  // namespace
