#pragma once
// The automorphisms of a slice that every placement-cost model here must respect: reflections of
// each physical axis, translations along wrapped axes, and swaps of axes with equal length and
// equal wrap. Two placements (logical id -> physical id) that map onto each other under one of
// them have the same link structure and the same cost under the communication model (which is
// built to be invariant under all of them: docs/comm-model.md "Symmetry"; gtest
// comm/comm_symmetry_test.cc), so only one per orbit needs scoring.
//
// Canonical form of a placement P: the lexicographically smallest image g(P) over the group.
// Because translations act freely, it suffices to try each reflection/swap h once, followed by the
// unique translation that brings the image of logical device 0 to coordinate 0 on every wrapped
// axis: |H| images (at most 2^r * r!) instead of |T| * |H|.

#include <cstdint>
#include <vector>

#include "aoizora/placement/physical_grid.h"

namespace aoizora::placement {

class SliceSymmetry {
 public:
  // axis_swaps: include the exchanges of equal axes (default; off only for tests and for models
  // that distinguish equal axes).
  explicit SliceSymmetry(const PhysicalGrid& grid, bool axis_swaps = true);

  // |H| (reflections x axis swaps) and |T| (translations); the group has |H| * |T| elements.
  int64_t point_group_size() const { return static_cast<int64_t>(point_maps_.size()); }
  int64_t translation_count() const { return translation_count_; }
  int64_t group_size() const { return point_group_size() * translation_count_; }

  // Writes the canonical form of `perm` (n = num_devices entries) to `out`. `scratch` must hold n
  // entries. Allocation-free.
  void Canonicalize(const int32_t* perm, int32_t* out, int32_t* scratch) const;
  // True if `perm` is its own canonical form (no image is lexicographically smaller).
  bool IsCanonical(const int32_t* perm) const;

  // The image of `perm` under point-group element h followed by translation `shift` (one offset
  // per axis, ignored on open axes). For tests: every image must score the same.
  std::vector<int64_t> Apply(const std::vector<int64_t>& perm, int64_t h,
                             const std::vector<int64_t>& shift) const;

 private:
  // Image id of `device` under h then the translation putting `anchor` (an image coordinate
  // source) at the origin of wrapped axes; offsets are per axis.
  int32_t Map(int64_t h, int32_t device, const int64_t* offsets) const;
  void Offsets(int64_t h, int32_t anchor, int64_t* offsets) const;

  PhysicalGrid grid_;
  int64_t n_ = 0;
  int64_t rank_ = 0;
  int64_t translation_count_ = 1;
  // point_maps_[h][device] = image device id under h (no translation).
  std::vector<std::vector<int32_t>> point_maps_;
  // coords_[device * rank + axis].
  std::vector<int32_t> coords_;
};

}  // namespace aoizora::placement
