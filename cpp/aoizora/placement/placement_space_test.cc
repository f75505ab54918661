#include "aoizora/placement/placement_space.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "aoizora/placement/mesh_shape.h"
#include "aoizora/placement/symmetry.h"

namespace aoizora::placement {
namespace {

PhysicalGrid Grid(std::vector<int64_t> dims, std::vector<bool> wrap) {
  auto grid = PhysicalGrid::Create(std::move(dims), std::move(wrap));
  EXPECT_TRUE(grid.ok());
  return *grid;
}

PlacementSpace Space(const PhysicalGrid& grid, std::vector<int64_t> mesh,
                     PlacementSpaceOptions options = {}) {
  auto space = PlacementSpace::Enumerate(grid, mesh, options);
  EXPECT_TRUE(space.ok()) << (space.ok() ? "" : space.error().ToString());
  return std::move(space).value();
}

void ExpectBijections(const PlacementSpace& space) {
  for (int64_t i = 0; i < space.size(); ++i) {
    DeviceIds sorted = space.device_ids(i);
    std::sort(sorted.begin(), sorted.end());
    for (int64_t d = 0; d < space.num_devices(); ++d) ASSERT_EQ(sorted[d], d);
  }
}

// Hop sum of a 1-D logical axis laid out as `order`, closing pair included.
int64_t CycleHops(const PhysicalGrid& grid, const DeviceIds& order) {
  int64_t hops = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    hops += grid.HopDistance(order[i], order[(i + 1) % order.size()]);
  }
  return hops;
}

// 4 chips in a 2x2 square, one logical axis of 4: raster and snake/ring in either axis order give
// 6 structures, 4 distinct orders (ring == snake on 2x2), and 2 orbits (the raster path with its
// diagonal jump, and the closed square), which a hand count confirms.
TEST(PlacementSpaceTest, TwoByTwoLineCountedByHand) {
  PhysicalGrid grid = Grid({2, 2}, {false, false});
  PlacementSpace space = Space(grid, {4});
  EXPECT_EQ(space.structured_count(), 6);
  EXPECT_EQ(space.distinct_count(), 4);
  EXPECT_EQ(space.size(), 2);
  ExpectBijections(space);
  std::multiset<int64_t> hops;
  for (int64_t i = 0; i < space.size(); ++i) hops.insert(CycleHops(grid, space.device_ids(i)));
  EXPECT_EQ(hops, (std::multiset<int64_t>{4, 6}));
  int64_t members = 0;
  for (int64_t i = 0; i < space.size(); ++i) members += space.members(i);
  EXPECT_EQ(members, space.distinct_count());
}

// Structured placements all start at the origin, so on 4x4 the reduction comes from the x<->y
// swap (and from structures that are reflections of each other).
TEST(PlacementSpaceTest, WithoutSymmetryEveryDistinctOrderIsKept) {
  PhysicalGrid grid = Grid({4, 4}, {false, false});
  PlacementSpaceOptions options;
  options.reduce_symmetry = false;
  PlacementSpace full = Space(grid, {2, 8}, options);
  PlacementSpace reduced = Space(grid, {2, 8});
  EXPECT_EQ(full.size(), full.distinct_count());
  EXPECT_EQ(reduced.distinct_count(), full.distinct_count());
  EXPECT_LT(reduced.size(), full.size());
  EXPECT_GE(full.structured_count(), full.distinct_count());
  ExpectBijections(full);
  ExpectBijections(reduced);
  // Orbits of the representatives are pairwise distinct.
  SliceSymmetry sym(grid);
  std::set<std::vector<int32_t>> canon;
  std::vector<int32_t> out(16), scratch(16);
  for (int64_t i = 0; i < reduced.size(); ++i) {
    reduced.FillOrder(i, scratch.data());
    std::vector<int32_t> order = scratch;
    sym.Canonicalize(order.data(), out.data(), scratch.data());
    canon.insert(out);
  }
  EXPECT_EQ(static_cast<int64_t>(canon.size()), reduced.size());
}

// Mesh (2,4) on 2x4: the space must hold the natural placement (size-2 axis along x, adjacent
// pairs; size-4 axis along y) and the closed 8-ring for a 1-D mesh.
TEST(PlacementSpaceTest, ContainsTheNaturalPlacements) {
  PhysicalGrid grid = Grid({2, 4}, {false, false});
  PlacementSpace space = Space(grid, {2, 4});
  bool adjacent_pairs = false;
  for (int64_t i = 0; i < space.size(); ++i) {
    const DeviceIds order = space.device_ids(i);
    bool all = true;
    for (int64_t c = 0; c < 4; ++c) all = all && grid.HopDistance(order[c], order[4 + c]) == 1;
    adjacent_pairs = adjacent_pairs || all;
  }
  EXPECT_TRUE(adjacent_pairs);
  PlacementSpace line = Space(grid, {8});
  int64_t best = 1 << 20;
  for (int64_t i = 0; i < line.size(); ++i) {
    best = std::min(best, CycleHops(grid, line.device_ids(i)));
  }
  EXPECT_EQ(best, 8);  // a Hamiltonian ring on 2x4
}

TEST(PlacementSpaceTest, StructureRebuildsItsOrder) {
  PhysicalGrid grid = Grid({4, 4}, {false, false});
  PlacementSpace space = Space(grid, {2, 2, 4});
  ASSERT_GT(space.size(), 0);
  for (int64_t i = 0; i < space.size(); ++i) {
    EXPECT_EQ(BuildDeviceIds(grid, {2, 2, 4}, space.structure(i)), space.device_ids(i));
  }
}

TEST(PlacementSpaceTest, DescriptionNamesSegmentsAndTraversal) {
  PhysicalGrid grid = Grid({4, 4}, {false, false});
  StructuredPlacement sp;
  // cfg takes the minor digit of x (pairs of adjacent chips); sp snakes over y then x's major
  // digit.
  sp.axes.push_back({{{0, 2, 1, 4}}, Traversal::kRaster});
  sp.axes.push_back({{{1, 4, 1, 4}, {0, 2, 2, 4}}, Traversal::kSnake});
  EXPECT_EQ(DescribePlacement(grid, sp, {"cfg", "sp"}), "cfg=x2@1 | sp=y4,x2@2 snake");
  const DeviceIds order = BuildDeviceIds(grid, {2, 8}, sp);
  // Logical (0, i) walks y up at x = 0, then y down at x = 2; logical (1, i) is one x step over.
  EXPECT_EQ(order, (DeviceIds{0, 4, 8, 12, 14, 10, 6, 2, 1, 5, 9, 13, 15, 11, 7, 3}));
}

TEST(PlacementSpaceTest, SizeOneAxesAreCarriedAlong) {
  PhysicalGrid grid = Grid({2, 4}, {false, false});
  PlacementSpace a = Space(grid, {1, 8});
  PlacementSpace b = Space(grid, {8});
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.distinct_count(), b.distinct_count());
}

