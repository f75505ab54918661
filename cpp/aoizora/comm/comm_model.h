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
// directed link (groups of one collective run at once and share links; the two cores of a tpu7x
// chip share the chip's ICI links, comm/link_loads.h), and prices the collective
// as   fixed latency + passes x (most loaded link's bytes / its bandwidth + hops x hop latency),
// with passes = 2 for all-reduce (reduce-scatter then all-gather) and 1 otherwise.

#include <array>
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
  // Bytes per link slot (LinkIndex), all passes; a tpu7x chip's ICI link at its core-0 slot.
  std::vector<double> link_bytes;
};

// One candidate ring for a group that does not fill a sub-grid: a boustrophedon over the group's
// bounding box (see comm_model.cc, "Scattered groups").
struct SnakeSpec {
  std::array<int, kNumGridAxes> order{};      // active axes, outermost first
  int num_axes = 0;                           // entries of `order` in use
  unsigned reversed = 0;                      // bit i: axis order[i] runs from the box's far end
  std::array<int64_t, kNumGridAxes> start{};  // box origin per axis (a cut on wrapped axes)
};

// Reusable buffers for Estimate; one per thread.
class CommScratch {
 public:
  const LinkLoads& loads() const { return loads_; }
  // Records the link runs of later Estimate calls into `*runs` (sim/ replays them); nullptr stops.
  void RecordRuns(std::vector<LinkRun>* runs) { loads_.RecordRuns(runs); }

 private:
  friend class CommModel;
  explicit CommScratch(const Topology& topology);
  LinkLoads loads_;
  std::vector<int64_t> members_;                      // physical devices of one group
  std::vector<int64_t> ring_;                         // one candidate ring of a group
  std::vector<std::pair<int64_t, int64_t>> ordered_;  // (snake rank, device)
  std::vector<SnakeSpec> tied_snakes_;                // candidates with the fewest hops
  std::vector<int32_t> local_coords_;                 // per member and axis, from the box origin
  std::vector<int64_t> rank_slot_;                    // bucket sort by snake rank; -1 = empty
  // Box of the group per axis: extent, and the admissible origins (several on a wrapped axis
  // whose largest gap between members is not unique).
  std::array<int64_t, kNumGridAxes> box_extent_{};
  std::array<std::vector<int64_t>, kNumGridAxes> axis_coords_;  // product phases: line walk order
  std::array<std::vector<int64_t>, kNumGridAxes> box_starts_;
  // All-to-all aggregation: member counts per target / source key, and the keys in use.
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
  Result<CollectiveCost> Cost(const Collective& collective, const DeviceIds& placement) const;
  // Hot path. Precondition: ValidateCollective(topology(), collective, placement).ok(). Loads stay
  // readable in scratch.loads() until the next call.
  CollectiveTime Estimate(const Collective& collective, const DeviceIds& placement,
                          CommScratch& scratch) const;

 private:
  int64_t Physical(const DeviceIds& placement, int64_t logical) const {
    return placement.empty() ? logical : placement[static_cast<size_t>(logical)];
  }
  int64_t Coord(int64_t device, int axis) const {
    return coords_[static_cast<size_t>(device)][axis];
  }
  // AxisSteps (topology/links.h) from the table built from it once: the hot path's lookup.
  int64_t Steps(int axis, int64_t from, int64_t to) const {
    return axis_steps_[axis][static_cast<size_t>(from * topology_.GridSize(axis) + to)];
  }
  // HopCount (topology/links.h) by the tables.
  int64_t Distance(int64_t a, int64_t b) const;

