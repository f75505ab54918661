#include "aoizora/placement/search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "aoizora/placement/q2_test_programs.h"
#include "aoizora/placement/symmetry.h"
#include "aoizora/placement/topology_grid.h"

namespace aoizora::placement {
namespace {

using testing::AxisGroups;
using testing::AxisRingPairs;
using testing::CollectiveStep;
using testing::ComputeSeconds;
using testing::PermuteStep;

Topology Slice(const char* spec) {
  auto t = ParseSliceSpec(spec);
  EXPECT_TRUE(t.ok());
  return *t;
}

Q2Model Model(const CommModel& comm, std::vector<int64_t> mesh, std::vector<StepOp> ops) {
  StepProgram p;
  p.num_partitions = 1;
  for (int64_t s : mesh) p.num_partitions *= s;
  p.ops = std::move(ops);
  auto m = Q2Model::Create(p, comm, std::move(mesh));
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().ToString());
  return std::move(m).value();
}

// A step with the collective mix of a Wan 2.1 step on a (cfg, sp) mesh: CFG all-reduce, Ulysses
// all-to-alls and FSDP all-gathers over sp, a ring-attention KV permute.
std::vector<StepOp> WanLikeMix(const std::vector<int64_t>& mesh) {
  return {ComputeSeconds(2e-3),
          CollectiveStep("all-gather.w", CollectiveKind::kAllGather, 32e6, AxisGroups(mesh, 1)),
          ComputeSeconds(1e-3),
          CollectiveStep("all-to-all.q", CollectiveKind::kAllToAll, 8e6, AxisGroups(mesh, 1)),
          PermuteStep("collective-permute.kv", 4e6, AxisRingPairs(mesh, 1)),
          ComputeSeconds(1e-3),
          CollectiveStep("all-reduce.cfg", CollectiveKind::kAllReduce, 16e6, AxisGroups(mesh, 0))};
}

int64_t MaxPairHops(const Topology& topo, const DeviceIds& order, const DeviceGroups& groups) {
  int64_t worst = 0;
  for (const auto& g : groups) {
    for (size_t i = 0; i < g.size(); ++i) {
      worst = std::max(worst, HopCount(topo, order[g[i]], order[g[(i + 1) % g.size()]]));
    }
  }
  return worst;
}

// A big all-reduce over a size-2 axis: the best placement must put every pair on adjacent chips,
// and beat jax.make_mesh's (2,4) order on v5e-8, whose pairs are 4, 2, 2, 4 hops apart
// (tpu-hardware.md 5.8).
TEST(SearchTest, SizeTwoAxisPairsEndUpOneHopApart) {
  Topology topo = Slice("v5e:2x4");
  CommModel comm(topo);
  const std::vector<int64_t> mesh = {2, 4};
  Q2Model model =
      Model(comm, mesh,
            {ComputeSeconds(1e-4),
             CollectiveStep("all-reduce", CollectiveKind::kAllReduce, 64e6, AxisGroups(mesh, 0))});
  auto result = SearchPlacements(model, GridOfTopology(topo));
  ASSERT_TRUE(result.ok());
  const DeviceIds& best = result->placements.front().device_ids;
  EXPECT_EQ(MaxPairHops(topo, best, AxisGroups(mesh, 0)), 1);
  const DeviceIds jax_default = {0, 1, 2, 3, 7, 6, 5, 4};
  EXPECT_EQ(MaxPairHops(topo, jax_default, AxisGroups(mesh, 0)), 4);
  Q2Scorer scorer(model);
  const double jax_seconds = scorer.Score(jax_default);
  EXPECT_LT(result->placements.front().seconds, jax_seconds);
  EXPECT_GT(result->RankOf(jax_seconds), 1);
  EXPECT_EQ(result->RankOf(result->placements.front().seconds), 1);
}

// A ring permute over all 8 chips of an open 2x4: only a Hamiltonian cycle keeps every hop at 1,
// and the structured space must find one (the exhaustive oracle agrees).
TEST(SearchTest, RingClosesOnTwoByFour) {
  Topology topo = Slice("v5e:2x4");
  CommModel comm(topo);
  const std::vector<int64_t> mesh = {8};
  Q2Model model = Model(
      comm, mesh,
      {ComputeSeconds(1e-4), PermuteStep("collective-permute", 16e6, AxisRingPairs(mesh, 0))});
  auto result = SearchPlacements(model, GridOfTopology(topo));
  ASSERT_TRUE(result.ok());
  const DeviceIds& best = result->placements.front().device_ids;
  EXPECT_EQ(MaxPairHops(topo, best, AxisGroups(mesh, 0)), 1);
  auto oracle = ExhaustiveOracle(model, GridOfTopology(topo));
  ASSERT_TRUE(oracle.ok());
  EXPECT_EQ(oracle->total_count, 40320);
  EXPECT_EQ(oracle->reduced_count, 40320 / 4);
  EXPECT_NEAR(result->placements.front().seconds, oracle->best_seconds,
              1e-12 * oracle->best_seconds);
  EXPECT_EQ(MaxPairHops(topo, oracle->best_device_ids, AxisGroups(mesh, 0)), 1);
}

// Images of a placement under the symmetries the search reduces by (reflections, translations
// and, on 3-D slices too, exchanges of equal axes) have the same links, and the communication
// model's default ring order and routing are invariant under them, so Q2 must agree.
TEST(SearchTest, SymmetricPlacementsScoreEqual) {
  std::mt19937 rng(3);
  for (const char* spec : {"v5e:4x4", "v5p:4x4x4", "v5e:2x4", "v5e:8x16"}) {
    Topology topo = Slice(spec);
    CommModel comm(topo);
    const int64_t n = topo.num_devices();
    const std::vector<int64_t> mesh = {2, n / 2};
    Q2Model model = Model(comm, mesh, WanLikeMix(mesh));
    Q2Scorer scorer(model);
    PhysicalGrid grid = GridOfTopology(topo);
    SliceSymmetry symmetry(grid);
    if (topo.shape()[2] == 4) {  // v5p:4x4x4: axis exchanges included
      EXPECT_EQ(symmetry.point_group_size(), 48) << spec;
    }
    DeviceIds order(n);
    std::iota(order.begin(), order.end(), 0);
    for (int trial = 0; trial < 3; ++trial) {
      std::shuffle(order.begin(), order.end(), rng);
      const double seconds = scorer.Score(order);
      for (int64_t h = 0; h < symmetry.point_group_size(); ++h) {
        std::vector<int64_t> shift(grid.rank());
        for (int64_t a = 0; a < grid.rank(); ++a) shift[a] = rng() % grid.dims()[a];
        EXPECT_NEAR(scorer.Score(symmetry.Apply(order, h, shift)), seconds, 1e-12 * seconds)
            << spec << " h=" << h;
      }
    }
  }
}

// The structured space against every permutation on 2x4 for a Wan-like mix: the structured best
// must be the oracle's best.
TEST(SearchTest, StructuredSpaceContainsTheOracleOptimumOnTwoByFour) {
  Topology topo = Slice("v5e:2x4");
  CommModel comm(topo);
  for (const std::vector<int64_t>& mesh : {std::vector<int64_t>{2, 4}, {4, 2}}) {
    Q2Model model = Model(comm, mesh, WanLikeMix(mesh));
    auto result = SearchPlacements(model, GridOfTopology(topo));
    auto oracle = ExhaustiveOracle(model, GridOfTopology(topo));
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(oracle.ok());
    const double structured = result->placements.front().seconds;
    EXPECT_NEAR(structured, oracle->best_seconds, 1e-12 * structured)
        << "structured best is " << (structured / oracle->best_seconds - 1) * 100
        << "% above the oracle";
  }
}

TEST(SearchTest, LocalSearchRepairsAScrambledRing) {
  Topology topo = Slice("v5e:2x4");
  CommModel comm(topo);
  const std::vector<int64_t> mesh = {8};
  Q2Model model =
      Model(comm, mesh, {PermuteStep("collective-permute", 16e6, AxisRingPairs(mesh, 0))});
  auto oracle = ExhaustiveOracle(model, GridOfTopology(topo));
  ASSERT_TRUE(oracle.ok());
  const DeviceIds scrambled = {0, 7, 2, 5, 4, 3, 6, 1};
  Q2Scorer scorer(model);
  ASSERT_GT(scorer.Score(scrambled), oracle->best_seconds * 1.01);
  // The oracle's worst bounds every placement, the scrambled ring included.
  EXPECT_GE(oracle->worst_seconds, scorer.Score(scrambled));
  const DeviceIds identity = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_GE(oracle->worst_seconds, scorer.Score(identity));
  LocalSearchResult local = LocalSearch(model, scrambled, 5000, 8, 42);
  EXPECT_NEAR(local.seconds, oracle->best_seconds, 1e-12 * oracle->best_seconds);
  EXPECT_LE(local.evaluations, 5000);
}

TEST(SearchTest, TruncatedSpaceFallsBackToLocalSearch) {
  Topology topo = Slice("v5e:4x4");
  CommModel comm(topo);
  const std::vector<int64_t> mesh = {2, 8};
  Q2Model model = Model(comm, mesh, WanLikeMix(mesh));
  SearchOptions options;
  options.exhaustive_limit = 2;
  options.local_search_evaluations = 300;
  options.top = 3;
  auto result = SearchPlacements(model, GridOfTopology(topo), options);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->truncated);
  EXPECT_EQ(result->reduced_count, 2);
  EXPECT_GT(result->local_search_evaluations, 0);
  EXPECT_LE(result->local_search_evaluations, 300);
  ASSERT_FALSE(result->placements.empty());
  for (size_t i = 1; i < result->placements.size(); ++i) {
    EXPECT_LE(result->placements[i - 1].seconds, result->placements[i].seconds);
  }
}

TEST(SearchTest, ScoresAreSortedAndCountsReported) {
  Topology topo = Slice("v5e:4x4");
  CommModel comm(topo);
  const std::vector<int64_t> mesh = {2, 8};
  Q2Model model = Model(comm, mesh, WanLikeMix(mesh));
  SearchOptions options;
  options.top = 5;
  auto result = SearchPlacements(model, GridOfTopology(topo), options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(static_cast<int64_t>(result->all_seconds.size()), result->reduced_count);
  EXPECT_TRUE(std::is_sorted(result->all_seconds.begin(), result->all_seconds.end()));
  EXPECT_GE(result->distinct_count, result->reduced_count);
  EXPECT_GE(result->structured_count, result->distinct_count);
  ASSERT_EQ(result->placements.size(), 5u);
  EXPECT_DOUBLE_EQ(result->placements[0].seconds, result->all_seconds[0]);
  EXPECT_FALSE(result->placements[0].description.empty());
}

}  // namespace
}  // namespace aoizora::placement
