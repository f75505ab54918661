#pragma once
// A placement maps logical device ids (partition ids in the compiled HLO, positions in
// jax.sharding.Mesh.devices.flat) to physical device ids of the slice (topology.h numbering):
//
//   placement[logical_id] = physical_device_id
//
// It must be injective; it may cover fewer logical devices than the slice has (a sub-mesh). The
// empty placement means the identity (logical id i on physical device i), the default everywhere.

#include <cstdint>
#include <vector>

#include "aoizora/topology/device_order.h"
#include "aoizora/topology/topology.h"
#include "aoizora/util/result.h"

namespace aoizora {

// A placement is DeviceIds (topology/device_order.h): placement[logical_id] = physical device id.

inline DeviceIds IdentityPlacement(int64_t num_devices) {
  DeviceIds placement(static_cast<size_t>(num_devices));
  for (int64_t i = 0; i < num_devices; ++i) placement[static_cast<size_t>(i)] = i;
  return placement;
}

// Number of logical devices a placement covers (the whole slice for the empty placement).
inline int64_t NumLogicalDevices(const Topology& topology, const DeviceIds& placement) {
  return placement.empty() ? topology.num_devices() : static_cast<int64_t>(placement.size());
}

// Every entry a device of the slice, none twice, no more entries than devices. Errors name the
// offending logical id and value.
Status ValidatePlacement(const Topology& topology, const DeviceIds& placement);

}  // namespace aoizora
