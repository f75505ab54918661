#pragma once
// Q1: the pre-compile lower bound of a candidate's best predicted step latency (architecture.md
// stage 1). From the lowered, not yet partitioned module (PrecompileAnalysis) and the chip:
//
//   compute >= sum over dots of FLOPs / (peak x efficiency of the dot's class)
//              + custom kernels' declared FLOPs / (peak x attention efficiency), as Q2 runs them
//   comm    >= sum over collectives of bytes a device must receive / the most it can receive per
//              second (all its ICI links, plus the die-to-die link), + one collective's latency
//   Q1 = max(compute, comm)
//
// Why this bounds Q2 (placement/q2_model.h) for every placement: Q2 replays compute and
// collectives on one queue each per device, so a step lasts at least as long as either queue;
// every compute op costs at least its FLOPs at the class efficiency (padding and the HBM side only
// add); every collective of the comm model delivers its bytes over the receiving chip's links,
// each at most W_1 under the default fair contention law (the measured x0.66 law lets a shared
// link carry more than W_1: the bound assumes the default). A dot is charged the narrow class
// only when its contraction k fits one MXU tile, which no operand swap by XLA changes. Latency:
// XLA may combine collectives, so only one collective's latency is certain. Per-device FLOPs
// come from the pre-compile analysis, exact inside manual (shard_map) regions and an upper
// estimate where its sharding propagation gives up (program/precompile_analysis.h). The bound
// is measured against Q2 on fixtures and scenarios, not assumed (docs/planner.md).
//
// Memory: per-device parameter bytes must fit the chip's HBM; activations only add.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aoizora/placement/compute_model.h"
#include "aoizora/program/precompile_analysis.h"
#include "aoizora/topology/chip_spec.h"
#include "aoizora/util/result.h"

namespace aoizora {

struct Q1Bound {
  double seconds = 0.0;          // max(compute, comm): a model prediction's lower bound
  double compute_seconds = 0.0;  // dots and convolutions at their class efficiency
  double comm_seconds = 0.0;     // all collectives on ideal links
  // comm_seconds without the latency term, by collective kind ("all-to-all", ...).
  std::map<std::string, double> comm_seconds_by_kind;
  // Not a bound: an estimate of the best Q2 that orders compiles (CandidateBound::priority).
  // Collective-permutes (ring attention's K/V hops) overlap compute: XLA makes them async and
  // schedules them beside the hop's attention (every compiled ring candidate does), so only
  // their excess over compute counts; the other collectives (all-to-all, all-gather, ...)
  // compile synchronous and add to it.
  double estimate_seconds = 0.0;
  double parameter_bytes_per_device = 0.0;
  double hbm_bytes = 0.0;  // per device
  bool fits_memory = true;
  std::string memory_reason;  // set when it does not fit
  // What the bound was computed from, for reports: the analysis' per-device FLOPs, its number of
  // collectives and warnings, and the topology-blind alpha-beta cost (TopologyBlindSeconds).
  double flops_per_device = 0.0;
  double alpha_beta_seconds = 0.0;
  int64_t num_collectives = 0;
  std::vector<std::string> warnings;
};

// The topology-blind cost XLA's auto-sharding uses (tpu-hardware.md section 3, last paragraph;
// auto_sharding cluster_environment): per collective alpha + beta x (n-1)/n x bytes per device
// (x2 for all-reduce, x1/n for all-to-all whose per-device buffer is V/n; a permute moves its
// bytes once), with alpha = the fixed collective latency and beta = 1 / W_1 on every axis: no
// wraparound, placement or contention. Plus dot FLOPs at peak. Baseline (a) picks the candidate
// that minimizes it.
double TopologyBlindSeconds(const PrecompileAnalysis& analysis, const ChipSpec& chip);

// The most bytes per second one device can receive: all its ICI links plus the die-to-die link.
double IngressBytesPerSecond(const ChipSpec& chip);

// Lower bound of the bandwidth part of `count` runs of one collective on the comm model, over
// every placement (latency excluded: see ComputeQ1).
double CollectiveLowerBoundSeconds(const Collective& collective, double count,
                                   const ChipSpec& chip);

// `source` is the compute source of the Q2 it bounds (compute_model.h). Under kCompiler the
// matmuls are bounded at the MXU peak: libtpu's cycles at the TensorCore clock never claim more
// than the peak (the clock is derived from it), while its efficiency may beat our fitted one.
Result<Q1Bound> ComputeQ1(const PrecompileAnalysis& analysis, const ChipSpec& chip,
                          placement::ComputeSource source = placement::ComputeSource::kRoofline);

}  // namespace aoizora
