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
