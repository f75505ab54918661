#include "aoizora/util/iota.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

using Groups = std::vector<std::vector<int64_t>>;

TEST(IotaTest, PlainIotaIsIdentity) {
  auto r = ExpandIota({2, 4}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(IotaTest, TransposeWalksColumns) {
  // iota(8) as [2,4] = [[0,1,2,3],[4,5,6,7]]; transposed [4,2] = [[0,4],[1,5],[2,6],[3,7]].
  auto r = ExpandIota({2, 4}, {1, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}));
}

TEST(IotaTest, GroupsOverDataAxisOfA2x4Mesh) {
  // tpu-hardware.md section 7: a collective over 'data' of mesh (2,4) is [4,2]<=[2,4]T(1,0).
  auto r = ParseIotaGroups("[4,2]<=[2,4]T(1,0)");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, (Groups{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  auto model = ParseIotaGroups(" [2, 4] <= [8] ");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(*model, (Groups{{0, 1, 2, 3}, {4, 5, 6, 7}}));
}

TEST(IotaTest, ThreeDimensionalTranspose) {
  // [2,2,2] transposed (2,0,1): out[i][j][k] = in[j][k][i] -> value 4j+2k+i.
  auto r = ExpandIota({2, 2, 2}, {2, 0, 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<int64_t>{0, 2, 4, 6, 1, 3, 5, 7}));
}

TEST(IotaTest, RejectsBadInputWithTheOffendingValue) {
  auto not_perm = ExpandIota({2, 4}, {1, 1});
  ASSERT_FALSE(not_perm.ok());
  EXPECT_NE(not_perm.error().message().find("[1,1]"), std::string::npos);
  auto uncovered = ParseIotaGroups("[3,2]<=[8]");
  ASSERT_FALSE(uncovered.ok());
  EXPECT_NE(uncovered.error().message().find("[3,2]"), std::string::npos);
  auto syntax = ParseIotaGroups("[2,4]<[8]");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message().find("column"), std::string::npos);
  EXPECT_FALSE(ParseIotaGroups("[2,4]<=[0,8]").ok());
  auto huge = ParseIotaGroups("[1,1073741824]<=[32768,32768]");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("too large"), std::string::npos);
}

}  // namespace
}  // namespace aoizora
