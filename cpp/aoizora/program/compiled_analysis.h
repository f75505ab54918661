#pragma once
// A compiled (SPMD-partitioned, scheduled) HLO module -> StepProgram: the entry computation in
// schedule order with calls and conditionals inlined (the most expensive branch), while loops
// expanded by trip count (StepOp::multiplicity; nested loops multiply), fusions costed at their
// boundary, every collective once at its -start or synchronous op with its async window.

#include <string>
#include <string_view>

#include "aoizora/hlo/module.h"
#include "aoizora/program/step_program.h"
#include "aoizora/util/result.h"

namespace aoizora {

// Totals per device per step, loops expanded (ops x multiplicity). Collective reductions
// (all-reduce: one flop per output element, HloCostAnalysis convention) are included.
struct ProgramTotals {
  double flops = 0.0;
  double transcendentals = 0.0;
  double bytes_accessed = 0.0;
  double fast_memory_bytes = 0.0;  // the part of bytes_accessed in fast memory (S(1), VMEM)
  // The same with every op counted once (loop bodies once): XLA cost_analysis()'s convention.
  double flops_once = 0.0;
  double transcendentals_once = 0.0;
  double bytes_accessed_once = 0.0;
  int64_t while_loops = 0;
};

struct CompiledModuleAnalysis : ProgramTotals {
  StepProgram program;
};

Result<CompiledModuleAnalysis> AnalyzeCompiledModule(const hlo::Module& module);

// Parse + analyze. Parse errors keep the parser's "file:line:col" diagnostic.
Result<CompiledModuleAnalysis> AnalyzeCompiledText(std::string_view text,
                                                   std::string_view filename = "<string>");
Result<CompiledModuleAnalysis> AnalyzeCompiledFile(const std::string& path);

}  // namespace aoizora
