// Closed forms of shared/reference/tpu-hardware.md section 3 (SB = the scaling book), reproduced
// by the flow model. Expected values are written from the formulas, not from the model's output.

#include "aoizora/comm/comm_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <tuple>

#include "aoizora/comm/collective_validation.h"
#include "aoizora/topology/links.h"

namespace aoizora {
namespace {

Topology Slice(std::string_view spec) { return *ParseSliceSpec(spec); }

CollectiveCost MustCost(const CommModel& model, const Collective& c, const DeviceIds& p = {}) {
  Result<CollectiveCost> cost = model.Cost(c, p);
  EXPECT_TRUE(cost.ok()) << (cost.ok() ? "" : cost.error().message());
  return cost.ok() ? *cost : CollectiveCost{};
}

Collective Groups(CollectiveKind kind, double bytes, DeviceGroups groups) {
  Collective c;
  c.kind = kind;
  c.array_bytes = bytes;
  c.groups = std::move(groups);
  return c;
}

Collective Permute(double bytes, SourceTargetPairs pairs) {
  Collective c;
  c.kind = CollectiveKind::kCollectivePermute;
  c.array_bytes = bytes;
  c.pairs = std::move(pairs);
  return c;
}

std::vector<int64_t> Range(int64_t begin, int64_t end, int64_t step = 1) {
  std::vector<int64_t> out;
  for (int64_t i = begin; i < end; i += step) out.push_back(i);
  return out;
}

constexpr double kW1 = 4.5e10;  // v5e one-way link (SB), the constant the closed forms use
constexpr double kV = 64e6;
constexpr double kRel = 1e-12;

TEST(CommModel, UsesTheChipTableConstants) {
  const ChipSpec& v5e = GetChipSpec(Generation::kV5e);
  EXPECT_EQ(v5e.ici_link_one_way.bytes_per_second, kW1);
  EXPECT_EQ(v5e.ici_hop_latency.value, 1e-6);
}

TEST(CommModel, RingAllGatherOnAWrappedAxisTakesVOverW) {
  // v5e 16x16: a row of 16 is a full bidirectional ring. SB: T = V/W, W = 2 W_1, N/2 hops.
  for (RingOrder order : {RingOrder::kBestForChipSet, RingOrder::kListedOrder}) {
    const CommModel model(Slice("v5e:16x16"), {.ring_order = order});
    const CollectiveCost cost =
        MustCost(model, Groups(CollectiveKind::kAllGather, kV, {Range(0, 16)}));
    EXPECT_NEAR(cost.bulk_seconds, kV / (2 * kW1), kRel);
    EXPECT_EQ(cost.hops, 8);
    EXPECT_NEAR(cost.seconds, 4e-6 + 8e-6 + kV / (2 * kW1), kRel);
  }
}

TEST(CommModel, AllGatherOnAnOpenAxisRunsAsALineAtAboutTwiceTheRingTime) {
  // v5e 4x4 (no wraparound): derived line form T = (N-1)/N V/W_1, N-1 hops.
  for (RingOrder order : {RingOrder::kBestForChipSet, RingOrder::kListedOrder}) {
    const CommModel model(Slice("v5e:4x4"), {.ring_order = order});
    const CollectiveCost line =
        MustCost(model, Groups(CollectiveKind::kAllGather, kV, {{0, 1, 2, 3}}));
    EXPECT_NEAR(line.bulk_seconds, 0.75 * kV / kW1, kRel);
    EXPECT_EQ(line.hops, 3);
  }
  // SB Pop Quiz 2 (V1): 3 x 8.4e6 / 4.5e10 = 560 us without wrap vs 377 us with a ring.
  const CommModel v5e(Slice("v5e:4x8"));
  DeviceGroups rows;
  for (int64_t y = 0; y < 8; ++y) rows.push_back(Range(4 * y, 4 * y + 4));
  const double v = 2048.0 * 8192 * 2;
  const CollectiveCost quiz = MustCost(v5e, Groups(CollectiveKind::kAllGather, v, rows));
  EXPECT_NEAR(quiz.bulk_seconds, 3 * (v / 4) / kW1, kRel);
  EXPECT_NEAR(quiz.bulk_seconds, 559.2e-6, 0.1e-6);
}

TEST(CommModel, ListedOrderMattersOnlyInListedMode) {
  // A line listed out of order (0,2,1,3) zig-zags: link 1->2 carries more in listed mode.
  const Topology topo = Slice("v5e:4x4");
  const Collective c = Groups(CollectiveKind::kAllGather, kV, {{0, 2, 1, 3}});
  const CollectiveCost best = MustCost(CommModel(topo), c);
  const CollectiveCost listed =
      MustCost(CommModel(topo, {.ring_order = RingOrder::kListedOrder}), c);
  EXPECT_NEAR(best.bulk_seconds, 0.75 * kV / kW1, kRel);
  EXPECT_GT(listed.bulk_seconds, best.bulk_seconds * 1.2);
  EXPECT_GT(listed.hops, best.hops);
}

TEST(CommModel, AllReduceIsTwiceAllGatherAndReduceScatterEqualsAllGather) {
  for (std::string_view spec : {"v5e:16x16", "v5e:2x4", "v5p:4x4x4"}) {
    const CommModel model(Slice(spec));
    const DeviceGroups groups = {Range(0, 4), Range(4, 8)};
    const CollectiveCost ag = MustCost(model, Groups(CollectiveKind::kAllGather, kV, groups));
    const CollectiveCost rs = MustCost(model, Groups(CollectiveKind::kReduceScatter, kV, groups));
    const CollectiveCost ar = MustCost(model, Groups(CollectiveKind::kAllReduce, kV, groups));
    EXPECT_DOUBLE_EQ(rs.seconds, ag.seconds) << spec;
    EXPECT_DOUBLE_EQ(ar.bulk_seconds, 2 * ag.bulk_seconds) << spec;
    EXPECT_DOUBLE_EQ(ar.hop_latency_seconds, 2 * ag.hop_latency_seconds) << spec;
    EXPECT_DOUBLE_EQ(ar.fixed_latency_seconds, ag.fixed_latency_seconds) << spec;
    EXPECT_EQ(ar.passes, 2);
  }
}

TEST(CommModel, AllToAllOneDimensional) {
  // Bidirectional ring: SB V/(4W) = V/(8 W_1).
  const CollectiveCost ring = MustCost(CommModel(Slice("v5e:16x16")),
                                       Groups(CollectiveKind::kAllToAll, kV, {Range(0, 16)}));
  EXPECT_NEAR(ring.bulk_seconds, kV / (8 * kW1), kRel);
  EXPECT_EQ(ring.hops, 8);
  // Open line (derived): V max/(2 N W) = V/(2W) = V/(4 W_1) for a single axis.
  const CollectiveCost line =
      MustCost(CommModel(Slice("v5e:4x4")), Groups(CollectiveKind::kAllToAll, kV, {{0, 1, 2, 3}}));
  EXPECT_NEAR(line.bulk_seconds, kV / (4 * kW1), kRel);
  EXPECT_EQ(line.hops, 3);
}

TEST(CommModel, AllToAllOnTori) {
  // SB current edition: T = V max(A,B,..) / (4 N W).
  const CollectiveCost two_d = MustCost(CommModel(Slice("v5e:16x16")),
                                        Groups(CollectiveKind::kAllToAll, kV, {Range(0, 256)}));
  EXPECT_NEAR(two_d.bulk_seconds, kV * 16 / (4 * 256 * 2 * kW1), kRel);
  const double w1_v5p = GetChipSpec(Generation::kV5p).ici_link_one_way.bytes_per_second;
  const CollectiveCost three_d = MustCost(CommModel(Slice("v5p:4x4x4")),
                                          Groups(CollectiveKind::kAllToAll, kV, {Range(0, 64)}));
  EXPECT_NEAR(three_d.bulk_seconds, kV * 4 / (4 * 64 * 2 * w1_v5p), kRel);
  // v6e 8x16: the open 8-axis has one cut plane, the wrapped 16-axis two: per-axis loads
  // V n_a / (8 N W_1) on the wrapped axis and V n_a / (4 N W_1) on the open one.
  const double w1_v6e = GetChipSpec(Generation::kV6e).ici_link_one_way.bytes_per_second;
  const CollectiveCost mixed = MustCost(CommModel(Slice("v6e:8x16")),
                                        Groups(CollectiveKind::kAllToAll, kV, {Range(0, 128)}));
  EXPECT_NEAR(mixed.bulk_seconds,
              std::max(kV * 16 / (8 * 128 * w1_v6e), kV * 8 / (4 * 128 * w1_v6e)), kRel);
}

TEST(CommModel, MultiAxisAllGatherGainsBandwidth) {
  // v5e 16x16, one group of all 256 chips: per-axis phases on both wrapped axes. Part 1 gathers
  // V/2 along x (lines of 16 carry V/32, forward share 8/16 -> V/64 per link) then along y (V/2
  // -> V/4 per link); part 2 mirrors it, so every link carries V/64 + V/4 = 17 V/64.
  const CommModel model(Slice("v5e:16x16"));
  const CollectiveCost all =
      MustCost(model, Groups(CollectiveKind::kAllGather, kV, {Range(0, 256)}));
  EXPECT_NEAR(all.bulk_seconds, 17 * kV / (64 * kW1), kRel);
  // SB: V / (W N_axes) with W = 2 W_1; the model is within a factor (1 + 1/16) of it.
  const double sb = kV / (2 * kW1 * 2);
  EXPECT_NEAR(all.bulk_seconds / sb, 1.0 + 1.0 / 16, 1e-12);
  EXPECT_EQ(all.hops, 16);  // SB: T_min sum_i |X_i| / 2
  // The same 256 chips as one ring in listed (raster) order get no multi-axis gain.
  const CommModel listed(Slice("v5e:16x16"), {.ring_order = RingOrder::kListedOrder});
  const CollectiveCost ring =
      MustCost(listed, Groups(CollectiveKind::kAllGather, kV, {Range(0, 256)}));
  EXPECT_GT(ring.bulk_seconds, 1.8 * all.bulk_seconds);
}

TEST(CommModel, SmallMessagesAreLatencyBound) {
  // SB: with W_1 = 4.5e10 and T_min = 1 us, a per-hop shard of 45 kB takes exactly T_min: bulk and
  // hop latency are equal there, and below it the hops dominate.
  const CommModel model(Slice("v5e:16x16"));
  const double threshold = 16 * kW1 * 1e-6;  // V = N x 45 kB
  const CollectiveCost at =
      MustCost(model, Groups(CollectiveKind::kAllGather, threshold, {Range(0, 16)}));
  EXPECT_NEAR(at.bulk_seconds, at.hop_latency_seconds, kRel);
  const CollectiveCost small =
      MustCost(model, Groups(CollectiveKind::kAllGather, 32e3, {Range(0, 16)}));
  EXPECT_LT(small.bulk_seconds, 0.05 * (small.hop_latency_seconds + small.fixed_latency_seconds));
  EXPECT_NEAR(small.seconds, 4e-6 + 8e-6 + 32e3 / (2 * kW1), kRel);
}

TEST(CommModel, PointToPointUsesBothPortsOfTheCorner) {
  // SB tpus.md Q5: v5e 4x4, 1.7e7 B from (0,0) to (3,3): half right, half down -> 2 W_1, 6 hops.
  const Topology topo = Slice("v5e:4x4");
  const double v = 8.0 * 128 * 8192 * 2;
  const CollectiveCost cost = MustCost(CommModel(topo), Permute(v, {{0, 15}}));
  EXPECT_NEAR(cost.bulk_seconds, v / (2 * kW1), kRel);
  EXPECT_EQ(cost.hops, 6);
  EXPECT_NEAR(cost.seconds, 4e-6 + 6e-6 + v / (2 * kW1), kRel);
  // Both first links carry half.
  EXPECT_DOUBLE_EQ(cost.link_bytes[LinkIndex({0, 1, true})], v / 2);
  EXPECT_DOUBLE_EQ(cost.link_bytes[LinkIndex({0, 2, true})], v / 2);
}

TEST(CommModel, ConcurrentGroupsShareLinks) {
  const Topology topo = Slice("v5e:4x4");
  const CommModel fair(topo);
  const CommModel measured(topo, {.contention = ContentionLaw::kMeasuredSharedLink});
  // Disjoint: 0->1 and 2->3 use different links.
  const CollectiveCost disjoint = MustCost(fair, Permute(kV, {{0, 1}, {2, 3}}));
  EXPECT_NEAR(disjoint.bulk_seconds, kV / kW1, kRel);
  // Overlapping: 0->2 and 1->3 both cross link 1->2: W_1/2 each (fair share).
  const CollectiveCost shared = MustCost(fair, Permute(kV, {{0, 2}, {1, 3}}));
  EXPECT_NEAR(shared.bulk_seconds, 2 * kV / kW1, kRel);
  EXPECT_EQ(shared.bottleneck_link, LinkIndex({1, 1, true}));
  EXPECT_DOUBLE_EQ(shared.bottleneck_bytes, 2 * kV);
  // V5 variant: two users each keep 0.66 of a solo link.
  const CollectiveCost v5 = MustCost(measured, Permute(kV, {{0, 2}, {1, 3}}));
  EXPECT_NEAR(kV / kW1 / v5.bulk_seconds, 0.66, 1e-12);
  EXPECT_EQ(v5.bottleneck_users, 2);
  const CollectiveCost v5_disjoint = MustCost(measured, Permute(kV, {{0, 1}, {2, 3}}));
  EXPECT_NEAR(v5_disjoint.bulk_seconds, kV / kW1, kRel);
  // Rings of the same collective on disjoint rows do not slow each other down.
  const CommModel torus(Slice("v5e:16x16"));
  DeviceGroups rows;
  for (int64_t y = 0; y < 16; ++y) rows.push_back(Range(16 * y, 16 * y + 16));
  const CollectiveCost one = MustCost(torus, Groups(CollectiveKind::kAllGather, kV, {rows[0]}));
  const CollectiveCost all = MustCost(torus, Groups(CollectiveKind::kAllGather, kV, rows));
  EXPECT_DOUBLE_EQ(all.seconds, one.seconds);
  // Strided groups (every other chip of a row) routed as rings do share links.
  const CollectiveCost strided =
      MustCost(torus, Groups(CollectiveKind::kAllGather, kV, {Range(0, 16, 2), Range(1, 16, 2)}));
  EXPECT_GT(strided.bulk_seconds, 1.9 * one.bulk_seconds);
}

TEST(CommModel, PlacementDecidesTheLinks) {
  // v5e 2x4 (ids x + 2y): logical pairs {0,1},{2,3},.. are x-neighbours under the identity; a
  // placement that puts each pair 3 hops apart along y makes them share the y links.
  const Topology topo = Slice("v5e:2x4");
  const CommModel model(topo);
  const Collective pairs = Groups(CollectiveKind::kAllGather, kV, {{0, 1}, {2, 3}, {4, 5}, {6, 7}});
  const CollectiveCost near = MustCost(model, pairs);
  EXPECT_NEAR(near.bulk_seconds, 0.5 * kV / kW1, kRel);
  EXPECT_EQ(near.hops, 1);
  const DeviceIds far = {0, 6, 1, 7, 2, 4, 3, 5};  // logical 0 at (0,0), 1 at (0,3), ...
  const CollectiveCost spread = MustCost(model, pairs, far);
  EXPECT_GT(spread.bulk_seconds, near.bulk_seconds);
  EXPECT_EQ(spread.hops, 3);
}

TEST(CommModel, SymmetricPlacementsScoreEqual) {
  // Translating a group along a wrapped axis, or reflecting it, changes nothing.
  const Topology topo = Slice("v5e:16x16");
  const CommModel model(topo);
  for (CollectiveKind kind : {CollectiveKind::kAllGather, CollectiveKind::kAllToAll}) {
    const DeviceGroups block = {{0, 1, 16, 17}};
    const DeviceGroups moved = {{topo.DeviceId({15, 7, 0}), topo.DeviceId({0, 7, 0}),
                                 topo.DeviceId({15, 8, 0}), topo.DeviceId({0, 8, 0})}};
    EXPECT_DOUBLE_EQ(MustCost(model, Groups(kind, kV, block)).seconds,
                     MustCost(model, Groups(kind, kV, moved)).seconds);
  }
}

TEST(CommModel, Tpu7xCoresShareTheDieToDieLink) {
  const Topology topo = Slice("tpu7x:2x2x1");
  const double d2d = topo.chip().die_to_die_one_way.bytes_per_second;
  const CollectiveCost cost =
      MustCost(CommModel(topo), Groups(CollectiveKind::kAllGather, kV, {{0, 1}}));
  EXPECT_NEAR(cost.bulk_seconds, 0.5 * kV / d2d, kRel);
  EXPECT_EQ(cost.bottleneck_link, LinkIndex({0, kCoreAxis, true}));
}

// TPU7x: the two cores of a chip share its ICI links (end-to-end-measurements.md M1, M2), and a
// transfer between them crosses the die-to-die link only.
TEST(CommModel, Tpu7xCoresOfAChipShareItsIciLink) {
  const Topology topo = Slice("tpu7x:2x2x2");
  const double w1 = topo.chip().ici_link_one_way.bytes_per_second;
  const int64_t a0 = topo.DeviceId({0, 0, 0}, 0), a1 = topo.DeviceId({0, 0, 0}, 1);
  const int64_t b0 = topo.DeviceId({1, 0, 0}, 0), b1 = topo.DeviceId({1, 0, 0}, 1);
  const CommModel model(topo);
  const CollectiveCost one = MustCost(model, Permute(kV, {{a0, b0}}));
  EXPECT_NEAR(one.bulk_seconds, kV / w1, kRel);
  // Core 0 and core 1 each send V to the same core of the next chip: 2V on the chip's one +x link.
  const CollectiveCost both = MustCost(model, Permute(kV, {{a0, b0}, {a1, b1}}));
  EXPECT_NEAR(both.bulk_seconds, 2 * kV / w1, kRel);
  EXPECT_EQ(both.bottleneck_link, LinkIndex({a0, 1, true}));
  EXPECT_DOUBLE_EQ(both.bottleneck_bytes, 2 * kV);
  EXPECT_EQ(both.link_bytes[LinkIndex({a1, 1, true})], 0.0);  // read at the chip's core-0 slot
  EXPECT_EQ(both.hops, 1);
  // Whichever core of the next chip receives, the chip link is the same.
  const CollectiveCost crossed = MustCost(model, Permute(kV, {{a0, b1}, {a1, b0}}));
  // (each transfer crosses x once, before or after the die-to-die link, on one chip x link)
  EXPECT_DOUBLE_EQ(crossed.link_bytes[LinkIndex({a0, 1, true})], 2 * kV);
  // The measured contention law sees the two cores as two users of one link.
  const CommModel measured(topo, {.contention = ContentionLaw::kMeasuredSharedLink});
  EXPECT_EQ(MustCost(measured, Permute(kV, {{a0, b0}, {a1, b1}})).bottleneck_users, 2);
}

TEST(CommModel, Tpu7xBothCoreGroupsTakeTwiceAsLongAsOne) {
  // M1: all-gathers over the 4 chips of tpu7x:2x2x1, one core per chip; the core-1 group running
  // at the same time doubles every chip link's bytes, so the bandwidth term doubles.
  const Topology topo = Slice("tpu7x:2x2x1");
  const CommModel model(topo);
  const CollectiveCost one =
      MustCost(model, Groups(CollectiveKind::kAllGather, kV, {{0, 2, 4, 6}}));
  const CollectiveCost both =
      MustCost(model, Groups(CollectiveKind::kAllGather, kV, {{0, 2, 4, 6}, {1, 3, 5, 7}}));
  EXPECT_GT(one.bulk_seconds, 0.0);
  EXPECT_NEAR(both.bulk_seconds, 2 * one.bulk_seconds, kRel);
  EXPECT_EQ(both.hops, one.hops);
  EXPECT_DOUBLE_EQ(both.bottleneck_bytes, 2 * one.bottleneck_bytes);
}

TEST(CommModel, Tpu7xTransferBetweenTheCoresOfAChipUsesTheDieToDieLinkOnly) {
  const Topology topo = Slice("tpu7x:2x2x2");
  const double d2d = topo.chip().die_to_die_one_way.bytes_per_second;
  const int64_t c0 = topo.DeviceId({1, 1, 1}, 0), c1 = topo.DeviceId({1, 1, 1}, 1);
  const CommModel model(topo);
  for (const auto& [source, target, positive] :
       {std::tuple{c0, c1, true}, std::tuple{c1, c0, false}}) {
    const CollectiveCost cost = MustCost(model, Permute(kV, {{source, target}}));
    const int64_t d2d_slot = LinkIndex({source, kCoreAxis, positive});
    for (size_t slot = 0; slot < cost.link_bytes.size(); ++slot) {
      EXPECT_EQ(cost.link_bytes[slot], static_cast<int64_t>(slot) == d2d_slot ? kV : 0.0)
          << LinkName(topo, LinkFromIndex(static_cast<int64_t>(slot)));
    }
    EXPECT_EQ(cost.bottleneck_link, d2d_slot);
    EXPECT_NEAR(cost.bulk_seconds, kV / d2d, kRel);
    EXPECT_EQ(cost.hops, 1);
  }
  // Both directions at once: full duplex, one die-to-die link each way.
  EXPECT_NEAR(MustCost(model, Permute(kV, {{c0, c1}, {c1, c0}})).bulk_seconds, kV / d2d, kRel);
}

TEST(CommModel, FastPathMatchesCostAndReusesScratch) {
  const Topology topo = Slice("v5e:4x8");
  const CommModel model(topo);
  CommScratch scratch = model.NewScratch();
  const Collective ag = Groups(CollectiveKind::kAllGather, kV, {{0, 5, 10, 15}, {16, 17, 18, 19}});
  const Collective a2a = Groups(CollectiveKind::kAllToAll, kV, {Range(0, 32)});
  for (int repeat = 0; repeat < 3; ++repeat) {
    for (const Collective* c : {&ag, &a2a}) {
      const CollectiveTime fast = model.Estimate(*c, {}, scratch);
      const CollectiveCost full = MustCost(model, *c);
      EXPECT_DOUBLE_EQ(fast.seconds, full.seconds);
      EXPECT_EQ(fast.bottleneck_link, full.bottleneck_link);
    }
  }
  // Bytes are conserved: an all-to-all moves V/N^2 per pair times its hop count.
  const CollectiveCost full = MustCost(model, a2a);
  const double total = std::accumulate(full.link_bytes.begin(), full.link_bytes.end(), 0.0);
  double expected = 0.0;
  for (int64_t s = 0; s < 32; ++s) {
    for (int64_t t = 0; t < 32; ++t) expected += HopCount(topo, s, t) * kV / (32.0 * 32.0);
  }
  EXPECT_NEAR(total, expected, 1e-6 * expected);
}

// Reference flows of one all-to-all pair on an open slice, walked link by link: dimension order
// with the classes of equal axes (same length and wrap; the core axis alone) in the order of their
// first axis, `bytes` split evenly over every order of the axes within a class.
void AddAllToAllPairRoutes(const Topology& topo, int64_t source, int64_t target, double bytes,
                           std::vector<double>& link_bytes) {
  const GridCoords from = topo.DeviceGridCoords(source);
  const GridCoords to = topo.DeviceGridCoords(target);
  auto class_of = [&](int axis) {
    for (int b = 0; b < axis; ++b) {
      if (b != kCoreAxis && topo.GridSize(b) == topo.GridSize(axis)) return b;
    }
    return axis;
  };
  std::vector<int> axes;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    if (from[axis] != to[axis]) axes.push_back(axis);
  }
  std::vector<std::vector<int>> orders;
  do {
    bool classes_in_order = true;
    for (size_t i = 0; i + 1 < axes.size(); ++i) {
      classes_in_order &= class_of(axes[i]) <= class_of(axes[i + 1]);
    }
    if (classes_in_order) orders.push_back(axes);
  } while (std::next_permutation(axes.begin(), axes.end()));
  for (const std::vector<int>& order : orders) {
    GridCoords at = from;
    for (int axis : order) {
      while (at[axis] != to[axis]) {
        const bool positive = to[axis] > at[axis];
        // A chip's cores share its ICI links: the load is read at the chip's core-0 slot.
        GridCoords from_chip = at;
        if (axis != kCoreAxis) from_chip[kCoreAxis] = 0;
        link_bytes[LinkIndex({topo.DeviceAt(from_chip), axis, positive})] +=
            bytes / static_cast<double>(orders.size());
        at[axis] += positive ? 1 : -1;
      }
    }
  }
}

TEST(CommModel, AggregatedAllToAllEqualsPairByPairRoutes) {
  // The all-to-all sums its flows per axis; on open slices (no ties) that must equal routing
  // V/N^2 per pair link by link (v5e:4x8: x then y; v5p:2x4x4: x, then y and z in both orders;
  // tpu7x:2x2x2: core, then x, y, z in all 6 orders, both cores' ICI bytes on the chip's links).
  std::mt19937_64 rng(3);
  for (std::string_view spec : {"v5e:4x8", "v5p:2x4x4", "tpu7x:2x2x2"}) {
    const Topology topo = Slice(spec);
    const CommModel model(topo);
    std::vector<int64_t> devices = Range(0, topo.num_devices());
    for (int trial = 0; trial < 5; ++trial) {
      std::shuffle(devices.begin(), devices.end(), rng);
      const DeviceGroups groups = {{devices.begin(), devices.begin() + 5},
                                   {devices.begin() + 5, devices.begin() + 12}};
      const CollectiveCost cost = MustCost(model, Groups(CollectiveKind::kAllToAll, kV, groups));
      std::vector<double> expected(cost.link_bytes.size(), 0.0);
      for (const auto& group : groups) {
        const double chunk = kV / static_cast<double>(group.size() * group.size());
        for (int64_t s : group) {
          for (int64_t t : group) {
            if (s != t) AddAllToAllPairRoutes(topo, s, t, chunk, expected);
          }
        }
      }
      for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(cost.link_bytes[i], expected[i], 1e-9 * kV) << spec << " slot " << i;
      }
    }
  }
}

