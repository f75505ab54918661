#include "aoizora/program/compiled_analysis.h"

#include <cstdio>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aoizora/hlo/parser.h"
#include "aoizora/hlo/verifier.h"
#include "aoizora/program/collective_extraction.h"
#include "aoizora/program/compiler_estimate.h"
#include "aoizora/program/hlo_cost.h"
#include "aoizora/program/trip_count.h"

namespace aoizora {
namespace {

using hlo::Computation;
using hlo::Instruction;

constexpr int kMaxCallDepth = 64;

std::string FormatCount(double count) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", count);
  return buffer;
}

class Builder {
 public:
  explicit Builder(const hlo::Module& module) : module_(module) {}

  Status Walk(const Computation& computation, double multiplicity, int depth) {
    if (depth > kMaxCallDepth)
      return InvalidArgument("computation nesting deeper than " + std::to_string(kMaxCallDepth) +
                             " at '" + computation.name + "'");
    std::unordered_map<const Instruction*, size_t> open_starts;
    for (const Instruction& instruction : computation.instructions) {
      AOIZORA_RETURN_IF_ERROR(Visit(instruction, multiplicity, depth, open_starts));
    }
    for (const auto& [start, index] : open_starts) {
      auto& c = std::get<CollectiveOp>(result_.program.ops[index].op);
      c.window_begin = static_cast<int64_t>(index) + 1;
      c.window_end = static_cast<int64_t>(result_.program.ops.size());
      result_.program.warnings.push_back("async collective '" + start->name +
                                         "' has no matching done in '" + computation.name +
                                         "'; its window runs to the end of the computation");
    }
    return OkStatus();
  }

  CompiledModuleAnalysis Finish() && { return std::move(result_); }

 private:
  Status Visit(const Instruction& instruction, double multiplicity, int depth,
               std::unordered_map<const Instruction*, size_t>& open_starts) {
    switch (ClassifyCollective(instruction)) {
      case CollectiveRole::kSync:
      case CollectiveRole::kStart:
        return AddCollective(instruction, multiplicity, open_starts);
      case CollectiveRole::kDone:
        CloseWindow(instruction, open_starts);
        return OkStatus();
      case CollectiveRole::kUpdate:
        return OkStatus();
      case CollectiveRole::kNone:
        break;
    }
    const std::string& op = instruction.opcode;
    if (op == "while") return AddWhile(instruction, multiplicity, depth);
    if (op == "call" || op == "async-start") {
      for (const auto& called : instruction.called_computations)
        if (called.computation != nullptr)
          AOIZORA_RETURN_IF_ERROR(Walk(*called.computation, multiplicity, depth + 1));
      return OkStatus();
    }
    if (op == "conditional") return AddConditional(instruction, multiplicity, depth);
    // An async call without a collective (libtpu's SparseCore copies): it runs beside the
    // TensorCore's instruction stream, so neither its start, update nor done is TensorCore
    // compute. Its HBM traffic is not modelled (docs/hlo-analysis.md).
    if (op == "call-start" || op == "call-update" || op == "call-done") return OkStatus();
    return AddCompute(instruction, multiplicity);
  }

  Status AddCollective(const Instruction& instruction, double multiplicity,
                       std::unordered_map<const Instruction*, size_t>& open_starts) {
    AOIZORA_ASSIGN_OR_RETURN(auto collective, ExtractCollective(instruction, module_));
    if (!collective) return OkStatus();
    // All-reduce reduction flops (HloCostAnalysis counts one per output element).
    AOIZORA_ASSIGN_OR_RETURN(OpCost cost, InstructionCost(instruction));
    AddTotals(cost, multiplicity);
    const size_t index = result_.program.ops.size();
    if (collective->is_async) open_starts[&instruction] = index;
    result_.program.ops.push_back(StepOp{std::move(*collective), multiplicity});
    return OkStatus();
  }

  void CloseWindow(const Instruction& done,
                   std::unordered_map<const Instruction*, size_t>& open_starts) {
    const Instruction* start = done.operands.empty() ? nullptr : done.operands[0];
    while (start != nullptr && (IsAsyncWrapperUpdate(start->opcode) ||
                                ClassifyCollective(*start) == CollectiveRole::kUpdate))
      start = start->operands.empty() ? nullptr : start->operands[0];
    auto it = open_starts.find(start);
    if (it == open_starts.end()) return;
    auto& c = std::get<CollectiveOp>(result_.program.ops[it->second].op);
    c.window_begin = static_cast<int64_t>(it->second) + 1;
    c.window_end = static_cast<int64_t>(result_.program.ops.size());
    open_starts.erase(it);
  }

  Status AddWhile(const Instruction& instruction, double multiplicity, int depth) {
    ++result_.while_loops;
    std::optional<int64_t> trips = WhileTripCount(instruction);
    if (!trips) {
      result_.program.warnings.push_back(
          "while loop '" + instruction.name +
          "': trip count unknown (no known_trip_count, no induction-variable pattern); its body "
          "is counted once");
    }
    const double n = static_cast<double>(trips.value_or(1));
    if (multiplicity * n > kMaxLoopMultiplicity) {
      return InvalidArgument(hlo::InstructionLocation(module_, instruction) + ": while loop '" +
                             instruction.name + "': trip count " +
                             std::to_string(trips.value_or(1)) + " makes its body run " +
                             FormatCount(multiplicity * n) + " times per step, more than 2^53");
    }
    if (const Computation* cond = instruction.CalledComputationFor("condition"))
      AOIZORA_RETURN_IF_ERROR(Walk(*cond, multiplicity * (trips ? n + 1.0 : 1.0), depth + 1));
    if (const Computation* body = instruction.CalledComputationFor("body"))
      AOIZORA_RETURN_IF_ERROR(Walk(*body, multiplicity * n, depth + 1));
    return OkStatus();
  }

