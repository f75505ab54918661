#pragma once
// Bytes per directed link, accumulated run by run without touching every link of a run: a run of
// L consecutive links along one axis is two or three difference-array updates, and Finalize()
// turns the differences into loads with one prefix sum per line. This keeps an all-to-all over
// 256 chips (65k routed pairs) well under a millisecond (bench/comm_bench.cc).
//
// Optionally it also counts the distinct users (groups, or permute pairs) of every link, for the
// measured contention law (comm_options.h); that walks every link of a run and is slower.
//
// TPU7x: the two cores (JAX devices) of a chip share the chip's ICI links. Runs are added on the
// device grid (each core has its own x/y/z slots), and Finalize() folds the ICI slots of every
// core onto those of the chip's core-0 device, so a chip link's load is the sum of both cores'
// traffic and is read at the core-0 slot (other cores' ICI slots read zero). The die-to-die link
// (core axis) is one link per chip and direction already: core 0's + slot and core 1's - slot.
// Source: the TPU7x all-gather sweeps, both core groups at once (shared/reference/
// end-to-end-measurements.md M1, M2), take twice the time of one group's bytes on a link; SimGrid
// (sim/platform.cc) maps the slots the same way.

#include <array>
#include <cstdint>
#include <vector>

#include "aoizora/topology/links.h"
#include "aoizora/topology/topology.h"

namespace aoizora {

// One AddRun call as given: `bytes` on |steps| consecutive links leaving `device` along `axis`
// (direction sign(steps)). The simulator (sim/) replays these as flows, so both evaluators see the
// same expansion of a collective. `continues`: the next recorded run carries the same bytes on from
// where this one ends (the next leg of one multi-axis route), so the two are one flow.
struct LinkRun {
  int64_t device = 0;
  int axis = 1;
  int64_t steps = 0;
  double bytes = 0.0;
  bool continues = false;
};

class LinkLoads {
 public:
  explicit LinkLoads(const Topology& topology);

  // Zeroes loads and user counts; `count_users` switches the user counting on for this round.
  void Reset(bool count_users);
  // Subsequent runs belong to a new user.
  void NextUser() { ++current_user_; }
  // `bytes` on the |steps| links leaving `device` along `axis`, in the direction of sign(steps),
  // one after the other (wrapping round on a wrapped axis). `coord` is the device's coordinate on
  // that axis. Precondition: the links exist (|steps| <= size on a wrapped axis).
  void AddRun(int64_t device, int64_t coord, int axis, int64_t steps, double bytes);
  // When set, every later AddRun is also appended to `*runs` (not cleared by Reset); nullptr stops.
  void RecordRuns(std::vector<LinkRun>* runs) { recorded_runs_ = runs; }
  std::vector<LinkRun>* recorded_runs() const { return recorded_runs_; }
  // Converts the accumulated differences to loads. Call once after the last AddRun.
  void Finalize();

  // After Finalize: bytes on the link with slot LinkIndex(link), and its number of users (only
  // counted when Reset(true)). On chips with several cores an ICI link is read at ChipSlot().
  const std::vector<double>& bytes() const { return values_; }
  int32_t users(int64_t slot) const { return users_[static_cast<size_t>(slot)]; }
  // Bit `axis` set when some run used that axis.
  unsigned touched_axes() const { return touched_axes_; }
  // The slot that holds the load of link `slot`: the chip's core-0 slot for ICI axes, the slot
  // itself for the die-to-die (core) axis and on one-core chips.
  int64_t ChipSlot(int64_t slot) const;

 private:
  void Add(int64_t device_on_line_base, int axis, int dir, int64_t coord, double bytes) {
    values_[static_cast<size_t>(
        ((device_on_line_base + coord * stride_[axis]) * kNumGridAxes + axis) * 2 + dir)] += bytes;
  }
  void CountUsers(int64_t base, int64_t coord, int axis, int64_t steps);
  // Adds every core's ICI loads onto the chip's core-0 slots (see the file comment).
  void FoldCoresOntoChipLinks();

  std::array<int64_t, kNumGridAxes> size_;
  std::array<int64_t, kNumGridAxes> stride_;
  int64_t num_devices_;
  int64_t cores_per_chip_;
  std::vector<double> values_;  // differences until Finalize, loads after
  std::vector<int32_t> users_;
  std::vector<int32_t> last_user_;
  int32_t current_user_ = 0;
  bool count_users_ = false;
  unsigned touched_axes_ = 0;
  double largest_run_bytes_ = 0.0;
  std::vector<LinkRun>* recorded_runs_ = nullptr;
};

}  // namespace aoizora