TEST(CommModel, PointToPointSplitsOverEveryAxisOrder) {
  // v5p 4x4x4 is a torus, so take an open 3-D slice: v5p:2x4x4 (ids x + 2y + 8z). From (0,0,0) to
  // (1,1,1) the 6 orders leave over x, y and z with 1/3 each; the middle links carry 1/6 each.
  const Topology topo = Slice("v5p:2x4x4");
  const CollectiveCost cost = MustCost(CommModel(topo), Permute(kV, {{0, 11}}));
  for (int axis = 1; axis <= 3; ++axis) {
    EXPECT_NEAR(cost.link_bytes[LinkIndex({0, axis, true})], kV / 3, 1e-9 * kV) << axis;
  }
  EXPECT_NEAR(cost.link_bytes[LinkIndex({1, 2, true})], kV / 6, 1e-9 * kV);  // x then y
  EXPECT_NEAR(cost.link_bytes[LinkIndex({1, 3, true})], kV / 6, 1e-9 * kV);  // x then z
  EXPECT_NEAR(cost.link_bytes[LinkIndex({3, 3, true})], kV / 3, 1e-9 * kV);  // x, y then z
  EXPECT_EQ(cost.hops, 3);
  const double w1 = GetChipSpec(Generation::kV5p).ici_link_one_way.bytes_per_second;
  EXPECT_NEAR(cost.bulk_seconds, kV / (3 * w1), kRel);
}

