#include "aoizora/hlo/replica_groups.h"

#include <algorithm>

#include "aoizora/hlo/limits.h"
#include "aoizora/util/iota.h"

namespace aoizora::hlo {
namespace {

Result<GroupList> ExpandMeshAxes(const ReplicaGroups& rg) {
  // Split every mesh axis a sub-axis refers to into [pre, size, rest] and group over the middle.
  // (hlo-text.md 6.3: devices are iota over the mesh; the grouped axes move to the end in the
  // order listed, and consecutive runs of the group size form the groups.)
  std::vector<int64_t> reshape;
  std::vector<int64_t> first_dim(rg.mesh_axes.size());
  std::vector<int> refs_per_axis(rg.mesh_axes.size(), 0);
  std::vector<int64_t> grouped;
  int64_t total = 1;
  for (const MeshAxis& axis : rg.mesh_axes) {
    if (axis.size <= 0) return InvalidArgument("mesh axis '" + axis.name + "' has size <= 0");
    total *= axis.size;
    if (total > kMaxDevices) return InvalidArgument("mesh in " + rg.raw + " is too large");
  }
  auto axis_index = [&](const std::string& name) -> int64_t {
    for (size_t i = 0; i < rg.mesh_axes.size(); ++i) {
      if (rg.mesh_axes[i].name == name) return static_cast<int64_t>(i);
    }
    return -1;
  };
  std::vector<const MeshAxisRef*> ref_of_axis(rg.mesh_axes.size(), nullptr);
  for (const MeshAxisRef& ref : rg.group_axes) {
    const int64_t a = axis_index(ref.name);
    if (a < 0)
      return InvalidArgument("replica groups " + rg.raw + " name unknown axis '" + ref.name + "'");
    if (++refs_per_axis[static_cast<size_t>(a)] > 1) {
      return Unimplemented("replica groups " + rg.raw + " use axis '" + ref.name +
                           "' more than once");
    }
    ref_of_axis[static_cast<size_t>(a)] = &ref;
  }
  for (size_t a = 0; a < rg.mesh_axes.size(); ++a) {
    first_dim[a] = static_cast<int64_t>(reshape.size());
    const MeshAxisRef* ref = ref_of_axis[a];
    const int64_t size = rg.mesh_axes[a].size;
    if (ref == nullptr || ref->sub_axis_pre_size == 0) {
      reshape.push_back(size);
      continue;
    }
    const int64_t pre = ref->sub_axis_pre_size;
    const int64_t sub = ref->sub_axis_size;
    if (pre <= 0 || sub <= 0 || size % (pre * sub) != 0) {
      return InvalidArgument("sub-axis (" + std::to_string(pre) + ")" + std::to_string(sub) +
                             " does not divide axis '" + ref->name + "' of size " +
                             std::to_string(size));
    }
    reshape.insert(reshape.end(), {pre, sub, size / (pre * sub)});
  }
  int64_t group_size = 1;
  for (const MeshAxisRef& ref : rg.group_axes) {
    const size_t a = static_cast<size_t>(axis_index(ref.name));
    grouped.push_back(ref.sub_axis_pre_size ? first_dim[a] + 1 : first_dim[a]);
    group_size *= ref.sub_axis_pre_size ? ref.sub_axis_size : rg.mesh_axes[a].size;
  }
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < static_cast<int64_t>(reshape.size()); ++d) {
    if (std::find(grouped.begin(), grouped.end(), d) == grouped.end()) perm.push_back(d);
  }
  perm.insert(perm.end(), grouped.begin(), grouped.end());
  AOIZORA_ASSIGN_OR_RETURN(std::vector<int64_t> order, ExpandIota(reshape, perm));
  if (!rg.mesh_device_ids.empty()) {
    if (static_cast<int64_t>(rg.mesh_device_ids.size()) != total) {
      return InvalidArgument("replica groups " + rg.raw + " list " +
                             std::to_string(rg.mesh_device_ids.size()) +
                             " device ids for a mesh of " + std::to_string(total));
    }
    for (int64_t& position : order) position = rg.mesh_device_ids[static_cast<size_t>(position)];
  }
  GroupList groups;
  for (size_t i = 0; i < order.size(); i += static_cast<size_t>(group_size)) {
    groups.emplace_back(
        order.begin() + static_cast<std::ptrdiff_t>(i),
        order.begin() + static_cast<std::ptrdiff_t>(i + static_cast<size_t>(group_size)));
  }
  return groups;
}

Status CheckIds(const GroupList& groups, int64_t domain, std::string_view what) {
  for (const std::vector<int64_t>& group : groups) {
    for (int64_t id : group) {
      if (id < 0 || id >= domain) {
        return InvalidArgument("replica group id " + std::to_string(id) + " is outside the " +
                               std::string(what) + " range [0, " + std::to_string(domain) + ")");
      }
    }
  }
  return OkStatus();
}

std::vector<int64_t> Iota(int64_t n) {
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i;
  return ids;
}

}  // namespace

