#include "aoizora/placement/compute_model.h"

#include <algorithm>
#include <string>

namespace aoizora::placement {

Result<ComputeSource> ParseComputeSource(std::string_view name) {
  if (name == "compiler") return ComputeSource::kCompiler;
  if (name == "roofline") return ComputeSource::kRoofline;
  return InvalidArgument("unknown compute source '" + std::string(name) +
                         "'; known: compiler, roofline");
}

std::string_view ComputeSourceName(ComputeSource source) {
  return source == ComputeSource::kCompiler ? "compiler" : "roofline";
}

ComputeConstants ComputeConstants::FromChip(const ChipSpec& chip, ComputeSource source) {
  const double devices = static_cast<double>(std::max(1, chip.cores_per_chip));
  const double cores_per_device =
      static_cast<double>(std::max(1, chip.tensorcores_per_chip)) / devices;
  ComputeConstants c;
  c.peak_flops_per_second = chip.bf16_peak.flops_per_second / devices;
  c.hbm_bytes_per_second = chip.hbm_bandwidth.bytes_per_second / devices;
  c.mxu_tile = chip.mxu_tile;
  c.matmul_efficiency = chip.matmul_efficiency;
  c.narrow_matmul_efficiency = chip.attention_efficiency;
  c.hbm_efficiency = chip.hbm_efficiency;
  c.fast_memory_bandwidth_ratio = chip.fast_memory_bandwidth_ratio;
  const double clock = chip.tensorcore_clock.hertz;
  c.vector_ops_per_second = chip.vpu_ops_per_cycle * clock * cores_per_device;
  c.transcendentals_per_second = chip.transcendentals_per_cycle * clock * cores_per_device;
  c.clock_hz = clock;
  c.source = source;
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

std::string_view ComputeTime::bound() const {
  const double top = std::max({flop_seconds, vector_seconds, transcendental_seconds});
  if (memory_seconds > top) return "memory";
  if (flop_seconds >= top) return "mxu";
  return vector_seconds >= transcendental_seconds ? "vpu" : "eup";
}

namespace {

double Rate(double amount, double per_second) {
  return per_second > 0.0 && amount > 0.0 ? amount / per_second : 0.0;
}

}  // namespace

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
  const double kernel = std::clamp(op.kernel_flops, 0.0, std::max(0.0, op.flops - matmul_flops));
  t.flop_seconds += kernel / (c.peak_flops_per_second * c.narrow_matmul_efficiency);
  t.padded_flops += kernel;
  // FLOPs outside matmuls and kernels run on the vector unit. Without a VPU rate (tests of the
  // other sides) they fall back to the matmul rate, where they are negligible.
  const double other = std::max(0.0, op.flops - matmul_flops - kernel);
  t.padded_flops += other;
  if (c.vector_ops_per_second > 0.0) {
    t.vector_seconds = other / c.vector_ops_per_second;
  } else {
    t.flop_seconds += other / (c.peak_flops_per_second * c.matmul_efficiency);
  }
  // A kernel's transcendentals are inside its measured efficiency (C6 includes the softmax).
  if (!(op.kernel_flops > 0.0)) {
    t.transcendental_seconds = Rate(op.transcendentals, c.transcendentals_per_second);
  }
  const double fast = std::clamp(op.fast_memory_bytes, 0.0, op.bytes_accessed);
  const double ratio = std::max(1.0, c.fast_memory_bandwidth_ratio);
  t.memory_seconds =
      (op.bytes_accessed - fast + fast / ratio) / (c.hbm_bytes_per_second * c.hbm_efficiency);
  t.roofline_seconds =
      std::max({t.flop_seconds, t.vector_seconds, t.transcendental_seconds, t.memory_seconds});
  if (op.has_compiler_estimate() && c.clock_hz > 0.0) {
    t.compiler_seconds = op.estimated_cycles / c.clock_hz;
  }
  t.from_compiler = c.source == ComputeSource::kCompiler && t.compiler_seconds >= 0.0;
  t.seconds = t.from_compiler ? t.compiler_seconds : t.roofline_seconds;
  return t;
}

}  // namespace aoizora::placement
