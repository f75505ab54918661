#pragma once
// Per-instruction cost with XLA's HloCostAnalysis conventions (shared/reference/hlo-text.md
// section 8.1): dot = 2 x output elements x contracting size; convolution = 2 x (in features /
// feature groups) x out features x (batch / batch groups) x valid kernel-output position pairs;
// elementwise = output elements, transcendental opcodes counted separately; reduce = reducer
// flops x (input - output elements); fusions at their boundary with the inner FLOPs summed.
// Bytes: output + operands by default, with the 8.1 exceptions (free ops, slices, fusions); the
// bytes of arrays laid out in memory space S(1) are also counted apart (fast_memory_bytes). A
// custom-call that declares its cost (Pallas kernels) costs what it declares, as in XLA.
//
// Control flow (while, call, conditional, async wrappers) is the step-program builder's job: here
// a while/call/conditional costs what its called computations cost once (XLA's convention).

#include <vector>

#include "aoizora/hlo/computation.h"
#include "aoizora/hlo/instruction.h"
#include "aoizora/program/step_program.h"
#include "aoizora/util/result.h"

namespace aoizora {

struct OpCost {
  double flops = 0.0;
  double transcendentals = 0.0;
  double bytes_accessed = 0.0;
  // The part of bytes_accessed whose arrays live in the fast on-chip memory space S(1) (VMEM on
  // TPU: XLA's memory-space assignment put them there), which is not HBM traffic.
  double fast_memory_bytes = 0.0;
  // FLOPs a custom kernel declares for itself (a Pallas kernel's cost_estimate; kernel_cost.h).
  double kernel_flops = 0.0;
  std::vector<MatmulDims> matmuls;  // dots/convolutions, fused ones included

  OpCost& operator+=(const OpCost& other);
};

// The cost of one instruction. Errors only for shapes the analysis cannot size (unknown element
// type, unbounded dims), naming the instruction.
Result<OpCost> InstructionCost(const hlo::Instruction& instruction);

// Sum over a computation's instructions (nested computations followed as above); bytes are the
// instructions' own bytes (use InstructionCost on a fusion for boundary bytes).
Result<OpCost> ComputationCost(const hlo::Computation& computation);

// The matrix-unit view of a dot or convolution (per device); nullopt for other opcodes.
Result<MatmulDims> DotMatmulDims(const hlo::Instruction& dot);
Result<MatmulDims> ConvolutionMatmulDims(const hlo::Instruction& convolution);

// The memory space of on-chip fast memory in layouts (`S(1)`; hlo-text.md section 4).
inline constexpr int64_t kFastMemorySpace = 1;
// Bytes of the array leaves of `shape` laid out in kFastMemorySpace (0 for unsized leaves).
double FastMemoryBytes(const hlo::Shape& shape);

// True for the opcodes HloCostAnalysis counts as transcendentals (exp, log, tanh, ...).
bool IsTranscendentalOpcode(std::string_view opcode);
// True for the elementwise opcodes that cost one flop (or transcendental) per output element.
bool IsElementwiseOpcode(std::string_view opcode);

}  // namespace aoizora