TEST(CommModel, NothingToDoCostsNothing) {
  const CommModel model(Slice("v5e:2x4"));
  EXPECT_EQ(MustCost(model, Groups(CollectiveKind::kAllReduce, kV, {{0}, {1}})).seconds, 0.0);
  EXPECT_EQ(MustCost(model, Permute(kV, {{3, 3}})).seconds, 0.0);
  // An empty group list is one group of every device (HLO convention).
  EXPECT_GT(MustCost(model, Groups(CollectiveKind::kAllReduce, kV, {})).seconds, 0.0);
}

TEST(CollectiveValidation, BadInputNamesTheValue) {
  const Topology topo = Slice("v5e:2x4");
  const CommModel model(topo);
  auto error = [&](const Collective& c, const DeviceIds& p = {}) {
    Result<CollectiveCost> r = model.Cost(c, p);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, -1, {{0, 1}})).find("-1"), std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, std::nan(""), {{0, 1}})).find("finite"),
            std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{0, 8}})).find("device id 8"),
            std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{0, 1}, {1, 2}})).find("appears twice"),
            std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{0, -1}})).find("-1"), std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{}})).find("empty"), std::string::npos);
  EXPECT_NE(error(Permute(1, {{0, 1}, {0, 2}})).find("source of two"), std::string::npos);
  EXPECT_NE(error(Permute(1, {{0, 9}})).find("device id 9"), std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{0, 1}}), {0, 1, 1}).find("same device"),
            std::string::npos);
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{0, 1}}), {0, 8}).find("device 8"),
            std::string::npos);
  // A sub-mesh placement limits the logical ids.
  EXPECT_NE(error(Groups(CollectiveKind::kAllGather, 1, {{0, 2}}), {5, 6}).find("device id 2"),
            std::string::npos);
  EXPECT_TRUE(
      ValidateCollective(topo, Groups(CollectiveKind::kAllGather, 1, {{0, 1}}), {5, 6}).ok());
}

}  // namespace
}  // namespace aoizora
