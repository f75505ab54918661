#include "aoizora/placement/topology_grid.h"

#include <cassert>

namespace aoizora::placement {

PhysicalGrid GridOfTopology(const Topology& topology) {
  std::vector<int64_t> dims;
  std::vector<bool> wrap;
  for (int axis = 0; axis < kNumGridAxes; ++axis) {
    dims.push_back(topology.GridSize(axis));
    wrap.push_back(topology.GridWraps(axis));
  }
  auto grid = PhysicalGrid::Create(dims, wrap, {"core", "x", "y", "z"}, {1, 0, 0, 0});
  assert(grid.ok());  // a Topology's shape is always a valid grid
  return std::move(grid).value();
}

}  // namespace aoizora::placement