TEST(PlacementSpaceTest, TruncatesAtTheLimit) {
  PlacementSpaceOptions options;
  options.max_classes = 3;
  PlacementSpace space = Space(Grid({4, 4}, {false, false}), {4, 4}, options);
  EXPECT_TRUE(space.truncated());
  EXPECT_EQ(space.size(), 3);
}

TEST(PlacementSpaceTest, BadMeshNamesTheValue) {
  PhysicalGrid grid = Grid({2, 4}, {false, false});
  auto r = PlacementSpace::Enumerate(grid, {2, 3});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("2,3"), std::string::npos) << r.error().message();
  r = PlacementSpace::Enumerate(grid, {0, 8});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("size 0"), std::string::npos) << r.error().message();
}

TEST(PlacementSpaceTest, BadGridNamesTheValue) {
  auto g = PhysicalGrid::Create({4, 0}, {false, false});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message().find("length 0"), std::string::npos);
  g = PhysicalGrid::Create({4, 4}, {false});
  ASSERT_FALSE(g.ok());
}

}  // namespace
}  // namespace aoizora::placement

namespace aoizora::placement {
namespace {

TEST(LogicalMeshShapeTest, CountsDevicesAndSaturatesInsteadOfOverflowing) {
  auto ok = CheckLogicalMeshShape({2, 4, 2}, 16);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->num_devices, 16);
  EXPECT_EQ(ok->text, "2,4,2");
  auto huge = CheckLogicalMeshShape({1 << 30, 1 << 30, 1 << 30}, 16);
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->num_devices, kSaturatedDevices + 1);
  auto bad = CheckLogicalMeshShape({2, 0}, 16);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("axis 1 has size 0"), std::string::npos);
  EXPECT_FALSE(CheckLogicalMeshShape(std::vector<int64_t>(17, 1), 16).ok());
}

}  // namespace
}  // namespace aoizora::placement
