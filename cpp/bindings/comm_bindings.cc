#include "bindings.h"

namespace aoizora::bindings {

// The comm stage has no Python surface yet.
void BindComm(nanobind::module_& /*m*/) {}

}  // namespace aoizora::bindings
