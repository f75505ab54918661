#pragma once
// Compute side of Q2: the time of one compute op of the step program on one device, from one of
// two sources (ComputeSource):
//
// kRoofline (ours; the only one for modules without estimates, e.g. the CPU compiler): the op's
// units run pipelined, so its time is the slowest of
//   MXU:    matmul FLOPs, m/n/k padded to the MXU tile (128 on v5e, 256 on v6e), at
//           peak x efficiency (narrow contractions, k or n at most one tile, at the attention
//           efficiency; wider ones at the matmul efficiency);
//   kernel: FLOPs a custom kernel declares for itself (Pallas, kernel_cost.h) at the attention
//           efficiency (its only measurement, C6, is such a kernel, softmax included);
//   VPU:    the other FLOPs (elementwise, reductions) at vpu_ops_per_cycle x clock;
//   EUP:    transcendentals outside kernels at transcendentals_per_cycle x clock;
//   memory: (HBM bytes + fast-memory bytes / ratio) / (HBM bandwidth x HBM efficiency). Fast-
//           memory bytes are those of arrays XLA placed in S(1) (VMEM on TPU), which move at
//           `ratio` (22, chip table) times the HBM rate. Relayout copies and transposes are
//           memory ops like any other: their bytes decide their time.
// kCompiler (libtpu's own estimate): estimated_cycles / TensorCore clock for every op that carries
// an estimate (compiler_estimate.h); an op without one (Pallas kernels, some elementwise ops)
// falls back to the roofline above.
//
// Constants come from the chip table (topology/chip_spec.h, sourced there). All of it is a model
// prediction.

#include <cstdint>
#include <string_view>

#include "aoizora/program/step_program.h"
#include "aoizora/topology/chip_spec.h"
#include "aoizora/util/result.h"

namespace aoizora::placement {

enum class ComputeSource { kCompiler, kRoofline };
// "compiler" | "roofline"; the error names the bad value.
Result<ComputeSource> ParseComputeSource(std::string_view name);
std::string_view ComputeSourceName(ComputeSource source);

struct ComputeConstants {
  double peak_flops_per_second = 0.0;  // per device
  double hbm_bytes_per_second = 0.0;   // per device
  int64_t mxu_tile = 128;
  double matmul_efficiency = 1.0;
  double narrow_matmul_efficiency = 1.0;
  double hbm_efficiency = 1.0;
  double fast_memory_bandwidth_ratio = 1.0;  // fast-memory (S(1)) bandwidth / HBM bandwidth
  // Per device; 0 disables the term (tests of the MXU/memory sides alone).
  double vector_ops_per_second = 0.0;
  double transcendentals_per_second = 0.0;
  // Cycles of libtpu's estimates per second of one device (its TensorCore clock; a megacore
  // device's cores run in parallel, so its estimate is already per device).
  double clock_hz = 0.0;
  ComputeSource source = ComputeSource::kRoofline;

  // Per JAX device: a chip's peak, HBM bandwidth and vector units split over its devices (2 on
  // tpu7x); megacore chips (v4, v5p) give their one device both TensorCores' vector units.
  static ComputeConstants FromChip(const ChipSpec& chip,
                                   ComputeSource source = ComputeSource::kRoofline);
};

int64_t RoundUpToTile(int64_t dim, int64_t tile);
// 2 x batch x m x n x k with m, n, k rounded up to the tile.
double PaddedMatmulFlops(const MatmulDims& dims, int64_t tile);
double MatmulFlops(const MatmulDims& dims);

struct ComputeTime {
  double seconds = 0.0;           // by the constants' source
  double roofline_seconds = 0.0;  // max of the five sides below
  // libtpu's estimate in seconds; < 0 when the op has none.
  double compiler_seconds = -1.0;
  bool from_compiler = false;           // `seconds` is the compiler's estimate
  double flop_seconds = 0.0;            // MXU + kernel: the matrix side of the roofline
  double vector_seconds = 0.0;          // VPU side
  double transcendental_seconds = 0.0;  // EUP side
  double memory_seconds = 0.0;          // the memory side (HBM plus fast memory)
  double padded_flops = 0.0;            // matmul FLOPs after padding plus the other FLOPs
  // The roofline side that decides roofline_seconds: "mxu", "vpu", "eup" or "memory".
  std::string_view bound() const;
};

ComputeTime ComputeOpTime(const ComputeOp& op, const ComputeConstants& constants);

}  // namespace aoizora::placement
