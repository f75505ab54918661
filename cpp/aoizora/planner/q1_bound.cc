#include "aoizora/planner/q1_bound.h"

#include <algorithm>
#include <cstdio>

namespace aoizora {
namespace {

// Bytes the busiest receiver of one group must take in (hlo-text.md section 7, in terms of the
// comm model's V: all-to-all V spans the group, each device keeps 1/G of its own share).
double BytesReceivedPerDevice(const Collective& c) {
  if (c.kind == CollectiveKind::kCollectivePermute) return c.pairs.empty() ? 0.0 : c.array_bytes;
  size_t group_size = 0;
  for (const auto& g : c.groups) group_size = std::max(group_size, g.size());
  if (group_size <= 1) return 0.0;
  const double g = static_cast<double>(group_size);
  const double fraction = (g - 1.0) / g;
  switch (c.kind) {
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
      return fraction * c.array_bytes;
    case CollectiveKind::kAllReduce:
      return 2.0 * fraction * c.array_bytes;
    case CollectiveKind::kAllToAll:
      return fraction * c.array_bytes / g;
    case CollectiveKind::kCollectivePermute:
      break;
  }
  return 0.0;
}

// Dots whose contraction or output width fits in one MXU tile run at the attention efficiency
// (placement/compute_model.h uses the same rule on the compiled dims).
double ClassEfficiency(const MatmulDims& dims, const ChipSpec& chip) {
  const bool narrow = dims.k <= chip.mxu_tile || dims.n <= chip.mxu_tile;
  return narrow ? chip.attention_efficiency : chip.matmul_efficiency;
}

std::string Gigabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GB", bytes / 1e9);
  return buf;
}

}  // namespace

double CollectiveLowerBoundSeconds(const Collective& collective, double count,
                                   const ChipSpec& chip) {
  const double received = BytesReceivedPerDevice(collective);
  if (received <= 0.0) return 0.0;
  const double ingress = chip.ici_links_per_chip * chip.ici_link_one_way.bytes_per_second +
                         chip.die_to_die_one_way.bytes_per_second;
  const double once =
      chip.collective_fixed_latency.value + chip.ici_hop_latency.value + received / ingress;
  return count * once;
}

double TopologyBlindSeconds(const PrecompileAnalysis& analysis, const ChipSpec& chip) {
  const double peak = chip.bf16_peak.flops_per_second / static_cast<double>(chip.cores_per_chip);
  double seconds = analysis.flops_per_device / peak;
  const double alpha = chip.collective_fixed_latency.value;
  const double beta = 1.0 / chip.ici_link_one_way.bytes_per_second;
  for (const PrecompileCollective& pc : analysis.collectives) {
    const Collective& c = pc.collective;
    double bytes = 0.0;
    if (c.kind == CollectiveKind::kCollectivePermute) {
      bytes = c.pairs.empty() ? 0.0 : c.array_bytes;
    } else {
      size_t n = 0;
      for (const auto& g : c.groups) n = std::max(n, g.size());
      if (n <= 1) continue;
      const double fraction = static_cast<double>(n - 1) / static_cast<double>(n);
      bytes = fraction * c.array_bytes;
      if (c.kind == CollectiveKind::kAllReduce) bytes *= 2.0;
      if (c.kind == CollectiveKind::kAllToAll) bytes /= static_cast<double>(n);
    }
    seconds += pc.count * (alpha + beta * bytes);
  }
  return seconds;
}

Result<Q1Bound> ComputeQ1(const PrecompileAnalysis& analysis, const ChipSpec& chip) {
  if (analysis.num_devices < 1) {
    return InvalidArgument("pre-compile module has " + std::to_string(analysis.num_devices) +
                           " devices");
  }
  Q1Bound q1;
  const double peak_per_device =
      chip.bf16_peak.flops_per_second / static_cast<double>(chip.cores_per_chip);
  for (const PrecompileMatmul& mm : analysis.matmuls) {
    q1.compute_seconds += mm.flops_per_device / (peak_per_device * ClassEfficiency(mm.dims, chip));
  }
  for (const PrecompileCollective& pc : analysis.collectives) {
    q1.comm_seconds += CollectiveLowerBoundSeconds(pc.collective, pc.count, chip);
  }
  q1.seconds = std::max(q1.compute_seconds, q1.comm_seconds);
  q1.parameter_bytes_per_device = analysis.parameter_bytes_per_device;
  q1.hbm_bytes = chip.hbm_bytes / static_cast<double>(chip.cores_per_chip);
  if (q1.parameter_bytes_per_device > q1.hbm_bytes) {
    q1.fits_memory = false;
    q1.memory_reason = "parameters alone need " + Gigabytes(q1.parameter_bytes_per_device) +
                       " per device, HBM holds " + Gigabytes(q1.hbm_bytes);
  }
  return q1;
}

}  // namespace aoizora
