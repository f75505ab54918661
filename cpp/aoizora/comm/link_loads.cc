#include "aoizora/comm/link_loads.h"

#include <algorithm>
#include <cstdlib>

namespace aoizora {

LinkLoads::LinkLoads(const Topology& topology)
    : num_devices_(topology.num_devices()),
      cores_per_chip_(topology.cores_per_chip()),
      values_(static_cast<size_t>(NumLinkSlots(topology)), 0.0),
      users_(values_.size(), 0),
      last_user_(values_.size(), -1) {
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    size_[axis] = topology.GridSize(axis);
    stride_[axis] = topology.GridStride(axis);
  }
}

void LinkLoads::Reset(bool count_users) {
  std::fill(values_.begin(), values_.end(), 0.0);
  if (count_users_ || count_users) {
    std::fill(users_.begin(), users_.end(), 0);
    std::fill(last_user_.begin(), last_user_.end(), -1);
  }
  count_users_ = count_users;
  current_user_ = 0;
  touched_axes_ = 0;
  largest_run_bytes_ = 0.0;
}

void LinkLoads::AddRun(int64_t device, int64_t coord, int axis, int64_t steps, double bytes) {
  if (steps == 0) return;
  if (recorded_runs_ != nullptr) recorded_runs_->push_back({device, axis, steps, bytes});
  touched_axes_ |= 1u << axis;
  largest_run_bytes_ = std::max(largest_run_bytes_, bytes);
  const int64_t n = size_[axis];
  const int64_t base = device - coord * stride_[axis];
  if (count_users_) CountUsers(base, coord, axis, steps);
  if (steps > 0) {  // links at coords coord .. coord+steps-1 (mod n), direction +
    const int64_t end = coord + steps;
    Add(base, axis, 0, coord, bytes);
    if (end < n) {
      Add(base, axis, 0, end, -bytes);
    } else if (end > n) {
      Add(base, axis, 0, 0, bytes);
      Add(base, axis, 0, end - n, -bytes);
    }
    return;
  }
  // links at coords coord-|steps|+1 .. coord (mod n), direction -
  const int64_t lo = coord + steps + 1;
  if (lo >= 0) {
    Add(base, axis, 1, lo, bytes);
  } else {
    Add(base, axis, 1, 0, bytes);
    Add(base, axis, 1, lo + n, bytes);
  }
  if (coord + 1 < n) Add(base, axis, 1, coord + 1, -bytes);
}

void LinkLoads::CountUsers(int64_t base, int64_t coord, int axis, int64_t steps) {
  const int64_t n = size_[axis];
  const int dir = steps > 0 ? 0 : 1;
  const int64_t step = steps > 0 ? 1 : n - 1;
  int64_t c = coord;
  for (int64_t i = 0; i < std::abs(steps); ++i) {
    const size_t slot =
        static_cast<size_t>(ChipSlot(((base + c * stride_[axis]) * kNumGridAxes + axis) * 2 + dir));
    if (last_user_[slot] != current_user_) {
      last_user_[slot] = current_user_;
      ++users_[slot];
    }
    c = (c + step) % n;
  }
}

void LinkLoads::Finalize() {
  const double noise = 1e-12 * largest_run_bytes_;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    if (!(touched_axes_ & (1u << axis))) continue;
    const int64_t n = size_[axis];
    const int64_t stride = stride_[axis];
    const int64_t block = stride * n;
    for (int64_t outer = 0; outer < num_devices_; outer += block) {
      for (int64_t inner = 0; inner < stride; ++inner) {
        const int64_t base = outer + inner;
        for (int dir = 0; dir < 2; ++dir) {
          double running = 0.0;
          for (int64_t c = 0; c < n; ++c) {
            double& v =
                values_[static_cast<size_t>(((base + c * stride) * kNumGridAxes + axis) * 2 + dir)];
            running += v;
            // Differences of equal runs cancel to rounding noise; clamp so that unused links
            // read exactly zero.
            v = running > noise ? running : 0.0;
          }
        }
      }
    }
  }
  FoldCoresOntoChipLinks();
}

int64_t LinkLoads::ChipSlot(int64_t slot) const {
  if (cores_per_chip_ == 1) return slot;
  const int64_t device = slot / (2 * kNumGridAxes);
  const int axis = static_cast<int>((slot / 2) % kNumGridAxes);
  if (axis == kCoreAxis) return slot;
  return slot - (device % cores_per_chip_) * (2 * kNumGridAxes);
}

void LinkLoads::FoldCoresOntoChipLinks() {
  if (cores_per_chip_ == 1) return;
  for (int64_t device = 0; device < num_devices_; ++device) {
    if (device % cores_per_chip_ == 0) continue;
    for (int axis = 0; axis < kNumGridAxes; ++axis) {
      if (axis == kCoreAxis || !(touched_axes_ & (1u << axis))) continue;
      for (int dir = 0; dir < 2; ++dir) {
        const int64_t slot = (device * kNumGridAxes + axis) * 2 + dir;
        double& own = values_[static_cast<size_t>(slot)];
        values_[static_cast<size_t>(ChipSlot(slot))] += own;
        own = 0.0;
      }
    }
  }
}

}  // namespace aoizora