  Status AddConditional(const Instruction& instruction, double multiplicity, int depth) {
    // The most expensive branch by FLOPs (an upper bound on the step, as HloCostAnalysis).
    const Computation* best = nullptr;
    double best_flops = -1.0;
    for (const auto& called : instruction.called_computations) {
      if (called.computation == nullptr) continue;
      AOIZORA_ASSIGN_OR_RETURN(OpCost cost, ComputationCost(*called.computation));
      if (cost.flops + cost.transcendentals > best_flops) {
        best_flops = cost.flops + cost.transcendentals;
        best = called.computation;
      }
    }
    if (best == nullptr) return OkStatus();
    return Walk(*best, multiplicity, depth + 1);
  }

  Status AddCompute(const Instruction& instruction, double multiplicity) {
    AOIZORA_ASSIGN_OR_RETURN(OpCost cost, InstructionCost(instruction));
    if (cost.flops == 0.0 && cost.transcendentals == 0.0 && cost.bytes_accessed == 0.0 &&
        cost.matmuls.empty())
      return OkStatus();
    AddTotals(cost, multiplicity);
    ComputeOp c;
    c.name = instruction.name;
    c.opcode = instruction.opcode;
    c.flops = cost.flops;
    c.transcendentals = cost.transcendentals;
    c.bytes_accessed = cost.bytes_accessed;
    c.fast_memory_bytes = cost.fast_memory_bytes;
    c.kernel_flops = cost.kernel_flops;
    if (const auto cycles = ParseEstimatedCycles(instruction.backend_config)) {
      c.estimated_cycles = *cycles;
    }
    c.matmuls = std::move(cost.matmuls);
    result_.program.ops.push_back(StepOp{std::move(c), multiplicity});
    if (instruction.opcode == "fusion") return AddFusedCollectives(instruction, multiplicity);
    return OkStatus();
  }

  // Collectives inside a (synchronous) fusion: counted once each, after the fusion.
  Status AddFusedCollectives(const Instruction& fusion, double multiplicity) {
    const Computation* fused = fusion.CalledComputationFor("calls");
    if (fused == nullptr) return OkStatus();
    for (const Instruction& inner : fused->instructions) {
      if (ClassifyCollective(inner) != CollectiveRole::kSync) continue;
      AOIZORA_ASSIGN_OR_RETURN(auto collective, ExtractCollective(inner, module_));
      if (collective) result_.program.ops.push_back(StepOp{std::move(*collective), multiplicity});
    }
    return OkStatus();
  }

  void AddTotals(const OpCost& cost, double multiplicity) {
    result_.flops += cost.flops * multiplicity;
    result_.transcendentals += cost.transcendentals * multiplicity;
    result_.bytes_accessed += cost.bytes_accessed * multiplicity;
    result_.fast_memory_bytes += cost.fast_memory_bytes * multiplicity;
    result_.flops_once += cost.flops;
    result_.transcendentals_once += cost.transcendentals;
    result_.bytes_accessed_once += cost.bytes_accessed;
  }

  const hlo::Module& module_;
  CompiledModuleAnalysis result_;
};

}  // namespace

Result<CompiledModuleAnalysis> AnalyzeVerifiedModule(const hlo::Module& module) {
  if (module.entry == nullptr) return InvalidArgument("module '" + module.name + "' has no entry");
  Builder builder(module);
  AOIZORA_RETURN_IF_ERROR(builder.Walk(*module.entry, 1.0, 0));
  CompiledModuleAnalysis result = std::move(builder).Finish();
  result.program.module_name = module.name;
  result.program.num_partitions = module.num_partitions;
  return result;
}

namespace {

Result<CompiledModuleAnalysis> VerifyAndAnalyze(const hlo::Module& module,
                                                const AnalysisOptions& options,
                                                std::string_view text) {
  std::vector<std::string> warnings;
  AOIZORA_RETURN_IF_ERROR(hlo::VerifyModule(module, {options.strict}, warnings, text));
  AOIZORA_ASSIGN_OR_RETURN(CompiledModuleAnalysis result, AnalyzeVerifiedModule(module));
  auto& all = result.program.warnings;
  all.insert(all.begin(), warnings.begin(), warnings.end());
  return result;
}

}  // namespace

Result<CompiledModuleAnalysis> AnalyzeCompiledModule(const hlo::Module& module,
                                                     const AnalysisOptions& options) {
  return VerifyAndAnalyze(module, options, {});
}

Result<CompiledModuleAnalysis> AnalyzeCompiledText(std::string_view text, std::string_view filename,
                                                   const AnalysisOptions& options) {
  AOIZORA_ASSIGN_OR_RETURN(hlo::Module module, hlo::ParseModule(text, filename));
  return VerifyAndAnalyze(module, options, text);
}

Result<CompiledModuleAnalysis> AnalyzeCompiledFile(const std::string& path,
                                                   const AnalysisOptions& options) {
  AOIZORA_ASSIGN_OR_RETURN(hlo::Module module, hlo::ParseModuleFile(path));
  // Re-reading the file for the caret is not worth it: the message still says file:line:col.
  return VerifyAndAnalyze(module, options, {});
}

}  // namespace aoizora
