#include "aoizora/placement/compute_profile.h"

#include <algorithm>
#include <unordered_map>

namespace aoizora::placement {

ComputeProfile ProfileCompute(const StepProgram& program, const ComputeConstants& constants) {
  ComputeProfile profile;
  // An op listed twice under one name (the same instruction reached through two call sites)
  // is one row with both counts.
  std::unordered_map<std::string, size_t> row_of;
  for (const StepOp& step : program.ops) {
    const auto* op = std::get_if<ComputeOp>(&step.op);
    if (op == nullptr || !(step.multiplicity > 0.0)) continue;
    const ComputeTime t = ComputeOpTime(*op, constants);
    const double seconds = t.seconds * step.multiplicity;
    profile.seconds += seconds;
    profile.flop_seconds += t.flop_seconds * step.multiplicity;
    if (!op->matmuls.empty()) profile.matmul_op_seconds += seconds;
    if (t.bound() == "memory") profile.memory_bound_seconds += seconds;
    const bool estimated = t.compiler_seconds >= 0.0;
    profile.roofline_seconds += t.roofline_seconds * step.multiplicity;
    profile.compiler_seconds +=
        (estimated ? t.compiler_seconds : t.roofline_seconds) * step.multiplicity;
    auto [it, inserted] = row_of.emplace(op->name, profile.ops.size());
    if (!inserted) {
      ComputeOpProfile& row = profile.ops[it->second];
      row.count += step.multiplicity;
      row.seconds += seconds;
      continue;
    }
    ComputeOpProfile row;
    row.name = op->name;
    row.opcode = op->opcode;
    row.count = step.multiplicity;
    row.each = t;
    row.seconds = seconds;
    row.bytes_accessed = op->bytes_accessed;
    row.fast_memory_bytes = op->fast_memory_bytes;
    row.has_matmul = !op->matmuls.empty();
    ++(estimated ? profile.ops_with_estimate : profile.ops_without_estimate);
    profile.ops.push_back(std::move(row));
  }
  std::sort(profile.ops.begin(), profile.ops.end(),
            [](const ComputeOpProfile& a, const ComputeOpProfile& b) {
              if (a.seconds != b.seconds) return a.seconds > b.seconds;
              return a.name < b.name;
            });
  return profile;
}

}  // namespace aoizora::placement
