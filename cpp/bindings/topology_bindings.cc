#include "bindings.h"

namespace aoizora::bindings {

// The topology stage has no Python surface yet.
void BindTopology(nanobind::module_& /*m*/) {}

}  // namespace aoizora::bindings
