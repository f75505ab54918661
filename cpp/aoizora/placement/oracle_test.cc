#include "aoizora/placement/oracle.h"

#include <gtest/gtest.h>

namespace aoizora::placement {
namespace {

TEST(OracleTest, CountsAllPermutationsAndOrbits) {
  auto grid = PhysicalGrid::Create({2, 4}, {false, false});
  ASSERT_TRUE(grid.ok());
  auto all = EnumerateAllPlacements(*grid);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total_count, 40320);
  EXPECT_EQ(all->reduced_count, 40320 / 4);  // 4 reflections act freely
  EXPECT_EQ(static_cast<int64_t>(all->orders.size()), all->reduced_count * 8);
  auto cube = PhysicalGrid::Create({2, 2, 2}, {false, false, false});
  auto cube_all = EnumerateAllPlacements(*cube);
  ASSERT_TRUE(cube_all.ok());
  EXPECT_EQ(cube_all->reduced_count, 40320 / 48);
  auto unreduced = EnumerateAllPlacements(*cube, /*reduce_symmetry=*/false);
  EXPECT_EQ(unreduced->reduced_count, 40320);
}

TEST(OracleTest, RefusesLargeSlices) {
  auto grid = PhysicalGrid::Create({4, 4}, {false, false});
  auto all = EnumerateAllPlacements(*grid);
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.error().message().find("has 16"), std::string::npos);
}

}  // namespace
}  // namespace aoizora::placement
