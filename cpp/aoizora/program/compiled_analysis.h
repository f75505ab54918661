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

struct AnalysisOptions {
  // Strict (the default): an opcode XLA does not define or a malformed known_trip_count is an
  // error naming the instruction and its file:line:col. Lenient: each is a listed warning (the
  // opcode counts no FLOPs, the trip count is ignored). hlo/verifier.h lists every check.
  bool strict = true;
};

// Verifies the module (hlo::VerifyModule), then analyzes it.
Result<CompiledModuleAnalysis> AnalyzeCompiledModule(const hlo::Module& module,
                                                     const AnalysisOptions& options = {});
// The analysis alone, for a caller that ran hlo::VerifyModule itself (its warnings are the
// caller's to keep).
Result<CompiledModuleAnalysis> AnalyzeVerifiedModule(const hlo::Module& module);

// Parse + verify + analyze. Parse and verification errors keep the "file:line:col" diagnostic
// with the source line and a caret.
Result<CompiledModuleAnalysis> AnalyzeCompiledText(std::string_view text,
                                                   std::string_view filename = "<string>",
                                                   const AnalysisOptions& options = {});
Result<CompiledModuleAnalysis> AnalyzeCompiledFile(const std::string& path,
                                                   const AnalysisOptions& options = {});

}  // namespace aoizora
