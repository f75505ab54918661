#pragma once
// A logical mesh shape as users and programs give it: checked once for the placement space and
// for Q2 (axis count, positive sizes), with its device count (saturating, so hostile sizes cannot
// overflow) and its text form for error messages.

#include <cstdint>
#include <string>
#include <vector>

#include "aoizora/util/result.h"

namespace aoizora::placement {

struct LogicalMeshShape {
  int64_t num_devices = 1;  // product of the sizes; kSaturatedDevices when larger than that
  std::string text;         // "2,4,2"
};

// Far above any slice's device count; products beyond it are reported as this value + 1.
inline constexpr int64_t kSaturatedDevices = int64_t{1} << 40;

Result<LogicalMeshShape> CheckLogicalMeshShape(const std::vector<int64_t>& mesh_shape,
                                               size_t max_axes);

}  // namespace aoizora::placement
