#include "aoizora/topology/links.h"

#include <gtest/gtest.h>

#include <set>

namespace aoizora {
namespace {

Topology MustParse(std::string_view spec) { return *ParseSliceSpec(spec); }

int64_t CountIciLinks(const Topology& topo) {
  int64_t n = 0;
  for (const Link& link : AllLinks(topo)) n += link.axis != kCoreAxis;
  return n;
}

TEST(Links, CountsFollowWraparound) {
  // Open 2x4: x has 1 link per row (4 rows), y has 3 per column (2 columns); both directions.
  EXPECT_EQ(CountIciLinks(MustParse("v5e:2x4")), 2 * (4 * 1 + 2 * 3));
  // 16x16 torus: every chip has 4 outgoing links.
  EXPECT_EQ(CountIciLinks(MustParse("v5e:16x16")), 256 * 4);
  // 8x16: x open (7 per row, 16 rows), y wrapped (16 per column, 8 columns).
  EXPECT_EQ(CountIciLinks(MustParse("v6e:8x16")), 2 * (16 * 7 + 8 * 16));
  // 4x4x4 torus: 6 per chip.
  EXPECT_EQ(CountIciLinks(MustParse("v4:4x4x4")), 64 * 6);
  // tpu7x adds one die-to-die link each way per chip.
  const Topology tpu7x = MustParse("tpu7x:2x2x1");
  EXPECT_EQ(AllLinks(tpu7x).size() - CountIciLinks(tpu7x), 2u * 4u);
}

TEST(Links, NeighborsOnOpenAndWrappedAxes) {
  const Topology open = MustParse("v5e:4x4");
  EXPECT_EQ(Neighbors(open, 0).size(), 2u);  // corner
  EXPECT_EQ(Neighbors(open, 5).size(), 4u);  // interior
  const Topology torus = MustParse("v5e:16x16");
  const std::vector<int64_t> list = Neighbors(torus, 0);
  std::set<int64_t> n(list.begin(), list.end());
  EXPECT_EQ(list.size(), 4u);
  EXPECT_EQ(n, (std::set<int64_t>{1, 15, 16, 240}));
}

TEST(Links, DimensionOrderRoutesTakeTheShortWayOnlyWhereWrapped) {
  const Topology open = MustParse("v5e:4x4");
  // (0,0) -> (3,3): 6 hops, x first then y.
  const std::vector<Link> route = Route(open, 0, open.DeviceId({3, 3, 0}));
  ASSERT_EQ(route.size(), 6u);
  EXPECT_EQ(route[0], (Link{0, 1, true}));
  EXPECT_EQ(route[2], (Link{2, 1, true}));
  EXPECT_EQ(route[3], (Link{3, 2, true}));
  EXPECT_EQ(LinkTarget(open, route.back()), 15);

  const Topology torus = MustParse("v5e:16x16");
  // x 0 -> 15 is one hop the negative way round.
  EXPECT_EQ(HopCount(torus, 0, 15), 1);
  EXPECT_EQ(Route(torus, 0, 15), (std::vector<Link>{{0, 1, false}}));
  EXPECT_EQ(HopCount(torus, 0, torus.DeviceId({8, 8, 0})), 16);
  EXPECT_EQ(HopCount(open, 0, 15), 6);
  // 8x16: y wraps, x does not.
  const Topology mixed = MustParse("v6e:8x16");
  EXPECT_EQ(HopCount(mixed, mixed.DeviceId({0, 0, 0}), mixed.DeviceId({7, 15, 0})), 7 + 1);
  // tpu7x: the other core of the same chip is one die-to-die hop.
  const Topology tpu7x = MustParse("tpu7x:2x2x1");
  EXPECT_EQ(Route(tpu7x, 0, 1), (std::vector<Link>{{0, kCoreAxis, true}}));
  EXPECT_EQ(HopCount(tpu7x, 1, 6), 1 + 2);
}

TEST(Links, LinkIndexRoundTrips) {
  const Topology topo = MustParse("v5p:2x2x2");
  for (const Link& link : AllLinks(topo)) {
    EXPECT_EQ(LinkFromIndex(LinkIndex(link)), link);
    EXPECT_LT(LinkIndex(link), NumLinkSlots(topo));
  }
  EXPECT_EQ(LinkName(topo, {0, 1, true}), "(0,0,0)->(1,0,0) +x");
}

}  // namespace
}  // namespace aoizora
