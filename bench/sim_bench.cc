// Speed of the SimGrid evaluator (cpp/aoizora/sim). Results: docs/simgrid.md.
//   BM_SimulateWanStepV5e4x4/<mesh>: one simulated step of Wan 2.1 14B 720p (hand-built,
//     wan_step_program.h) on v5e:4x4 on a random placement: flow expansion, one forked SimGrid
//     run (platform, every distinct collective), Q2's replay with the simulated times. Wall time
//     (the simulation runs in a child process, so the parent's CPU time does not count it).
//   BM_SimulateWanStepsBatch: 64 placements in one SimGrid run, per placement.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <random>

#include "aoizora/placement/q2_model.h"
#include "aoizora/sim/simulator.h"
#include "wan_step_program.h"

namespace aoizora::sim {
namespace {

using bench::WanMesh;
using bench::WanStepProgram;

placement::Q2Model MakeModel(const CommModel& comm, const WanMesh& mesh, int body_copies) {
  auto model = placement::Q2Model::Create(WanStepProgram(mesh, body_copies), comm, mesh.shape());
  if (!model.ok()) std::abort();
  return std::move(model).value();
}

std::vector<DeviceIds> RandomPlacements(int64_t n, int count) {
  std::mt19937 rng(7);
  std::vector<DeviceIds> out;
  for (int i = 0; i < count; ++i) {
    DeviceIds p(static_cast<size_t>(n));
    std::iota(p.begin(), p.end(), 0);
    std::shuffle(p.begin(), p.end(), rng);
    out.push_back(p);
  }
  return out;
}

void SimulateWan(benchmark::State& state, WanMesh mesh, int body_copies, int batch) {
  const Topology topo = *ParseSliceSpec("v5e:4x4");
  const CommModel comm(topo);
  const placement::Q2Model model = MakeModel(comm, mesh, body_copies);
  const Simulator sim(topo);
  const std::vector<DeviceIds> placements = RandomPlacements(mesh.devices(), batch);
  for (auto _ : state) {
    auto r = sim.SimulateSteps(model, placements);
    if (!r.ok()) {
      state.SkipWithError(r.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r.value().front().seconds);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["distinct_collectives"] = static_cast<double>(model.distinct_collective_count());
  state.counters["per_step_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_SimulateWanStepV5e4x4_cfg2_uly8(benchmark::State& state) {
  SimulateWan(state, {2, 8, 1}, 1, 1);
}
BENCHMARK(BM_SimulateWanStepV5e4x4_cfg2_uly8)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SimulateWanStepV5e4x4_cfg2_uly4_ring2(benchmark::State& state) {
  SimulateWan(state, {2, 4, 2}, 1, 1);
}
BENCHMARK(BM_SimulateWanStepV5e4x4_cfg2_uly4_ring2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Every collective of the 40 layers distinct (two body copies): the most a step can cost.
void BM_SimulateWanStepV5e4x4_cfg2_uly8_all_distinct(benchmark::State& state) {
  SimulateWan(state, {2, 8, 1}, 2, 1);
}
BENCHMARK(BM_SimulateWanStepV5e4x4_cfg2_uly8_all_distinct)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SimulateWanStepsBatch64_cfg2_uly8(benchmark::State& state) {
  SimulateWan(state, {2, 8, 1}, 1, 64);
}
BENCHMARK(BM_SimulateWanStepsBatch64_cfg2_uly8)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace aoizora::sim

BENCHMARK_MAIN();
