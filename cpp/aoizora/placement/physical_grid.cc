#include "aoizora/placement/physical_grid.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "aoizora/topology/links.h"

namespace aoizora::placement {

Result<PhysicalGrid> PhysicalGrid::Create(std::vector<int64_t> dims, std::vector<bool> wrap,
                                          std::vector<std::string> axis_names,
                                          std::vector<int> link_classes) {
  if (dims.empty() || dims.size() > 8) {
    return InvalidArgument("physical grid needs 1 to 8 axes, got " + std::to_string(dims.size()));
  }
  if (wrap.size() != dims.size()) {
    return InvalidArgument("physical grid has " + std::to_string(dims.size()) + " axes but " +
                           std::to_string(wrap.size()) + " wrap flags");
  }
  if (axis_names.empty()) {
    static constexpr const char* kDefault[] = {"x", "y", "z"};
    for (size_t i = 0; i < dims.size(); ++i) {
      std::string name = i < 3 ? kDefault[i] : "a";
      if (i >= 3) name += std::to_string(i);
      axis_names.push_back(std::move(name));
    }
  }
  if (link_classes.empty()) link_classes.assign(dims.size(), 0);
  if (axis_names.size() != dims.size() || link_classes.size() != dims.size()) {
    return InvalidArgument("physical grid has " + std::to_string(dims.size()) +
                           " axes but a different number of axis names or link classes");
  }
  int64_t total = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 1) {
      return InvalidArgument("physical axis " + std::to_string(i) + " has length " +
                             std::to_string(dims[i]) + "; lengths must be >= 1");
    }
    total *= dims[i];
    if (total > (int64_t{1} << 20)) {
      return InvalidArgument("physical grid has more than 2^20 devices");
    }
    // On a length-2 axis the wraparound link joins the same two chips as the direct link; the
    // distance structure is that of an open axis, so treat it as open.
    if (dims[i] <= 2) wrap[i] = false;
  }
  return PhysicalGrid(std::move(dims), std::move(wrap), std::move(axis_names),
                      std::move(link_classes));
}

PhysicalGrid::PhysicalGrid(std::vector<int64_t> dims, std::vector<bool> wrap,
                           std::vector<std::string> axis_names, std::vector<int> link_classes)
    : dims_(std::move(dims)),
      wrap_(std::move(wrap)),
      axis_names_(std::move(axis_names)),
      link_classes_(std::move(link_classes)) {
  strides_.resize(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) {
    strides_[i] = num_devices_;
    num_devices_ *= dims_[i];
  }
}

std::vector<int64_t> PhysicalGrid::Coords(int64_t device) const {
  std::vector<int64_t> coords(dims_.size());
  for (size_t i = 0; i < dims_.size(); ++i) coords[i] = Coord(device, static_cast<int64_t>(i));
  return coords;
}

int64_t PhysicalGrid::DeviceId(const std::vector<int64_t>& coords) const {
  int64_t id = 0;
  for (size_t i = 0; i < dims_.size(); ++i) id += coords[i] * strides_[i];
  return id;
}

int64_t PhysicalGrid::HopDistance(int64_t a, int64_t b) const {
  int64_t hops = 0;
  for (int64_t axis = 0; axis < rank(); ++axis) {
    hops += std::llabs(AxisSteps(dims_[axis], wrap_[axis], Coord(a, axis), Coord(b, axis)));
  }
  return hops;
}

std::string PhysicalGrid::ToString() const {
  std::string shape;
  std::string wraps;
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i > 0) {
      shape += "x";
      wraps += ",";
    }
    shape += std::to_string(dims_[i]);
    wraps += wrap_[i] ? "T" : "F";
  }
  return shape + " (wrap " + wraps + ")";
}

}  // namespace aoizora::placement
