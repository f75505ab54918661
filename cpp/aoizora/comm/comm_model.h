#pragma once
// Time and per-link load of one collective on a placement (docs/comm-model.md has the algorithms
// and their sources; shared/reference/tpu-hardware.md section 3 the formulas).
//
//   CommModel model(topology, CommOptions{});
//   Result<CollectiveCost> cost = model.Cost(collective, placement);   // validated, full output
//
// Hot path (placement scoring): validate once, then per placement
//   CommScratch scratch = model.NewScratch();          // once per thread
//   CollectiveTime t = model.Estimate(collective, placement, scratch);  // no allocation
//
// The model unrolls every group into the flows its algorithm sends, adds the bytes on every
// directed link (groups of one collective run at once and share links), and prices the collective
// as   fixed latency + passes x (most loaded link's bytes / its bandwidth + hops x hop latency),
// with passes = 2 for all-reduce (reduce-scatter then all-gather) and 1 otherwise.

#include <cstdint>
#include <utility>
#include <vector>

#include "aoizora/comm/collective.h"
#include "aoizora/comm/comm_options.h"
#include "aoizora/comm/link_loads.h"
#include "aoizora/comm/placement.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora {

// Model prediction for one collective (seconds; all of it is a model output, not a measurement).
struct CollectiveTime {
  double seconds = 0.0;                // total
  double bulk_seconds = 0.0;           // bandwidth part, all passes
  double hop_latency_seconds = 0.0;    // hops x per-hop latency, all passes
  double fixed_latency_seconds = 0.0;  // once per collective (0 when nothing moves)
  int64_t hops = 0;                    // per pass: longest chain of hops of any group
  int passes = 1;
  int64_t bottleneck_link = -1;   // LinkIndex slot of the link that sets bulk time; -1 if none
  double bottleneck_bytes = 0.0;  // bytes on that link
  int32_t bottleneck_users = 0;   // users sharing it (only with the measured contention law)
};

struct CollectiveCost : CollectiveTime {
  std::vector<double> link_bytes;  // bytes per link slot (LinkIndex), all passes
};

// Reusable buffers for Estimate; one per thread.
class CommScratch {
 public:
  const LinkLoads& loads() const { return loads_; }

 private:
  friend class CommModel;
  explicit CommScratch(const Topology& topology);
  LinkLoads loads_;
  std::vector<int64_t> members_;                      // physical devices of one group
  std::vector<std::pair<int64_t, int64_t>> ordered_;  // (snake rank, device)
  // All-to-all aggregation: member counts per coordinate prefix / suffix, and the keys in use.
  std::vector<int32_t> prefix_count_;
  std::vector<int32_t> suffix_count_;
  std::vector<int64_t> prefix_keys_;
  std::vector<int64_t> suffix_keys_;
};

class CommModel {
 public:
  CommModel(const Topology& topology, CommOptions options = {});

  const Topology& topology() const { return topology_; }
  const CommOptions& options() const { return options_; }
  CommScratch NewScratch() const { return CommScratch(topology_); }

  // Validates, estimates, and returns the per-link loads as well.
  Result<CollectiveCost> Cost(const Collective& collective, const Placement& placement) const;
  // Hot path. Precondition: ValidateCollective(topology(), collective, placement).ok(). Loads stay
  // readable in scratch.loads() until the next call.
  CollectiveTime Estimate(const Collective& collective, const Placement& placement,
                          CommScratch& scratch) const;

 private:
  int64_t Physical(const Placement& placement, int64_t logical) const {
    return placement.empty() ? logical : placement[static_cast<size_t>(logical)];
  }
  int64_t Coord(int64_t device, int axis) const {
    return coords_[static_cast<size_t>(device)][axis];
  }
  int64_t Steps(int axis, int64_t from, int64_t to) const;
  int64_t Distance(int64_t a, int64_t b) const;

  // Dimension-order route in `axis_order`; a tie on a wrapped ring splits the bytes both ways.
  int64_t AddRoute(LinkLoads& loads, int64_t source, int64_t target, double bytes,
                   const int* axis_order) const;
  // Point-to-point transfer: split evenly over the dimension orders that start with each axis the
  // endpoints differ in, so every usable first link carries a share (tpu-hardware.md 3 item 8).
  int64_t AddTransfer(LinkLoads& loads, int64_t source, int64_t target, double bytes) const;

  // Ring-class (all-gather, reduce-scatter, all-reduce) flows of one group; returns its hops.
  double AddRingGroup(CommScratch& scratch, double bytes) const;
  double AddRingInOrder(LinkLoads& loads, const std::vector<int64_t>& ring, double bytes) const;
  // Returns false if the group does not fill a sub-grid (then nothing was added).
  bool AddSubGridPhases(CommScratch& scratch, double bytes, double* hops) const;
  int64_t AddAllToAllGroup(CommScratch& scratch, double bytes) const;

  double Capacity(int64_t slot, const LinkLoads& loads) const;

  Topology topology_;
  CommOptions options_;
  std::vector<std::array<int64_t, kNumGridAxes>> coords_;  // per physical device
  std::vector<int64_t> snake_rank_;                        // boustrophedon order of the slice
  std::array<double, kNumGridAxes> axis_bandwidth_;        // bytes per second, one way
};

}  // namespace aoizora
