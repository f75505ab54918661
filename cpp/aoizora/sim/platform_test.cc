#include "aoizora/sim/platform.h"

#include <gtest/gtest.h>

#include <set>

#include "aoizora/topology/links.h"

namespace aoizora::sim {
namespace {

Topology Slice(const char* spec) { return ParseSliceSpec(spec).value(); }

TEST(PlatformTest, OneLinkPerIciLinkAndDirection) {
  // v5e:2x4, open: x has 1 link per row (4 rows), y 3 per column (2 columns), both directions.
  EXPECT_EQ(Platform(Slice("v5e:2x4")).links().size(), 2u * (4 * 1 + 2 * 3));
  EXPECT_EQ(Platform(Slice("v5e:4x4")).links().size(), 2u * (4 * 3 + 4 * 3));
  // v5p:2x4x4 is open (not every dimension a multiple of 4): 16 x-lines of 1, 8 y- and 8
  // z-lines of 3.
  EXPECT_EQ(Platform(Slice("v5p:2x4x4")).links().size(), 2u * (16 * 1 + 8 * 3 + 8 * 3));
  // v5p:4x4x4 wraps every axis: 64 chips x 3 axes x 2 directions.
  EXPECT_EQ(Platform(Slice("v5p:4x4x4")).links().size(), 64u * 3 * 2);
  EXPECT_EQ(Platform(Slice("v5e:2x4")).num_hosts(), 8);
}

TEST(PlatformTest, LinkParametersAreTheChipSpecs) {
  const Topology t = Slice("v5e:4x4");
  const Platform platform(t);
  for (const PlatformLink& link : platform.links()) {
    EXPECT_DOUBLE_EQ(link.bandwidth_bytes_per_second, t.chip().ici_link_one_way.bytes_per_second);
    EXPECT_DOUBLE_EQ(link.latency_seconds, t.chip().ici_hop_latency.value);
  }
}

TEST(PlatformTest, BothCoresOfATpu7xChipShareItsLinks) {
  const Topology t = Slice("tpu7x:2x2x2");
  const Platform p(t);
  // 8 chips, open axes of 2: 4 lines of 1 link per axis and direction, plus one die-to-die link
  // per chip and direction.
  EXPECT_EQ(p.links().size(), 3u * 4 * 2 + 8 * 2);
  EXPECT_EQ(p.num_hosts(), 16);
  // Core 0 and core 1 of chip (0,0,0) (devices 0 and 1) leave along +x over one link.
  const int32_t core0 = p.LinkOfSlot(LinkIndex({0, 1, true}));
  const int32_t core1 = p.LinkOfSlot(LinkIndex({1, 1, true}));
  ASSERT_GE(core0, 0);
  EXPECT_EQ(core0, core1);
  const int32_t d2d = p.LinkOfSlot(LinkIndex({0, kCoreAxis, true}));
  ASSERT_GE(d2d, 0);
  EXPECT_NE(d2d, core0);
  EXPECT_DOUBLE_EQ(p.links()[static_cast<size_t>(d2d)].bandwidth_bytes_per_second,
                   t.chip().die_to_die_one_way.bytes_per_second);
}

TEST(PlatformTest, RoutesAreDimensionOrderWithHopCountLinks) {
  for (const char* spec : {"v5e:4x4", "v5p:4x4x4", "tpu7x:2x2x2"}) {
    const Topology t = Slice(spec);
    const Platform p(t);
    for (int64_t s = 0; s < t.num_devices(); ++s) {
      for (int64_t d = 0; d < t.num_devices(); ++d) {
        const std::vector<int32_t> route = p.RouteLinks(s, d);
        ASSERT_EQ(static_cast<int64_t>(route.size()), HopCount(t, s, d)) << spec << s << d;
        std::set<int32_t> distinct(route.begin(), route.end());
        EXPECT_EQ(distinct.size(), route.size()) << "a route crosses a link twice";
      }
    }
  }
}

TEST(PlatformTest, WraparoundExactlyWhereTheSliceHasIt) {
  // x from 0 to 3: one hop the short way round on the 4x4x4 torus, three on the open 2x4x4's y.
  const Topology torus = Slice("v5p:4x4x4");
  EXPECT_EQ(Platform(torus).RouteLinks(0, torus.DeviceId({3, 0, 0})).size(), 1u);
  const Topology open = Slice("v5p:2x4x4");
  EXPECT_EQ(Platform(open).RouteLinks(0, open.DeviceId({0, 3, 0})).size(), 3u);
  // The wrap link exists on the torus only.
  EXPECT_GE(Platform(torus).LinkOfSlot(LinkIndex({0, 1, false})), 0);
  EXPECT_EQ(Platform(open).LinkOfSlot(LinkIndex({0, 2, false})), -1);
}

TEST(PlatformTest, RunLinksFollowTheRunAroundTheRing) {
  const Topology t = Slice("v5p:4x4x4");
  const Platform p(t);
  const LinkRun full{0, 1, 4, 1.0};  // once round the x ring
  const std::vector<int32_t> links = p.RunLinks(full);
  EXPECT_EQ(std::set<int32_t>(links.begin(), links.end()).size(), 4u);
  EXPECT_EQ(p.RunTarget(full), 0);
  EXPECT_EQ(p.RunTarget({0, 1, -1, 1.0}), t.DeviceId({3, 0, 0}));
}

}  // namespace
}  // namespace aoizora::sim
