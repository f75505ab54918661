// Speed of the communication model's hot path (CommModel::Estimate with a reused scratch), the
// call the placement search makes thousands of times per second. Results: docs/comm-model.md.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "aoizora/comm/comm_model.h"

namespace aoizora {
namespace {

Topology V5e16x16() { return *ParseSliceSpec("v5e:16x16"); }

Collective AllToAllOverAll(int64_t n) {
  Collective c;
  c.kind = CollectiveKind::kAllToAll;
  c.array_bytes = 64e6;
  c.groups.emplace_back(n);
  std::iota(c.groups[0].begin(), c.groups[0].end(), 0);
  return c;
}

// 16 groups of 16: rows (stride 1) or columns (stride 16) of the 16x16 slice.
Collective SixteenRingAllGathers(bool columns) {
  Collective c;
  c.kind = CollectiveKind::kAllGather;
  c.array_bytes = 64e6;
  for (int64_t g = 0; g < 16; ++g) {
    std::vector<int64_t> group;
    for (int64_t i = 0; i < 16; ++i) group.push_back(columns ? g + 16 * i : 16 * g + i);
    c.groups.push_back(group);
  }
  return c;
}

DeviceIds RandomPlacement(int64_t n) {
  DeviceIds p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::shuffle(p.begin(), p.end(), std::mt19937_64(7));
  return p;
}

void Run(benchmark::State& state, const CommModel& model, const Collective& c,
         const DeviceIds& placement) {
  CommScratch scratch = model.NewScratch();
  for (auto _ : state) {
    CollectiveTime t = model.Estimate(c, placement, scratch);
    benchmark::DoNotOptimize(t);
  }
}

void BM_AllToAll256Chips(benchmark::State& state) {
  const CommModel model(V5e16x16());
  Run(state, model, AllToAllOverAll(256), {});
}
BENCHMARK(BM_AllToAll256Chips)->Unit(benchmark::kMicrosecond);

void BM_SixteenRingAllGathers(benchmark::State& state) {
  const CommModel model(V5e16x16());
  Run(state, model, SixteenRingAllGathers(state.range(0) == 1), {});
}
BENCHMARK(BM_SixteenRingAllGathers)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_SixteenRingAllGathersListedOrder(benchmark::State& state) {
  const CommModel model(V5e16x16(), {.ring_order = RingOrder::kListedOrder});
  Run(state, model, SixteenRingAllGathers(false), {});
}
BENCHMARK(BM_SixteenRingAllGathersListedOrder)->Unit(benchmark::kMicrosecond);

// Scattered chips: a random placement turns every group into a ring of multi-hop segments.
void BM_SixteenRingAllGathersRandomPlacement(benchmark::State& state) {
  const CommModel model(V5e16x16());
  Run(state, model, SixteenRingAllGathers(false), RandomPlacement(256));
}
BENCHMARK(BM_SixteenRingAllGathersRandomPlacement)->Unit(benchmark::kMicrosecond);

void BM_SixteenRingAllGathersMeasuredContention(benchmark::State& state) {
  const CommModel model(V5e16x16(), {.contention = ContentionLaw::kMeasuredSharedLink});
  Run(state, model, SixteenRingAllGathers(false), RandomPlacement(256));
}
BENCHMARK(BM_SixteenRingAllGathersMeasuredContention)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace aoizora

BENCHMARK_MAIN();
