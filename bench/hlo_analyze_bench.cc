// Parse + analyze a large compiled module (item 7 of issue 4: a 10 MB module in under half a
// second on one core). The module is generated, not committed: run bench/hlo_analyze_bench.sh,
// which compiles a deep unrolled MLP for v5e:2x4 with tests/data/gen_hlo_fixtures.py into
// build/hlo_bench/deep_mlp.hlo and then runs this program. AOIZORA_HLO_BENCH_FILE overrides the
// path.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "aoizora/hlo/parser.h"
#include "aoizora/program/compiled_analysis.h"

namespace {

std::string BenchFile() {
  if (const char* env = std::getenv("AOIZORA_HLO_BENCH_FILE")) return env;
  return std::string(AOIZORA_SOURCE_DIR) + "/build/hlo_bench/deep_mlp.hlo";
}

const std::string& Text() {
  static const std::string text = [] {
    std::ifstream in(BenchFile(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text;
}

void BM_ParseAndAnalyze(benchmark::State& state) {
  const std::string& text = Text();
  if (text.empty()) {
    state.SkipWithError(("missing " + BenchFile() + "; run bench/hlo_analyze_bench.sh").c_str());
    return;
  }
  for (auto _ : state) {
    auto analysis = aoizora::AnalyzeCompiledText(text, "deep_mlp.hlo");
    if (!analysis.ok()) {
      state.SkipWithError(analysis.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(analysis->flops);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
}
BENCHMARK(BM_ParseAndAnalyze)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ParseOnly(benchmark::State& state) {
  const std::string& text = Text();
  if (text.empty()) {
    state.SkipWithError("missing bench file");
    return;
  }
  for (auto _ : state) {
    auto module = aoizora::hlo::ParseModule(text, "deep_mlp.hlo");
    benchmark::DoNotOptimize(module.ok());
  }
}
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