  // The grid axes on which `source` and `target` differ (k of them, in axis order) and the
  // device-id change a route makes when it crosses each; returns k.
  int DifferingAxes(int64_t source, int64_t target, int* axes, int64_t* shift) const;
  // `bytes` along `axis` from `device` (coordinate `from` there) to coordinate `to`, the short way
  // round; a tie on a wrapped ring splits the bytes both ways.
  void AddLeg(LinkLoads& loads, int64_t device, int axis, int64_t from, int64_t to,
              double bytes) const;
  // Point-to-point transfer, split evenly over every dimension order of the axes the endpoints
  // differ in (k! orders for k axes), so the flows do not depend on how the axes are numbered and
  // every usable first link carries a share (tpu-hardware.md 3 item 8). Returns the hop count.
  int64_t AddTransfer(LinkLoads& loads, int64_t source, int64_t target, double bytes) const;
  // A transfer as routes for the recorded runs (the simulator's flows): each dimension order
  // that the loads use (all k!, or with `classes_in_order` the axis classes in their fixed order
  // as all-to-all routes them) one chain of legs (LinkRun::continues) with an equal share of the
  // bytes, a tie on a wrapped ring splitting a chain both ways. The per-link bytes equal the
  // aggregated legs the loads add; only the chaining differs, so a flow pays its whole route's
  // hops, as a routed ICI packet does.
  void RecordRoutes(std::vector<LinkRun>& runs, int64_t source, int64_t target, double bytes,
                    bool classes_in_order) const;

  // Ring-class (all-gather, reduce-scatter, all-reduce) flows of one group; returns its hops.
  double AddRingGroup(CommScratch& scratch, double bytes) const;
  double AddRingInOrder(LinkLoads& loads, const std::vector<int64_t>& ring, double bytes) const;
  // Reverses `ring` (a cycle through members[0] and others of `members`) unless it already runs
  // the way the listed order does; true if it reversed. The heavier direction of an even ring must
  // follow the placement, not the snake or the coordinates.
  bool OrientLikeListedOrder(const std::vector<int64_t>& members, std::vector<int64_t>& ring) const;
  // Per-axis phases of a group that is a product of coordinate sets (a sub-grid, or a lattice with
  // gaps on at least two axes). Returns false otherwise (then nothing was added).
  bool AddProductPhases(CommScratch& scratch, double bytes, double* hops) const;
  // Direction (+1 / -1) in which a full wrapped ring along `axis` sends its larger share: the way
  // the group's listed order first steps along that axis (see comm_model.cc).
  int RingDirection(const std::vector<int64_t>& members, int axis) const;
  // Scattered groups: the fewest cycle hops (then squared segment hops) over the snake
  // candidates, at most `bound` hops; returns the hops, the tied candidates are left in
  // scratch.tied_snakes_ (empty when none is within the bound).
  int64_t FindBestSnakes(CommScratch& scratch, int64_t bound) const;
  void FillBox(CommScratch& scratch) const;
  // Of the tied cuts `starts` of a wrapped axis, keeps those whose member profile reads least.
  void KeepLeastProfiles(const std::vector<int64_t>& members, int axis, int64_t extent,
                         std::vector<int64_t>& starts) const;
  // (cycle hops, sum of squared segment hops) of the snake; stops adding once hops > bound.
  std::pair<int64_t, int64_t> SnakeCycleKey(CommScratch& scratch, const SnakeSpec& spec,
                                            int64_t bound) const;
  // Members' coordinates relative to spec's box origin, for SortBySnake.
  void FillLocalCoords(CommScratch& scratch, const SnakeSpec& spec) const;
  // The members in snake order, into scratch.ring_.
  void SortBySnake(CommScratch& scratch, const SnakeSpec& spec) const;

  int64_t AddAllToAllGroup(CommScratch& scratch, double bytes) const;
  // The loads of AddAllToAllGroup (`chunk` bytes per ordered pair); returns its hops.
  int64_t AddAllToAllLoads(CommScratch& scratch, double chunk) const;
  // All-to-all legs along `axis` for the dimension orders in which exactly the axes of
  // `before_mask` precede it, with `bytes_per_pair` per ordered pair of members.
  void AddAllToAllLegs(CommScratch& scratch, int axis, unsigned before_mask,
                       double bytes_per_pair) const;

  double Capacity(int64_t slot, const LinkLoads& loads) const;

  Topology topology_;
  CommOptions options_;
  std::vector<std::array<int64_t, kNumGridAxes>> coords_;      // per physical device
  std::array<double, kNumGridAxes> axis_bandwidth_;            // bytes per second, one way
  std::array<std::vector<int32_t>, kNumGridAxes> axis_steps_;  // Steps() per (from, to)
  // Smallest axis of the same class (equal length and wrap; the core axis alone): the axes an
  // automorphism may exchange with this one.
  std::array<int, kNumGridAxes> class_first_axis_{};
};

}  // namespace aoizora
