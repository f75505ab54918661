#include "aoizora/planner/q1_bound.h"

#include <gtest/gtest.h>

namespace aoizora {
namespace {

const ChipSpec& V5e() { return GetChipSpec(Generation::kV5e); }

PrecompileMatmul Dot(double flops, int64_t k, int64_t n) {
  PrecompileMatmul mm;
  mm.name = "dot";
  mm.flops_global = flops;
  mm.flops_per_device = flops;
  mm.dims = MatmulDims{1, 1024, n, k};
  return mm;
}

TEST(Q1BoundTest, ComputeUsesTheClassEfficiencyOfEachDot) {
  PrecompileAnalysis a;
  a.num_devices = 8;
  a.matmuls = {Dot(1e12, 4096, 4096), Dot(1e12, 128, 4096)};
  auto q1 = ComputeQ1(a, V5e());
  ASSERT_TRUE(q1.ok()) << q1.error().ToString();
  const double peak = V5e().bf16_peak.flops_per_second;
  const double expected =
      1e12 / (peak * V5e().matmul_efficiency) + 1e12 / (peak * V5e().attention_efficiency);
  EXPECT_DOUBLE_EQ(q1->compute_seconds, expected);
  EXPECT_DOUBLE_EQ(q1->seconds, expected);  // no collectives: compute decides
}

TEST(Q1BoundTest, AllGatherNeedsItsBytesOverEveryLinkOfTheChip) {
  PrecompileAnalysis a;
  a.num_devices = 4;
  PrecompileCollective ag;
  ag.collective.kind = CollectiveKind::kAllGather;
  ag.collective.array_bytes = 4e8;
  ag.collective.groups = {{0, 1, 2, 3}};
  ag.count = 10;
  a.collectives = {ag};
  auto q1 = ComputeQ1(a, V5e());
  ASSERT_TRUE(q1.ok());
  const ChipSpec& c = V5e();
  // Each device receives 3/4 of 400 MB over at most 4 links of W_1 each, ten times; one
  // collective's latency is certain (XLA may combine the rest).
  const double bulk = 0.75 * 4e8 / (c.ici_links_per_chip * c.ici_link_one_way.bytes_per_second);
  const double latency = c.collective_fixed_latency.value + c.ici_hop_latency.value;
  EXPECT_DOUBLE_EQ(q1->comm_seconds, 10 * bulk + latency);
  EXPECT_DOUBLE_EQ(q1->seconds, 10 * bulk + latency);
}

TEST(Q1BoundTest, AllReduceCostsTwiceAndAllToAllAGroupShare) {
  Collective ar{CollectiveKind::kAllReduce, 1e9, {{0, 1}}, {}};
  Collective ag{CollectiveKind::kAllGather, 1e9, {{0, 1}}, {}};
  EXPECT_DOUBLE_EQ(CollectiveLowerBoundSeconds(ar, 1, V5e()),
                   2 * CollectiveLowerBoundSeconds(ag, 1, V5e()));
  Collective a2a{CollectiveKind::kAllToAll, 8e8, {{0, 1, 2, 3}}, {}};
  Collective ag4{CollectiveKind::kAllGather, 2e8, {{0, 1, 2, 3}}, {}};
  // All-to-all of V: each device receives 3/4 of V/4, what an all-gather of V/4 needs.
  EXPECT_DOUBLE_EQ(CollectiveLowerBoundSeconds(a2a, 1, V5e()),
                   CollectiveLowerBoundSeconds(ag4, 1, V5e()));
  Collective single{CollectiveKind::kAllReduce, 1e9, {{0}, {1}}, {}};
  EXPECT_EQ(CollectiveLowerBoundSeconds(single, 1, V5e()), 0.0);
}

TEST(Q1BoundTest, SelfPairsMoveNothingAndDotsSwapSafeClass) {
  Collective self{CollectiveKind::kCollectivePermute, 1e9, {}, {{0, 0}, {1, 1}}};
  EXPECT_EQ(CollectiveLowerBoundSeconds(self, 1, V5e()), 0.0);
  Collective moving{CollectiveKind::kCollectivePermute, 1e9, {}, {{0, 1}, {1, 0}}};
  EXPECT_DOUBLE_EQ(CollectiveLowerBoundSeconds(moving, 1, V5e()),
                   1e9 / IngressBytesPerSecond(V5e()));
  // n = 128 (e.g. P.V with head dim 128) but k wide: XLA may swap operands, so the bound uses
  // the faster, wide class.
  PrecompileAnalysis a;
  a.num_devices = 1;
  a.matmuls = {Dot(1e12, 4096, 128)};
  const double peak = V5e().bf16_peak.flops_per_second;
  EXPECT_DOUBLE_EQ(ComputeQ1(a, V5e())->compute_seconds, 1e12 / (peak * V5e().matmul_efficiency));
}

TEST(Q1BoundTest, EstimateHidesPermutesBehindComputeButAddsTheRest) {
  PrecompileAnalysis a;
  a.num_devices = 4;
  a.matmuls = {Dot(1e13, 4096, 4096)};
  PrecompileCollective permute;
  permute.collective = {
      CollectiveKind::kCollectivePermute, 1e9, {}, {{0, 1}, {1, 2}, {2, 3}, {3, 0}}};
  PrecompileCollective a2a;
  a2a.collective = {CollectiveKind::kAllToAll, 8e8, {{0, 1, 2, 3}}, {}};
  a.collectives = {permute, a2a};
  auto q1 = ComputeQ1(a, V5e());
  ASSERT_TRUE(q1.ok());
  const double p = q1->comm_seconds_by_kind.at("collective-permute");
  const double x = q1->comm_seconds_by_kind.at("all-to-all");
  EXPECT_DOUBLE_EQ(p, CollectiveLowerBoundSeconds(permute.collective, 1, V5e()));
  EXPECT_DOUBLE_EQ(x, CollectiveLowerBoundSeconds(a2a.collective, 1, V5e()));
  ASSERT_LT(p, q1->compute_seconds);
  // The permute hides behind compute; the all-to-all and the latency term do not.
  EXPECT_DOUBLE_EQ(q1->estimate_seconds, q1->compute_seconds + q1->comm_seconds - p);
  // A permute longer than all compute shows its excess.
  a.collectives = {permute};
  a.collectives[0].count = 1e3;
  auto long_permute = ComputeQ1(a, V5e());
  ASSERT_TRUE(long_permute.ok());
  EXPECT_GT(long_permute->comm_seconds, long_permute->compute_seconds);
  EXPECT_DOUBLE_EQ(long_permute->estimate_seconds, long_permute->comm_seconds);
}

TEST(Q1BoundTest, ParametersBeyondHbmDoNotFit) {
  PrecompileAnalysis a;
  a.num_devices = 1;
  a.parameter_bytes_per_device = 28.6e9;  // Wan 2.1 14B in bf16, unsharded
  auto q1 = ComputeQ1(a, V5e());
  ASSERT_TRUE(q1.ok());
  EXPECT_FALSE(q1->fits_memory);
  EXPECT_NE(q1->memory_reason.find("28.60 GB"), std::string::npos) << q1->memory_reason;
  a.parameter_bytes_per_device = 28.6e9 / 4;
  EXPECT_TRUE(ComputeQ1(a, V5e())->fits_memory);
}

TEST(Q1BoundTest, TopologyBlindCostIsAlphaBetaPerCollective) {
  PrecompileAnalysis a;
  a.num_devices = 4;
  a.flops_per_device = 1.97e14;  // one second at v5e peak
  PrecompileCollective ar;
  ar.collective = Collective{CollectiveKind::kAllReduce, 4.5e9, {{0, 1, 2, 3}}, {}};
  ar.count = 2;
  a.collectives = {ar};
  const ChipSpec& c = V5e();
  const double alpha = c.collective_fixed_latency.value;
  // all-reduce: 2 x 3/4 x 4.5 GB at 45 GB/s = 0.15 s, twice.
  const double expected =
      1.0 + 2 * (alpha + 2 * 0.75 * 4.5e9 / c.ici_link_one_way.bytes_per_second);
  EXPECT_NEAR(TopologyBlindSeconds(a, c), expected, 1e-12);
}

TEST(Q1BoundTest, RejectsAModuleWithoutDevices) {
  PrecompileAnalysis a;
  a.num_devices = 0;
  EXPECT_FALSE(ComputeQ1(a, V5e()).ok());
}

}  // namespace
}  // namespace aoizora
