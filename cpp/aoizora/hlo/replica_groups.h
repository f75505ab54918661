#pragma once
// Collective device groups (`replica_groups=`) in their three printed forms: explicit lists
// `{{0,1},{2,3}}` (or `{}` = everyone), the iota form `[G,S]<=[dims]T(perm)`, and the mesh-axes
// form `mesh['x'=2,'y'=4] {'x'}` that current XLA prints for Shardy programs; plus the four
// device-id modes of hlo-text.md section 6.3 that turn group entries into logical device ids.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aoizora/hlo/mesh_axis.h"
#include "aoizora/util/result.h"

namespace aoizora::hlo {

using GroupList = std::vector<std::vector<int64_t>>;

// One axis a mesh-axes group list groups over: a whole mesh axis, or the sub-axis `'x':(pre)size`.
struct MeshAxisRef {
  std::string name;
  int64_t sub_axis_pre_size = 0;  // 0 = the whole axis
  int64_t sub_axis_size = 0;
};

enum class ReplicaGroupsForm { kExplicit, kIota, kMeshAxes };

struct ReplicaGroups {
  ReplicaGroupsForm form = ReplicaGroupsForm::kExplicit;
  GroupList explicit_groups;  // kExplicit; empty = all ids of the mode's domain
  // kIota: G groups of S from iota(reshape_dims) transposed by perm.
  int64_t iota_num_groups = 0;
  int64_t iota_group_size = 0;
  std::vector<int64_t> iota_reshape_dims;
  std::vector<int64_t> iota_perm;
  // kMeshAxes: devices are iota over the mesh; a group varies the listed axes.
  std::vector<MeshAxis> mesh_axes;
  std::vector<MeshAxisRef> group_axes;
  // `mesh[..], device_ids=([2,4]T(1,0))` or `device_ids=(0,2,1,3,...)`: the mesh's device order,
  // flattened (empty = iota, device i at mesh position i).
  std::vector<int64_t> mesh_device_ids;
  std::string raw;  // as printed

  // The groups as explicit lists (iota and mesh-axes forms expanded). Empty means "all".
  Result<GroupList> Expand() const;
};

enum class CollectiveOpGroupMode {
  kCrossReplica,              // no channel_id: replica ids within one partition
  kCrossPartition,            // channel_id, no use_global_device_ids: partition ids
  kCrossReplicaAndPartition,  // channel_id, use_global_device_ids=false
  kFlattenedId,               // channel_id, use_global_device_ids=true
};

std::string_view CollectiveOpGroupModeName(CollectiveOpGroupMode mode);

// The mode from the presence of channel_id and the value of use_global_device_ids (nullopt =
// absent). use_global_device_ids=true without a channel is an error.
Result<CollectiveOpGroupMode> GetCollectiveOpGroupMode(bool has_channel_id,
                                                       std::optional<bool> use_global_device_ids);

// Groups in logical device ids (replica_id * num_partitions + partition_id, i.e. the device index
// of a JAX SPMD program) for all replicas and partitions. `groups` is the expanded list (empty =
// all). Every id must be inside its domain; kFlattenedId does not allow empty groups.
Result<GroupList> LogicalDeviceGroups(const GroupList& groups, CollectiveOpGroupMode mode,
                                      int64_t replica_count, int64_t num_partitions);

}  // namespace aoizora::hlo
