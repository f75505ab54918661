#pragma once
// The placement space's view of a Topology: its device grid (core, x, y, z; device ids match
// topology.h) with wraparound, axis names and link classes (the tpu7x die-to-die core axis has
// other links than x, y, z, so no symmetry exchanges it with them).

#include "aoizora/placement/physical_grid.h"
#include "aoizora/topology/topology.h"

namespace aoizora::placement {

PhysicalGrid GridOfTopology(const Topology& topology);

}  // namespace aoizora::placement
