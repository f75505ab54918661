#include "aoizora/placement/compute_model.h"

#include <algorithm>

namespace aoizora::placement {

ComputeConstants ComputeConstants::FromChip(const ChipSpec& chip) {
  const double devices = static_cast<double>(std::max(1, chip.cores_per_chip));
  ComputeConstants c;
  c.peak_flops_per_second = chip.bf16_peak.flops_per_second / devices;
  c.hbm_bytes_per_second = chip.hbm_bandwidth.bytes_per_second / devices;
  c.mxu_tile = chip.mxu_tile;
  c.matmul_efficiency = chip.matmul_efficiency;
  c.narrow_matmul_efficiency = chip.attention_efficiency;
  c.hbm_efficiency = chip.hbm_efficiency;
  c.fast_memory_bandwidth_ratio = chip.fast_memory_bandwidth_ratio;
  return c;
}

int64_t RoundUpToTile(int64_t dim, int64_t tile) {
  if (tile <= 1) return std::max<int64_t>(dim, 1);
  return std::max<int64_t>(1, (dim + tile - 1) / tile) * tile;
}

double MatmulFlops(const MatmulDims& d) {
  return 2.0 * static_cast<double>(d.batch) * static_cast<double>(d.m) * static_cast<double>(d.n) *
         static_cast<double>(d.k);
}

double PaddedMatmulFlops(const MatmulDims& d, int64_t tile) {
  return 2.0 * static_cast<double>(d.batch) * static_cast<double>(RoundUpToTile(d.m, tile)) *
         static_cast<double>(RoundUpToTile(d.n, tile)) *
         static_cast<double>(RoundUpToTile(d.k, tile));
}

ComputeTime ComputeOpTime(const ComputeOp& op, const ComputeConstants& c) {
  ComputeTime t;
  double matmul_flops = 0.0;
  for (const MatmulDims& d : op.matmuls) {
    const double padded = PaddedMatmulFlops(d, c.mxu_tile);
    const bool narrow = std::min(d.k, d.n) <= c.mxu_tile;
    const double efficiency = narrow ? c.narrow_matmul_efficiency : c.matmul_efficiency;
    t.flop_seconds += padded / (c.peak_flops_per_second * efficiency);
    t.padded_flops += padded;
    matmul_flops += MatmulFlops(d);
  }
  // FLOPs outside the listed matmuls (elementwise work, or a matmul the analyzer could not
  // describe); at the matmul rate they are negligible next to their HBM traffic, as they should be.
  // A custom kernel's declared FLOPs (Pallas) run at the attention efficiency: the only measured
  // kernel (C6) is a Pallas attention kernel, and attention is what such kernels are for here.
  const double kernel = std::clamp(op.kernel_flops, 0.0, std::max(0.0, op.flops - matmul_flops));
  t.flop_seconds += kernel / (c.peak_flops_per_second * c.narrow_matmul_efficiency);
  t.padded_flops += kernel;
  const double other = std::max(0.0, op.flops - matmul_flops - kernel);
  t.flop_seconds += other / (c.peak_flops_per_second * c.matmul_efficiency);
  t.padded_flops += other;
  const double fast = std::clamp(op.fast_memory_bytes, 0.0, op.bytes_accessed);
  const double ratio = std::max(1.0, c.fast_memory_bandwidth_ratio);
  t.memory_seconds =
      (op.bytes_accessed - fast + fast / ratio) / (c.hbm_bytes_per_second * c.hbm_efficiency);
  t.seconds = std::max(t.flop_seconds, t.memory_seconds);
  return t;
}

}  // namespace aoizora::placement
