#pragma once
// Compute side of Q2: the roofline time of one compute op of the step program on one device,
// with matrix-unit padding (architecture.md stage 3). A matmul batch x [m,k] @ [k,n] runs on the
// MXU in tile x tile blocks, so m, k and n are rounded up to the tile (128 on v5e, 256 on v6e):
// a shard with 64 heads' worth of width costs what 128 would. The op's time is
//   max(matmul FLOPs (padded) / (peak x efficiency) + other FLOPs / (peak x matmul efficiency),
//       (HBM bytes + fast-memory bytes / ratio) / (HBM bandwidth x HBM efficiency)).
// Fast-memory bytes are those of arrays XLA's memory-space assignment placed in S(1) (VMEM on
// TPU; e.g. the score blocks of blockwise attention): they move at `ratio` (22, chip table)
// times the HBM bandwidth instead of being charged as HBM traffic.
// FLOPs a custom kernel declares for itself (Pallas, kernel_cost.h) run at the attention
// efficiency (its only measurement, C6, is such a kernel). Efficiencies come from the chip table
// (topology/chip_spec.h, sourced there): narrow contractions (k or n at most one tile, e.g.
// attention with head dim 128) run at the attention efficiency, wider ones at the matmul
// efficiency. All of it is a model prediction.

#include <cstdint>

#include "aoizora/program/step_program.h"
#include "aoizora/topology/chip_spec.h"

namespace aoizora::placement {

struct ComputeConstants {
  double peak_flops_per_second = 0.0;  // per device
  double hbm_bytes_per_second = 0.0;   // per device
  int64_t mxu_tile = 128;
  double matmul_efficiency = 1.0;
  double narrow_matmul_efficiency = 1.0;
  double hbm_efficiency = 1.0;
  double fast_memory_bandwidth_ratio = 1.0;  // fast-memory (S(1)) bandwidth / HBM bandwidth

  // Per JAX device: a chip's peak and HBM bandwidth split over its devices (2 on tpu7x).
  static ComputeConstants FromChip(const ChipSpec& chip);
};

int64_t RoundUpToTile(int64_t dim, int64_t tile);
// 2 x batch x m x n x k with m, n, k rounded up to the tile.
double PaddedMatmulFlops(const MatmulDims& dims, int64_t tile);
double MatmulFlops(const MatmulDims& dims);

struct ComputeTime {
  double seconds = 0.0;
  double flop_seconds = 0.0;    // the compute side of the roofline
  double memory_seconds = 0.0;  // the memory side (HBM plus fast memory)
  double padded_flops = 0.0;    // matmul FLOPs after padding plus the other FLOPs
};

ComputeTime ComputeOpTime(const ComputeOp& op, const ComputeConstants& constants);

}  // namespace aoizora::placement
