// libFuzzer target for the stages after the parser: every input that parses goes through
//   * the compiled-module analysis (strict and lenient; hlo/verifier.h first),
//   * the pre-compile analysis and the Q1 bound on v5e:2x2 (both compute sources),
//   * the compute profile on v5e:2x2 (both compute sources),
//   * a Q2 placement ranking on v5e:2x2 when the module runs on at most its 4 devices,
// and each must return a value or an Error: never crash, hang, leak or hit undefined behaviour.
// Limits keep one input cheap (a few ms): a small topology and a small search.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "aoizora/comm/comm_model.h"
#include "aoizora/hlo/parser.h"
#include "aoizora/placement/compute_model.h"
#include "aoizora/placement/compute_profile.h"
#include "aoizora/placement/q2_model.h"
#include "aoizora/placement/search.h"
#include "aoizora/placement/topology_grid.h"
#include "aoizora/planner/q1_bound.h"
#include "aoizora/program/compiled_analysis.h"
#include "aoizora/program/precompile_analysis.h"
#include "aoizora/topology/topology.h"

namespace {

using aoizora::placement::ComputeConstants;
using aoizora::placement::ComputeSource;

constexpr ComputeSource kSources[] = {ComputeSource::kRoofline, ComputeSource::kCompiler};

const aoizora::Topology& SmallTopology() {
  static const aoizora::Topology topology = aoizora::ParseSliceSpec("v5e:2x2").value();
  return topology;
}

// Results are not checked for plausibility (a strange but valid module may give strange numbers);
// what is checked is that every stage returns.
void RankOnSmallTopology(const aoizora::CompiledModuleAnalysis& analysis) {
  const aoizora::Topology& topology = SmallTopology();
  const int64_t partitions = analysis.program.num_partitions;
  if (partitions < 1 || partitions > topology.num_devices()) return;
  const std::vector<int64_t> mesh =
      partitions == 4 ? std::vector<int64_t>{2, 2} : std::vector<int64_t>{partitions};
  const aoizora::CommModel comm(topology);
  for (ComputeSource source : kSources) {
    auto model = aoizora::placement::Q2Model::Create(
        analysis.program, comm, ComputeConstants::FromChip(topology.chip(), source), mesh);
    if (!model.ok()) continue;
    aoizora::placement::SearchOptions options;
    options.top = 3;
    options.exhaustive_limit = 64;
    options.local_search_evaluations = 64;
    options.local_search_restarts = 1;
    const aoizora::placement::PhysicalGrid grid = aoizora::placement::GridOfTopology(topology);
    auto ranked = aoizora::placement::SearchPlacements(*model, grid, options);
    if (!ranked.ok() || ranked->placements.empty()) continue;
    aoizora::placement::Q2Scorer scorer(*model);
    (void)scorer.Breakdown(ranked->placements.front().device_ids);
  }
}

void CompiledStages(std::string_view text) {
  for (bool strict : {true, false}) {
    aoizora::AnalysisOptions options;
    options.strict = strict;
    auto analysis = aoizora::AnalyzeCompiledText(text, "fuzz.hlo", options);
    if (!analysis.ok()) continue;
    const aoizora::Topology& topology = SmallTopology();
    for (ComputeSource source : kSources) {
      (void)aoizora::placement::ProfileCompute(analysis->program,
                                               ComputeConstants::FromChip(topology.chip(), source));
    }
    // The ranking is the expensive part: once, on the lenient analysis (a superset of inputs).
    if (!strict) RankOnSmallTopology(*analysis);
  }
}

void PrecompileStages(std::string_view text) {
  for (bool strict : {true, false}) {
    aoizora::AnalysisOptions options;
    options.strict = strict;
    auto analysis = aoizora::AnalyzePrecompileText(text, "fuzz.hlo", options);
    if (!analysis.ok()) continue;
    const aoizora::ChipSpec& chip = SmallTopology().chip();
    for (ComputeSource source : kSources) (void)aoizora::ComputeQ1(*analysis, chip, source);
    (void)aoizora::TopologyBlindSeconds(*analysis, chip);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Only inputs that parse reach the stages under test; the parser has its own fuzzer.
  if (!aoizora::hlo::ParseModule(text, "fuzz.hlo").ok()) return 0;
  CompiledStages(text);
  PrecompileStages(text);
  return 0;
}