Result<GroupList> ReplicaGroups::Expand() const {
  switch (form) {
    case ReplicaGroupsForm::kExplicit:
      return explicit_groups;
    case ReplicaGroupsForm::kIota: {
      if (iota_num_groups <= 0 || iota_group_size <= 0 ||
          iota_num_groups > kMaxDevices / iota_group_size) {
        return InvalidArgument("replica groups " + raw + " have a bad group count or size");
      }
      std::optional<int64_t> ids = DeviceCount(iota_reshape_dims);
      if (!ids || *ids != iota_num_groups * iota_group_size) {
        return InvalidArgument("replica groups " + raw + ": iota dims do not hold " +
                               std::to_string(iota_num_groups * iota_group_size) + " ids");
      }
      return ExpandIotaGroups(iota_num_groups, iota_group_size, iota_reshape_dims, iota_perm);
    }
    case ReplicaGroupsForm::kMeshAxes:
      return ExpandMeshAxes(*this);
  }
  return Internal("unknown replica groups form");
}

std::string_view CollectiveOpGroupModeName(CollectiveOpGroupMode mode) {
  switch (mode) {
    case CollectiveOpGroupMode::kCrossReplica:
      return "cross_replica";
    case CollectiveOpGroupMode::kCrossPartition:
      return "cross_partition";
    case CollectiveOpGroupMode::kCrossReplicaAndPartition:
      return "cross_replica_and_partition";
    case CollectiveOpGroupMode::kFlattenedId:
      return "flattened_id";
  }
  return "unknown";
}

Result<CollectiveOpGroupMode> GetCollectiveOpGroupMode(bool has_channel_id,
                                                       std::optional<bool> use_global_device_ids) {
  if (!has_channel_id) {
    if (use_global_device_ids.value_or(false)) {
      return InvalidArgument("use_global_device_ids=true requires a channel_id");
    }
    return CollectiveOpGroupMode::kCrossReplica;
  }
  if (!use_global_device_ids.has_value()) return CollectiveOpGroupMode::kCrossPartition;
  return *use_global_device_ids ? CollectiveOpGroupMode::kFlattenedId
                                : CollectiveOpGroupMode::kCrossReplicaAndPartition;
}

Result<GroupList> LogicalDeviceGroups(const GroupList& groups, CollectiveOpGroupMode mode,
                                      int64_t replica_count, int64_t num_partitions) {
  if (replica_count <= 0 || num_partitions <= 0 || replica_count > kMaxDevices / num_partitions) {
    return InvalidArgument("bad replica_count " + std::to_string(replica_count) +
                           " / num_partitions " + std::to_string(num_partitions));
  }
  const int64_t r_count = replica_count;
  const int64_t p_count = num_partitions;
  GroupList out;
  switch (mode) {
    case CollectiveOpGroupMode::kCrossReplica: {
      AOIZORA_RETURN_IF_ERROR(CheckIds(groups, r_count, "replica id"));
      GroupList replica_groups = groups.empty() ? GroupList{Iota(r_count)} : groups;
      for (int64_t p = 0; p < p_count; ++p) {
        for (const std::vector<int64_t>& group : replica_groups) {
          std::vector<int64_t>& ids = out.emplace_back();
          for (int64_t r : group) ids.push_back(r * p_count + p);
        }
      }
      return out;
    }
    case CollectiveOpGroupMode::kCrossPartition: {
      AOIZORA_RETURN_IF_ERROR(CheckIds(groups, p_count, "partition id"));
      GroupList partition_groups = groups.empty() ? GroupList{Iota(p_count)} : groups;
      for (int64_t r = 0; r < r_count; ++r) {
        for (const std::vector<int64_t>& group : partition_groups) {
          std::vector<int64_t>& ids = out.emplace_back();
          for (int64_t p : group) ids.push_back(r * p_count + p);
        }
      }
      return out;
    }
    case CollectiveOpGroupMode::kCrossReplicaAndPartition: {
      AOIZORA_RETURN_IF_ERROR(CheckIds(groups, r_count, "replica id"));
      GroupList replica_groups = groups.empty() ? GroupList{Iota(r_count)} : groups;
      for (const std::vector<int64_t>& group : replica_groups) {
        std::vector<int64_t>& ids = out.emplace_back();
        for (int64_t r : group) {
          for (int64_t p = 0; p < p_count; ++p) ids.push_back(r * p_count + p);
        }
      }
      return out;
    }
    case CollectiveOpGroupMode::kFlattenedId: {
      if (groups.empty()) {
        return InvalidArgument(
            "empty replica_groups are not allowed with use_global_device_ids=true");
      }
      AOIZORA_RETURN_IF_ERROR(CheckIds(groups, r_count * p_count, "flattened device id"));
      return groups;
    }
  }
  return Internal("unknown collective group mode");
}

}  // namespace aoizora::hlo
