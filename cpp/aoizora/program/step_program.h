#pragma once
// The step program: one compiled SPMD module reduced to what the latency model needs. Built by
// program/ from compiled HLO (the HLO analyzer), replayed by placement/ (Q2) on a placement.
// Everything is per device (the SPMD program every device runs). The program does not depend on
// the placement: collectives name logical device ids (partition ids).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "aoizora/comm/collective.h"

namespace aoizora {

// One matrix multiplication inside a compute op, per device, as the matrix unit sees it:
// batch x [m, k] @ [k, n]. Q2 pads k and n (and m) up to the chip's MXU tile.
struct MatmulDims {
  int64_t batch = 1;
  int64_t m = 1;
  int64_t n = 1;
  int64_t k = 1;
};

struct ComputeOp {
  std::string name;    // HLO instruction name (e.g. "fusion.12")
  std::string opcode;  // HLO opcode ("fusion", "dot", "convolution", "custom-call", ...)
  double flops = 0.0;  // HloCostAnalysis conventions, inner FLOPs of fusions included
  double transcendentals = 0.0;
  double bytes_accessed = 0.0;     // bytes at the op boundary (HBM and fast memory)
  double fast_memory_bytes = 0.0;  // the part in on-chip fast memory (S(1), VMEM on TPU)
  double kernel_flops = 0.0;       // part of flops declared by a custom kernel (Pallas)
  // libtpu's estimate of one execution in TensorCore cycles (program/compiler_estimate.h); < 0
  // when the instruction carries none (CPU modules, Pallas kernels, some elementwise ops).
  double estimated_cycles = -1.0;
  bool has_compiler_estimate() const { return estimated_cycles >= 0.0; }
  std::vector<MatmulDims> matmuls;  // dots/convolutions inside (empty for non-matmul ops)
};

struct CollectiveOp {
  std::string name;  // the -start op, or the synchronous op
  CollectiveKind kind = CollectiveKind::kAllGather;
  double payload_bytes = 0.0;  // per device, hlo-text.md section 7 "payload" column
  int64_t group_size = 1;      // largest group (2 for a permute)
  DeviceGroups groups;         // logical ids; empty for collective-permute
  SourceTargetPairs pairs;     // collective-permute only
  bool is_async = false;
  // Async window: the compute ops that run between -start and -done, as indices into
  // StepProgram::ops of the same (expanded) sequence: [window_begin, window_end). Empty for sync.
  int64_t window_begin = 0;
  int64_t window_end = 0;

  // The comm model's view (V = full array per group).
  Collective ToCollective() const;
};

struct StepOp {
  std::variant<ComputeOp, CollectiveOp> op;
  // How many times this op runs per step (product of enclosing while-loop trip counts). Ops are
  // listed once per loop body, in schedule order; a collective's window indexes ops of the same
  // body.
  double multiplicity = 1.0;
};

struct StepProgram {
  std::string module_name;
  int64_t num_partitions = 1;
  std::vector<StepOp> ops;            // entry computation in schedule order, calls inlined
  std::vector<std::string> warnings;  // e.g. a while loop whose trip count is unknown
};

}  // namespace aoizora
