// Speed of placement scoring (Q2) and search. Results: docs/placement.md.
//   BM_ScoreWanV5e4x4/<mesh>: placements scored per second (one core) for a Wan 2.1 14B step
//     (hand-built, wan_step_program.h) on v5e:4x4, over the structured space of its mesh.
//   BM_RankV5e16x16/<mesh>: enumerate + symmetry-reduce + score the whole structured space of a
//     3-axis mesh on v5e:16x16 (one iteration = one full ranking).

#include <benchmark/benchmark.h>

#include "aoizora/placement/q2_model.h"
#include "aoizora/placement/search.h"
#include "aoizora/placement/topology_grid.h"
#include "wan_step_program.h"

namespace aoizora::placement {
namespace {

using bench::WanMesh;
using bench::WanStepProgram;

Q2Model MakeModel(const CommModel& comm, const WanMesh& mesh, int body_copies = 1) {
  auto model = Q2Model::Create(WanStepProgram(mesh, body_copies), comm, mesh.shape());
  if (!model.ok()) std::abort();
  return std::move(model).value();
}

void ScoreWan(benchmark::State& state, const char* spec, WanMesh mesh, int body_copies = 1) {
  const Topology topo = *ParseSliceSpec(spec);
  const CommModel comm(topo);
  const Q2Model model = MakeModel(comm, mesh, body_copies);
  const PlacementSpace space = *PlacementSpace::Enumerate(GridOfTopology(topo), mesh.shape());
  std::vector<int32_t> orders(space.size() * space.num_devices());
  for (int64_t i = 0; i < space.size(); ++i) space.FillOrder(i, &orders[i * space.num_devices()]);
  Q2Scorer scorer(model);
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(scorer.Score(&orders[i * space.num_devices()]));
    if (++i == space.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["distinct_collectives"] = static_cast<double>(model.distinct_collective_count());
  state.counters["collective_events"] = static_cast<double>(model.collective_event_count());
  state.counters["space"] = static_cast<double>(space.size());
}

void BM_ScoreWanV5e4x4_cfg2_uly8(benchmark::State& state) { ScoreWan(state, "v5e:4x4", {2, 8, 1}); }
BENCHMARK(BM_ScoreWanV5e4x4_cfg2_uly8)->Unit(benchmark::kMicrosecond);

void BM_ScoreWanV5e4x4_cfg2_uly4_ring2(benchmark::State& state) {
  ScoreWan(state, "v5e:4x4", {2, 4, 2});
}
BENCHMARK(BM_ScoreWanV5e4x4_cfg2_uly4_ring2)->Unit(benchmark::kMicrosecond);

// No deduplication possible: every collective distinct (two layer-body copies, ~3 dozen).
void BM_ScoreWanV5e4x4_cfg2_uly8_all_distinct(benchmark::State& state) {
  ScoreWan(state, "v5e:4x4", {2, 8, 1}, 2);
}
BENCHMARK(BM_ScoreWanV5e4x4_cfg2_uly8_all_distinct)->Unit(benchmark::kMicrosecond);

void BM_ScoreWanV5e4x4_cfg2_uly4_ring2_all_distinct(benchmark::State& state) {
  ScoreWan(state, "v5e:4x4", {2, 4, 2}, 2);
}
BENCHMARK(BM_ScoreWanV5e4x4_cfg2_uly4_ring2_all_distinct)->Unit(benchmark::kMicrosecond);

void RankWan(benchmark::State& state, const char* spec, WanMesh mesh) {
  const Topology topo = *ParseSliceSpec(spec);
  const CommModel comm(topo);
  const Q2Model model = MakeModel(comm, mesh);
  const PhysicalGrid grid = GridOfTopology(topo);
  SearchOptions options;
  options.exhaustive_limit = 10'000'000;
  int64_t scored = 0;
  for (auto _ : state) {
    auto result = SearchPlacements(model, grid, options);
    if (!result.ok()) std::abort();
    scored = result->reduced_count;
    state.counters["structured"] = static_cast<double>(result->structured_count);
    state.counters["distinct"] = static_cast<double>(result->distinct_count);
  }
  state.counters["reduced"] = static_cast<double>(scored);
  state.counters["placements_per_s"] = benchmark::Counter(
      static_cast<double>(scored) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_RankV5e16x16_cfg2_uly8_ring16(benchmark::State& state) {
  RankWan(state, "v5e:16x16", {2, 8, 16});
}
BENCHMARK(BM_RankV5e16x16_cfg2_uly8_ring16)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace aoizora::placement

BENCHMARK_MAIN();
