#include "aoizora/comm/collective_validation.h"

#include <cmath>
#include <string>
#include <vector>

namespace aoizora {
namespace {

std::string Id(int64_t id) { return std::to_string(id); }

Status CheckLogicalId(int64_t id, int64_t num_logical, std::string_view where) {
  if (id < 0 || id >= num_logical) {
    return InvalidArgument("device id " + Id(id) + " in " + std::string(where) +
                           " is out of range: logical ids are 0.." + Id(num_logical - 1));
  }
  return OkStatus();
}

Status ValidateGroups(const Collective& c, int64_t num_logical) {
  if (!c.pairs.empty()) {
    return InvalidArgument(std::string(CollectiveKindName(c.kind)) +
                           " takes device groups, not source->target pairs");
  }
  std::vector<int> seen(static_cast<size_t>(num_logical), -1);
  for (size_t g = 0; g < c.groups.size(); ++g) {
    const std::string where = "group " + std::to_string(g);
    if (c.groups[g].empty()) return InvalidArgument(where + " is empty");
    for (int64_t id : c.groups[g]) {
      AOIZORA_RETURN_IF_ERROR(CheckLogicalId(id, num_logical, where));
      int& first = seen[static_cast<size_t>(id)];
      if (first >= 0) {
        return InvalidArgument("device id " + Id(id) + " appears twice (group " +
                               std::to_string(first) + " and " + where + ")");
      }
      first = static_cast<int>(g);
    }
  }
  return OkStatus();
}

Status ValidatePairs(const Collective& c, int64_t num_logical) {
  if (!c.groups.empty()) {
    return InvalidArgument("collective-permute takes source->target pairs, not device groups");
  }
  std::vector<char> source_seen(static_cast<size_t>(num_logical), 0);
  std::vector<char> target_seen(static_cast<size_t>(num_logical), 0);
  for (const auto& [source, target] : c.pairs) {
    AOIZORA_RETURN_IF_ERROR(CheckLogicalId(source, num_logical, "source->target pairs"));
    AOIZORA_RETURN_IF_ERROR(CheckLogicalId(target, num_logical, "source->target pairs"));
    if (source_seen[static_cast<size_t>(source)]++) {
      return InvalidArgument("device id " + Id(source) + " is the source of two pairs");
    }
    if (target_seen[static_cast<size_t>(target)]++) {
      return InvalidArgument("device id " + Id(target) + " is the target of two pairs");
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidatePlacement(const Topology& topology, const DeviceIds& placement) {
  if (static_cast<int64_t>(placement.size()) > topology.num_devices()) {
    return InvalidArgument("placement has " + Id(static_cast<int64_t>(placement.size())) +
                           " entries but " + topology.ToString() + " has " +
                           Id(topology.num_devices()) + " devices");
  }
  std::vector<int64_t> owner(static_cast<size_t>(topology.num_devices()), -1);
  for (size_t logical = 0; logical < placement.size(); ++logical) {
    const int64_t physical = placement[logical];
    if (!topology.ContainsDevice(physical)) {
      return InvalidArgument("placement maps logical id " + Id(static_cast<int64_t>(logical)) +
                             " to device " + Id(physical) + ", out of range 0.." +
                             Id(topology.num_devices() - 1));
    }
    int64_t& first = owner[static_cast<size_t>(physical)];
    if (first >= 0) {
      return InvalidArgument("placement maps logical ids " + Id(first) + " and " +
                             Id(static_cast<int64_t>(logical)) + " to the same device " +
                             Id(physical));
    }
    first = static_cast<int64_t>(logical);
  }
  return OkStatus();
}

Status ValidateCollective(const Topology& topology, const Collective& collective,
                          const DeviceIds& placement) {
  if (!std::isfinite(collective.array_bytes) || collective.array_bytes < 0.0) {
    return InvalidArgument("collective bytes must be finite and >= 0, got " +
                           std::to_string(collective.array_bytes));
  }
  AOIZORA_RETURN_IF_ERROR(ValidatePlacement(topology, placement));
  const int64_t num_logical = NumLogicalDevices(topology, placement);
  if (collective.kind == CollectiveKind::kCollectivePermute) {
    return ValidatePairs(collective, num_logical);
  }
  return ValidateGroups(collective, num_logical);
}

}  // namespace aoizora
