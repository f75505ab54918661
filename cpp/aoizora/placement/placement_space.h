#pragma once
// The structured placement space of a logical mesh on a slice (architecture.md stage 3).
//
// Each physical axis is cut into digits (mixed radix, major to minor); every digit belongs to one
// logical axis, and the digits of a logical axis multiply to its size. A logical axis walks the
// sub-grid of its digits ("segments") in a chosen segment order (which varies fastest) and
// traversal (raster, snake, ring). A whole physical axis is a single digit; a split axis gives
// contiguous blocks (minor digit) or strided groups (major digit). The device of a logical device
// is then a sum of one per-axis table lookup, so building a placement is cheap.
//
// Placements are deduplicated exactly and reduced under the slice's automorphisms
// (symmetry.h): each stored placement represents one orbit, and the counts before and after are
// reported.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/placement/physical_grid.h"
#include "aoizora/placement/traversal.h"
#include "aoizora/topology/device_order.h"
#include "aoizora/util/result.h"

namespace aoizora::placement {

// Device orders are DeviceIds (topology/device_order.h): entry L is the physical device id of
// logical device L (logical ids are mesh row-major, last axis fastest, as in
// jax.sharding.Mesh(devices.reshape(shape))).

struct Segment {
  int64_t physical_axis = 0;
  int64_t size = 1;          // digit size (> 1)
  int64_t digit_stride = 1;  // coordinate step of this digit along its physical axis
  int64_t total_size = 1;    // length of the physical axis (== size for a whole axis)
};

struct AxisLayout {
  std::vector<Segment> segments;  // traversal order: segments[0] varies fastest
  Traversal traversal = Traversal::kRaster;
};

struct StructuredPlacement {
  std::vector<AxisLayout> axes;  // one per logical axis (empty segments for size-1 axes)
};

// Logical id -> physical id for a structured placement.
DeviceIds BuildDeviceIds(const PhysicalGrid& grid, const std::vector<int64_t>& mesh_shape,
                         const StructuredPlacement& placement);

// "cfg=x2@1 raster | sp=y4,x2@2 snake": per logical axis its segments (axis letter, digit size,
// '@' digit stride when split) in traversal order.
std::string DescribePlacement(const PhysicalGrid& grid, const StructuredPlacement& placement,
                              const std::vector<std::string>& axis_names);

struct PlacementSpaceOptions {
  // Stop after this many symmetry classes (the space is then marked truncated).
  int64_t max_classes = 2'000'000;
  // Reduce under slice automorphisms (off: keep every distinct device order).
  bool reduce_symmetry = true;
  // Include exchanges of equal axes in the symmetry group (see symmetry.h).
  bool axis_swaps = true;
};

class PlacementSpace {
 public:
  // Errors name the offending value: mesh sizes must be >= 1 and multiply to the device count.
  static Result<PlacementSpace> Enumerate(const PhysicalGrid& grid,
                                          const std::vector<int64_t>& mesh_shape,
                                          const PlacementSpaceOptions& options = {});

  const PhysicalGrid& grid() const { return grid_; }
  const std::vector<int64_t>& mesh_shape() const { return mesh_shape_; }
  int64_t num_devices() const { return grid_.num_devices(); }

  // Structural choices generated (digit assignments x segment orders x traversals).
  int64_t structured_count() const { return structured_count_; }
  // Distinct device orders among them.
  int64_t distinct_count() const { return distinct_count_; }
  // Orbits under the slice automorphisms (== size()).
  int64_t size() const { return static_cast<int64_t>(class_assignment_.size()); }
  bool truncated() const { return truncated_; }

  // The representative of class i (the first structured placement generated in that orbit),
  // written to out[0..num_devices). Allocation-free: a sum of one table lookup per logical axis.
  void FillOrder(int64_t i, int32_t* out) const;
  DeviceIds device_ids(int64_t i) const;
  StructuredPlacement structure(int64_t i) const;
  // How many distinct device orders generated fell into class i.
  int64_t members(int64_t i) const { return members_[i]; }

  // One way of cutting the physical axes into digits: the layouts each logical axis may take on
  // it, with their device-id offset tables. Placements reference (assignment, option per axis).
  struct AxisOption {
    AxisLayout layout;
    std::vector<int32_t> table;  // logical index along the axis -> device-id offset
  };
  struct Assignment {
    std::vector<std::vector<AxisOption>> axes;
  };

 private:
  explicit PlacementSpace(PhysicalGrid grid) : grid_(std::move(grid)) {}
  friend class PlacementEnumerator;

  PhysicalGrid grid_;
  std::vector<int64_t> mesh_shape_;
  int64_t structured_count_ = 0;
  int64_t distinct_count_ = 0;
  bool truncated_ = false;
  std::vector<Assignment> assignments_;
  std::vector<int32_t> class_assignment_;  // per class
  std::vector<int32_t> class_options_;     // per class, one option index per logical axis
  std::vector<int64_t> members_;
};

// Validates a logical mesh against a grid (sizes >= 1, product == device count).
Status CheckMeshShape(const PhysicalGrid& grid, const std::vector<int64_t>& mesh_shape);

}  // namespace aoizora::placement
