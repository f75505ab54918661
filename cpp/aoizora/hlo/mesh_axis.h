#pragma once
// A named axis of a device mesh and its size: `mesh['x'=2,'y'=4]` in replica groups, the
// `xla.sdy.meshes` attribute of lowered modules, jax.sharding.Mesh's axes. The one mesh-axis type.

#include <cstdint>
#include <string>

namespace aoizora::hlo {

struct MeshAxis {
  std::string name;
  int64_t size = 1;
};

}  // namespace aoizora::hlo
