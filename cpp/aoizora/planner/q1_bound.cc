#include "aoizora/planner/q1_bound.h"

#include <algorithm>
#include <cstdio>

#include "aoizora/placement/compute_model.h"

namespace aoizora {
namespace {

// Bytes the busiest receiver of one group must take in (hlo-text.md section 7, in terms of the
// comm model's V: all-to-all V spans the group, each device keeps 1/G of its own share). A
// permute whose pairs all send to themselves moves nothing.
double BytesReceivedPerDevice(const Collective& c) {
  if (c.kind == CollectiveKind::kCollectivePermute) {
    for (const auto& [source, target] : c.pairs) {
      if (source != target) return c.array_bytes;
    }
    return 0.0;
  }
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

// Q2 (placement/compute_model.h) runs a dot at the narrow efficiency when its k or n is at most
// one tile. XLA may swap a dot's operands (n changes) but never its contraction, so the bound
// takes the narrow class only when k alone decides it, and the wide (faster) one otherwise.
double BoundEfficiency(const MatmulDims& dims, const placement::ComputeConstants& c) {
  if (c.source == placement::ComputeSource::kCompiler) return 1.0;
  return dims.k <= c.mxu_tile ? c.narrow_matmul_efficiency : c.matmul_efficiency;
}

std::string Gigabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GB", bytes / 1e9);
  return buf;
}

// Q1Bound::estimate_seconds.
double EstimateSeconds(const Q1Bound& q1) {
  const auto it = q1.comm_seconds_by_kind.find(
      std::string(CollectiveKindName(CollectiveKind::kCollectivePermute)));
  const double overlapped = it == q1.comm_seconds_by_kind.end() ? 0.0 : it->second;
  return q1.compute_seconds + (q1.comm_seconds - overlapped) +
         std::max(0.0, overlapped - q1.compute_seconds);
}

}  // namespace

double IngressBytesPerSecond(const ChipSpec& chip) {
  return chip.ici_links_per_chip * chip.ici_link_one_way.bytes_per_second +
         chip.die_to_die_one_way.bytes_per_second;
}

double CollectiveLowerBoundSeconds(const Collective& collective, double count,
                                   const ChipSpec& chip) {
  return count * BytesReceivedPerDevice(collective) / IngressBytesPerSecond(chip);
}

double TopologyBlindSeconds(const PrecompileAnalysis& analysis, const ChipSpec& chip) {
  const auto constants = placement::ComputeConstants::FromChip(chip);
  double seconds = analysis.flops_per_device / constants.peak_flops_per_second;
  const double alpha = chip.collective_fixed_latency.value;
  const double beta = 1.0 / chip.ici_link_one_way.bytes_per_second;
  for (const PrecompileCollective& pc : analysis.collectives) {
    const double bytes = BytesReceivedPerDevice(pc.collective);
    if (bytes > 0.0) seconds += pc.count * (alpha + beta * bytes);
  }
  return seconds;
}

Result<Q1Bound> ComputeQ1(const PrecompileAnalysis& analysis, const ChipSpec& chip,
                          placement::ComputeSource source) {
  if (analysis.num_devices < 1) {
    return InvalidArgument("pre-compile module has " + std::to_string(analysis.num_devices) +
                           " devices");
  }
  const auto constants = placement::ComputeConstants::FromChip(chip, source);
  Q1Bound q1;
  for (const PrecompileMatmul& mm : analysis.matmuls) {
    q1.compute_seconds += mm.flops_per_device /
                          (constants.peak_flops_per_second * BoundEfficiency(mm.dims, constants));
  }
  // Custom kernels' declared FLOPs: Q2 runs them at the attention efficiency (compute_model.h).
  q1.compute_seconds += analysis.kernel_flops_per_device /
                        (constants.peak_flops_per_second * constants.narrow_matmul_efficiency);
  bool moves_bytes = false;
  for (const PrecompileCollective& pc : analysis.collectives) {
    const double seconds = CollectiveLowerBoundSeconds(pc.collective, pc.count, chip);
    q1.comm_seconds += seconds;
    if (seconds > 0.0)
      q1.comm_seconds_by_kind[std::string(CollectiveKindName(pc.collective.kind))] += seconds;
    moves_bytes = moves_bytes || seconds > 0.0;
  }
  // XLA may combine the module's collectives into fewer, so only one collective's latency is
  // certain to be paid.
  if (moves_bytes) {
    q1.comm_seconds += chip.collective_fixed_latency.value + chip.ici_hop_latency.value;
  }
  q1.seconds = std::max(q1.compute_seconds, q1.comm_seconds);
  q1.estimate_seconds = EstimateSeconds(q1);
  q1.parameter_bytes_per_device = analysis.parameter_bytes_per_device;
  q1.hbm_bytes = chip.hbm_bytes / static_cast<double>(chip.cores_per_chip);
  if (q1.parameter_bytes_per_device > q1.hbm_bytes) {
    q1.fits_memory = false;
    q1.memory_reason = "parameters alone need " + Gigabytes(q1.parameter_bytes_per_device) +
                       " per device, HBM holds " + Gigabytes(q1.hbm_bytes);
  }
  q1.flops_per_device = analysis.flops_per_device;
  q1.alpha_beta_seconds = TopologyBlindSeconds(analysis, chip);
  q1.num_collectives = static_cast<int64_t>(analysis.collectives.size());
  q1.warnings = analysis.warnings;
  return q1;
}

}  // namespace aoizora
