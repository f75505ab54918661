#pragma once
// One device order, two spellings. A device order maps logical devices (partition ids in the
// compiled HLO, positions in jax.sharding.Mesh.devices.flat) to devices of the slice:
//
//   DeviceIds        ids[logical] = physical device id (topology.h numbering); the core's form
//   DeviceCoordsList coords[logical] = {x, y, z} or {x, y, z, core}: chip coordinates, plus the
//                    core on chips with several devices (tpu7x); the form JAX users read off
//                    jax.Device.coords and core_on_chip, and the form Python passes in and out
//
// The names say which is which: nothing called a "device order" is ambiguous about ids versus
// coordinates.

#include <cstdint>
#include <vector>

#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora {

using DeviceIds = std::vector<int64_t>;
using DeviceCoordsList = std::vector<std::vector<int64_t>>;

// Coordinates of each device: {x, y, z}, with the core appended on multi-core chips.
// Precondition: every id is a device of the topology.
DeviceCoordsList CoordsOfDevices(const Topology& topology, const DeviceIds& ids);

// Device ids of coordinates given as {x, y, z} or {x, y, z, core} (core 0 when left out). Errors
// name the logical device and its coordinates when they are not a device of the slice. Does not
// check that the ids are distinct (placements check that: comm/placement.h).
Result<DeviceIds> DeviceIdsOfCoords(const Topology& topology, const DeviceCoordsList& coords);

// 0, 1, ..., num_devices - 1: the order of device ids, the identity placement.
DeviceIds IdOrder(const Topology& topology);

}  // namespace aoizora
