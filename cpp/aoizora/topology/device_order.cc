#include "aoizora/topology/device_order.h"

#include <string>

namespace aoizora {
namespace {

std::string CoordsText(const std::vector<int64_t>& c, int64_t core) {
  return "chip (" + std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]) +
         ") core " + std::to_string(core);
}

bool InSlice(const Topology& topology, const std::vector<int64_t>& c, int64_t core) {
  const auto& shape = topology.shape();
  for (int axis = 0; axis < 3; ++axis) {
    if (c[axis] < 0 || c[axis] >= shape[axis]) return false;
  }
  return core >= 0 && core < topology.cores_per_chip();
}

}  // namespace

DeviceCoordsList CoordsOfDevices(const Topology& topology, const DeviceIds& ids) {
  DeviceCoordsList out;
  out.reserve(ids.size());
  const bool multi_core = topology.cores_per_chip() > 1;
  for (int64_t device : ids) {
    const ChipCoords chip = topology.ChipOf(device);
    std::vector<int64_t> row = {chip.x, chip.y, chip.z};
    if (multi_core) row.push_back(topology.CoreOf(device));
    out.push_back(std::move(row));
  }
  return out;
}

Result<DeviceIds> DeviceIdsOfCoords(const Topology& topology, const DeviceCoordsList& coords) {
  DeviceIds ids;
  ids.reserve(coords.size());
  for (size_t i = 0; i < coords.size(); ++i) {
    const std::vector<int64_t>& c = coords[i];
    if (c.size() < 3 || c.size() > 4) {
      return InvalidArgument("logical device " + std::to_string(i) + " has " +
                             std::to_string(c.size()) + " coordinates; expected [x, y, z]" +
                             " or [x, y, z, core]");
    }
    const int64_t core = c.size() == 4 ? c[3] : 0;
    if (!InSlice(topology, c, core)) {
      return InvalidArgument("logical device " + std::to_string(i) + " is at " +
                             CoordsText(c, core) + ", outside " + topology.ToString());
    }
    ids.push_back(topology.DeviceId({c[0], c[1], c[2]}, core));
  }
  return ids;
}

DeviceIds IdOrder(const Topology& topology) {
  DeviceIds ids(static_cast<size_t>(topology.num_devices()));
  for (int64_t i = 0; i < topology.num_devices(); ++i) ids[static_cast<size_t>(i)] = i;
  return ids;
}

}  // namespace aoizora
