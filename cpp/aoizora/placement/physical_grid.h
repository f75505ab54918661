#pragma once
// The pure shape of a slice as the placement space sees it: physical axis lengths and whether each
// axis has wraparound links. Device ids are x-fastest (id = x + X*(y + Y*z)), as on TPU
// (shared/reference/tpu-hardware.md section 7). Independent of chip generation and link speeds,
// so the placement space and its symmetries can be built and tested without the topology model.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/util/result.h"

namespace aoizora::placement {

class PhysicalGrid {
 public:
  // dims: lengths per physical axis (fastest first), each >= 1; wrap: one flag per axis (a wrapped
  // axis of length <= 2 behaves as open and is treated so). axis_names default to x, y, z, a3...;
  // link_classes (default all 0) tell axes whose links differ (tpu7x's die-to-die core axis), which
  // symmetries never exchange. Errors name the bad value.
  static Result<PhysicalGrid> Create(std::vector<int64_t> dims, std::vector<bool> wrap,
                                     std::vector<std::string> axis_names = {},
                                     std::vector<int> link_classes = {});

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t num_devices() const { return num_devices_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  const std::vector<bool>& wrap() const { return wrap_; }
  int64_t stride(int64_t axis) const { return strides_[axis]; }
  const std::string& axis_name(int64_t axis) const { return axis_names_[axis]; }
  int link_class(int64_t axis) const { return link_classes_[axis]; }

  // Coordinate of `device` on `axis`.
  int64_t Coord(int64_t device, int64_t axis) const {
    return (device / strides_[axis]) % dims_[axis];
  }
  std::vector<int64_t> Coords(int64_t device) const;
  int64_t DeviceId(const std::vector<int64_t>& coords) const;

  // Hop distance: |AxisSteps| (topology/links.h, the one rule) summed over the axes.
  int64_t HopDistance(int64_t a, int64_t b) const;

  // "4x4 (wrap: -,-)" style description.
  std::string ToString() const;

 private:
  PhysicalGrid(std::vector<int64_t> dims, std::vector<bool> wrap,
               std::vector<std::string> axis_names, std::vector<int> link_classes);

  std::vector<int64_t> dims_;
  std::vector<bool> wrap_;
  std::vector<std::string> axis_names_;
  std::vector<int> link_classes_;
  std::vector<int64_t> strides_;
  int64_t num_devices_ = 1;
};

}  // namespace aoizora::placement
