// HLO parser speed (issue 4 item 7: a 10 MB compiled module in well under 0.5 s on one core).
//
// BM_ParseCompiled10MB builds a ~10 MB compiled TPU module from the committed AOT compile
// tests/data/hlo/handwritten/tpu_smoke_compiled.hlo: its computations are repeated with renamed
// copies (every %name gets a _cN suffix; only the last copy stays ENTRY), so the text has the
// shape of real compiler output (long backend_config JSON, tiled layouts, metadata).
// BM_ParseFile parses the file named by AOIZORA_HLO_BENCH_FILE, if set (e.g. a real unrolled
// model compiled by jax), to check the synthetic figure on real output.
//   build/hlo/bench/hlo_parse_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "aoizora/hlo/parser.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Appends `suffix` to every %name in `body`.
std::string RenameAll(const std::string& body, const std::string& suffix) {
  std::string out;
  out.reserve(body.size() + body.size() / 8);
  for (size_t i = 0; i < body.size(); ++i) {
    out += body[i];
    if (body[i] != '%') continue;
    size_t j = i + 1;
    while (j < body.size() && IsNameChar(body[j])) out += body[j++];
    out += suffix;
    i = j - 1;
  }
  return out;
}

std::string MakeBigModule(size_t target_bytes) {
  const std::string source = ReadFile(std::string(AOIZORA_SOURCE_DIR) +
                                      "/tests/data/hlo/handwritten/tpu_smoke_compiled.hlo");
  if (source.empty()) return "";
  // Header = everything before the first computation (stack frames included).
  const size_t first = source.find("\n%");
  const std::string header = source.substr(0, first + 1);
  std::string body = source.substr(first + 1);
  std::string not_entry = body;
  for (size_t at = not_entry.find("ENTRY "); at != std::string::npos;
       at = not_entry.find("ENTRY ")) {
    not_entry.erase(at, 6);
  }
  std::string text = header;
  for (int copy = 0; text.size() + body.size() < target_bytes; ++copy) {
    text += RenameAll(not_entry, "_c" + std::to_string(copy));
    text += '\n';
  }
  text += body;
  return text;
}

void ParseText(benchmark::State& state, const std::string& text) {
  if (text.empty()) {
    state.SkipWithError("input text not found");
    return;
  }
  int64_t instructions = 0;
  for (auto _ : state) {
    aoizora::Result<aoizora::hlo::Module> module = aoizora::hlo::ParseModule(text, "bench.hlo");
    if (!module.ok()) {
      state.SkipWithError(module.error().message().c_str());
      return;
    }
    instructions = module->num_instructions();
    benchmark::DoNotOptimize(module);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
  state.counters["instructions"] = static_cast<double>(instructions);
}

void BM_ParseCompiled10MB(benchmark::State& state) {
  static const std::string text = MakeBigModule(10'000'000);
  ParseText(state, text);
}
BENCHMARK(BM_ParseCompiled10MB)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ParseFile(benchmark::State& state) {
  const char* path = std::getenv("AOIZORA_HLO_BENCH_FILE");
  if (path == nullptr) {
    state.SkipWithError("set AOIZORA_HLO_BENCH_FILE to a module to parse");
    return;
  }
  static const std::string text = ReadFile(path);
  ParseText(state, text);
}
BENCHMARK(BM_ParseFile)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
