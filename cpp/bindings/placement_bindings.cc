#include "bindings.h"

namespace aoizora::bindings {

// The placement stage has no Python surface yet.
void BindPlacement(nanobind::module_& /*m*/) {}

}  // namespace aoizora::bindings
