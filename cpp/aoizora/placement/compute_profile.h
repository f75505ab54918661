#pragma once
// Where a step's predicted compute time goes: the compute ops of a step program ranked by their
// share of Q2's compute clock (compute_model.h), with the side of the roofline that bounds each.
// Placement does not change it, so it is computed once per compiled program. A model prediction.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/placement/compute_model.h"
#include "aoizora/program/step_program.h"

namespace aoizora::placement {

struct ComputeOpProfile {
  std::string name;                // HLO instruction (first occurrence when a name repeats)
  std::string opcode;              // "fusion", "convolution", ...
  double count = 0.0;              // runs per step (loop trip counts included)
  ComputeTime each;                // one run
  double seconds = 0.0;            // count x each.seconds
  double bytes_accessed = 0.0;     // one run
  double fast_memory_bytes = 0.0;  // one run, the S(1) part
  bool has_matmul = false;
  bool memory_bound() const { return each.bound() == "memory"; }
};

struct ComputeProfile {
  double seconds = 0.0;               // all compute ops: Q2's compute_seconds
  double matmul_op_seconds = 0.0;     // ops with a dot or convolution inside
  double memory_bound_seconds = 0.0;  // ops whose HBM/fast-memory side decides their time
  double flop_seconds = 0.0;          // the FLOP side of every op, summed (count included)
  double roofline_seconds = 0.0;      // every op at the roofline
  double compiler_seconds = 0.0;      // ops with an estimate at libtpu's, the rest at the roofline
  int64_t ops_with_estimate = 0;      // distinct rows
  int64_t ops_without_estimate = 0;
  std::vector<ComputeOpProfile> ops;  // slowest first (count included); ties by name
};

ComputeProfile ProfileCompute(const StepProgram& program, const ComputeConstants& constants);

}  // namespace aoizora::placement
