#include "aoizora/placement/mesh_shape.h"

namespace aoizora::placement {

Result<LogicalMeshShape> CheckLogicalMeshShape(const std::vector<int64_t>& mesh_shape,
                                               size_t max_axes) {
  if (mesh_shape.empty() || mesh_shape.size() > max_axes) {
    return InvalidArgument("logical mesh needs 1 to " + std::to_string(max_axes) + " axes, got " +
                           std::to_string(mesh_shape.size()));
  }
  LogicalMeshShape out;
  for (size_t j = 0; j < mesh_shape.size(); ++j) {
    if (mesh_shape[j] < 1) {
      return InvalidArgument("logical mesh axis " + std::to_string(j) + " has size " +
                             std::to_string(mesh_shape[j]) + "; sizes must be >= 1");
    }
    if (j > 0) out.text += ',';
    out.text += std::to_string(mesh_shape[j]);
    out.num_devices = mesh_shape[j] > kSaturatedDevices / out.num_devices
                          ? kSaturatedDevices + 1
                          : out.num_devices * mesh_shape[j];
  }
  return out;
}

}  // namespace aoizora::placement
